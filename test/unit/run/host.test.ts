// What the host runner refuses, checked before any command could run (nothing here executes one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { HostRunner } from '../../../src/run/host.ts';
import type { RunSpec } from '../../../src/run/index.ts';
import { isBuilderError } from '../../../src/util/errors.ts';

async function withProbeRoot(files: string[], fn: (root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'kiln-host-unit-'));
  try {
    for (const f of files) await writeFile(join(root, f), '');
    await fn(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const spec = (over: Partial<RunSpec>): RunSpec => ({
  rootDir: '/', argv: ['true'], env: [], cwd: '/', user: '', network: 'default', mounts: [],
  stdout: new PassThrough(), stderr: new PassThrough(), ...over,
});

test('outside a container, host isolation is refused with a pointer to --force and chroot', () =>
  withProbeRoot([], async (root) => {
    await assert.rejects(HostRunner.create({ probe: { root, env: {} } }), (err) => {
      assert.ok(isBuilderError(err, 'ISOLATION'));
      assert.match(err.message, /--force/);
      assert.match(err.message, /--isolation chroot/);
      return true;
    });
  }));

test('the host runner refuses what it cannot do without namespaces, naming --isolation chroot', () =>
  withProbeRoot(['.dockerenv'], async (root) => {
    const runner = await HostRunner.create({ probe: { root, env: {} } });
    await assert.rejects(runner.run(spec({ network: 'none' })), (err) => isBuilderError(err, 'ISOLATION') && /--isolation chroot/.test(err.message));
    await assert.rejects(
      runner.run(spec({ mounts: [{ type: 'cache', source: root, target: '/var/cache/apt' }] })),
      (err) => isBuilderError(err, 'ISOLATION') && /type=cache,target=\/var\/cache\/apt needs mount rights.*--isolation chroot/.test(err.message),
    );
    await assert.rejects(runner.run(spec({ rootDir: root })), (err) => isBuilderError(err, 'INTERNAL'));
  }));
