// One build context, laid out as a directory and as a tar.gz holding it under `ctx/`, and the
// digest kiln builds from a context: what every remote-context test compares against.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './exec.ts';
import { kiln, type KilnResult } from './kiln-cli.ts';

export const CONTEXT_FILES: Record<string, string> = {
  Dockerfile: 'FROM scratch\nCOPY app /app\nCOPY notes.txt /\n',
  '.dockerignore': 'app/*.log\n',
  'app/main.js': 'console.log("hi")\n',
  'app/debug.log': 'left out by .dockerignore\n',
  'notes.txt': 'same files, same digest\n',
};

/** Writes the context into `work/dir/ctx` and `work/context.tar.gz` (entries under `ctx/`). */
export async function writeContext(work: string): Promise<{ dir: string; archive: Buffer }> {
  const dir = join(work, 'dir', 'ctx');
  for (const [path, text] of Object.entries(CONTEXT_FILES)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  const tarball = join(work, 'context.tar.gz');
  await run('tar', ['-czf', tarball, '-C', join(work, 'dir'), 'ctx']);
  return { dir, archive: await readFile(tarball) };
}

/** Runs `kiln build --reproducible --no-push` on a context. */
export function buildContext(context: string, extra: string[], env: NodeJS.ProcessEnv, work: string): Promise<KilnResult> {
  return kiln(['build', '--context', context, ...extra, '--reproducible', '--no-push', '--tar-path', join(work, `out-${Date.now()}.tar`)], { env });
}

/** The image digest a successful build printed. */
export function builtDigest(res: KilnResult): string {
  assert.equal(res.code, 0, res.stderr + res.stdout);
  const m = /built image (sha256:[0-9a-f]{64})/.exec(res.stdout + res.stderr);
  assert.ok(m, `no digest in output:\n${res.stdout}${res.stderr}`);
  return m[1];
}

/** A failed build: non-zero, one error line that names the context and says why. */
export function assertContextFailure(res: KilnResult, names: string, cause: RegExp): void {
  assert.notEqual(res.code, 0, res.stdout + res.stderr);
  const lines = res.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected:\n${res.stderr}`);
  assert.ok(lines[0].startsWith(`kiln build: --context=${names}`), `${lines[0]} should name ${names}`);
  assert.match(lines[0], cause);
}
