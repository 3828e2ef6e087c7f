// The buildkite-agent subcommands the plugin uses. Secrets go to `redactor add` on stdin, never
// in argv, so they do not show up in a process listing.
import { spawnSync } from 'node:child_process';
import { BuilderError } from '../../util/errors.ts';

function agent(args: string[], input?: string): string {
  const result = spawnSync('buildkite-agent', args, { input: input ?? '', encoding: 'utf8', stdio: ['pipe', 'pipe', 'inherit'] });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    throw new BuilderError('USAGE', `buildkite-agent ${args[0]}: ${code === 'ENOENT' ? 'buildkite-agent is not on PATH' : result.error.message}`);
  }
  if (result.status !== 0) throw new BuilderError('BUILD_FAILED', `buildkite-agent ${args.slice(0, 2).join(' ')} failed (exit ${result.status ?? 'signal'})`);
  return result.stdout;
}

/** Masks `secret` in the job log from now on; called before the secret is used anywhere. */
export function redactorAdd(secret: string): void {
  agent(['redactor', 'add'], secret);
}

export function metaDataSet(key: string, value: string): void {
  agent(['meta-data', 'set', key, value]);
}

export function annotate(markdown: string, style: 'success' | 'error', context: string): void {
  agent(['annotate', '--style', style, '--context', context], markdown);
}

export function artifactUpload(path: string): void {
  agent(['artifact', 'upload', path]);
}

export function isOnPath(): boolean {
  return !spawnSync('buildkite-agent', ['--version'], { stdio: 'ignore' }).error;
}
