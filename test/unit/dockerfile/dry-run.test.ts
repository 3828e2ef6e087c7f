// `kiln build --dry-run`: the plan on stdout and exit 0, or the first Dockerfile error as
// "Dockerfile:LINE:COL: message" and exit 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCommand } from '../../../src/cli/commands/build.ts';
import { parseArgs } from '../../../src/cli/flags.ts';

async function dryRun(dockerfile: string, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-dry-'));
  const out: string[] = [];
  const err: string[] = [];
  const { stdout, stderr } = process;
  const origOut = stdout.write;
  const origErr = stderr.write;
  try {
    await writeFile(join(dir, 'Dockerfile'), dockerfile);
    stdout.write = ((chunk: string) => out.push(String(chunk)) > 0) as typeof stdout.write;
    stderr.write = ((chunk: string) => err.push(String(chunk)) > 0) as typeof stderr.write;
    const code = await buildCommand.run(parseArgs([dir, '--dry-run', ...argv], buildCommand.flags));
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    stdout.write = origOut;
    stderr.write = origErr;
    await rm(dir, { recursive: true, force: true });
  }
}

test('dry run prints the stages to build with expanded instructions', async () => {
  const r = await dryRun('ARG TAG=3.20\nFROM alpine:$TAG AS base\nENV D=/srv\nWORKDIR $D\nFROM base AS test\nRUN make test\nFROM base AS final\nCOPY <<EOF $D/v\n$TAG\nEOF\n', ['--target', 'final', '--skip-unused-stages', '--build-arg', 'TAG=3.19']);
  assert.equal(r.code, 0);
  assert.equal(
    r.out,
    [
      'Dockerfile: 3 stages, building 2 (target "final")',
      'global ARGs: TAG=3.19',
      '',
      '[1/2] stage "base" (index 0) from image alpine:3.19',
      '     3  ENV D=/srv',
      '     4  WORKDIR /srv',
      '',
      '[2/2] stage "final" (index 2) from stage "base"',
      '     8  COPY <<EOF /srv/v',
      '        | ',
      '        | EOF',
      '',
      'not built: "test"',
      '',
    ].join('\n'),
  );
});

test('dry run prints the first Dockerfile error alone and exits 1', async () => {
  const r = await dryRun('FROM alpine\nCOPY --form=build /a /b\n', []);
  assert.deepEqual([r.code, r.out, r.err], [1, '', 'Dockerfile:2:6: unknown flag --form for COPY (did you mean --from?); COPY takes --from, --chown, --chmod, --link, --parents, --exclude\n']);
});

test('dry run names an unknown target and the stages there are', async () => {
  const r = await dryRun('FROM a AS build\nFROM b AS app\n', ['--target=ap']);
  assert.deepEqual([r.code, r.err], [1, '--target ap: no such stage in Dockerfile; the named stages are: build, app\n']);
});
