import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureInRoot, removeCreated, resolveInRoot } from '../../../src/run/in-root.ts';

async function withRoot(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'kiln-inroot-'));
  try {
    await fn(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

test('symlinks are followed inside the root, never out of it', () =>
  withRoot(async (root) => {
    await mkdir(join(root, 'real/etc'), { recursive: true });
    await symlink('/real/etc', join(root, 'etc'));
    await symlink('../../../../..', join(root, 'up'));
    await symlink('/etc', join(root, 'hostetc'));
    assert.equal(await resolveInRoot(root, '/etc/passwd'), join(root, 'real/etc/passwd'));
    assert.equal(await resolveInRoot(root, '/up/etc'), join(root, 'real/etc'));
    assert.equal(await resolveInRoot(root, '../../x/./y'), join(root, 'x/y'));
    assert.equal(await resolveInRoot(root, '/hostetc/shadow'), join(root, 'real/etc/shadow'));
  }));

test('a symlink loop is an error, not a hang', () =>
  withRoot(async (root) => {
    await symlink('/b', join(root, 'a'));
    await symlink('/a', join(root, 'b'));
    await assert.rejects(resolveInRoot(root, '/a/x'), /too many levels of symbolic links/);
  }));

test('ensureInRoot creates what is missing and removeCreated takes exactly that away', () =>
  withRoot(async (root) => {
    await mkdir(join(root, 'run'));
    const file = await ensureInRoot(root, '/run/secrets/tok', 'file');
    assert.equal(file.path, join(root, 'run/secrets/tok'));
    assert.deepEqual(file.created.map((c) => c.path), [join(root, 'run/secrets'), join(root, 'run/secrets/tok')]);
    assert.ok((await stat(file.path)).isFile());
    await removeCreated(file.created);
    await assert.rejects(stat(join(root, 'run/secrets')), { code: 'ENOENT' });
    assert.ok((await stat(join(root, 'run'))).isDirectory());
  }));

test('the mtime of the directory a placeholder was made in is put back exactly', () =>
  withRoot(async (root) => {
    await mkdir(join(root, 'etc'));
    const before = (await stat(join(root, 'etc'), { bigint: true })).mtimeNs;
    await new Promise((r) => setTimeout(r, 20));
    const hosts = await ensureInRoot(root, '/etc/hosts', 'file');
    const resolv = await ensureInRoot(root, '/etc/resolv.conf', 'file');
    assert.notEqual((await stat(join(root, 'etc'), { bigint: true })).mtimeNs, before);
    await removeCreated([...hosts.created, ...resolv.created]);
    assert.equal((await stat(join(root, 'etc'), { bigint: true })).mtimeNs, before);
  }));

test('a whole-second mtime, as an image layer gives, is put back exactly too', () =>
  withRoot(async (root) => {
    await mkdir(join(root, 'etc'));
    await utimes(join(root, 'etc'), 1747699200, 1747699200);
    const hosts = await ensureInRoot(root, '/etc/hosts', 'file');
    await removeCreated(hosts.created);
    assert.equal((await stat(join(root, 'etc'), { bigint: true })).mtimeNs, 1747699200_000000000n);
  }));

test('placeholders made in an empty root are all taken away again', () =>
  withRoot(async (root) => {
    const hosts = await ensureInRoot(root, '/etc/hosts', 'file');
    const resolv = await ensureInRoot(root, '/etc/resolv.conf', 'file');
    await removeCreated([...hosts.created, ...resolv.created]);
    await assert.rejects(stat(join(root, 'etc')), { code: 'ENOENT' });
  }));

test('a parent the command changed keeps its new mtime', () =>
  withRoot(async (root) => {
    await mkdir(join(root, 'etc'));
    const before = (await stat(join(root, 'etc'), { bigint: true })).mtimeNs;
    const hosts = await ensureInRoot(root, '/etc/hosts', 'file');
    await new Promise((r) => setTimeout(r, 20));
    await writeFile(join(root, 'etc/added-by-run'), '');
    await removeCreated(hosts.created);
    assert.notEqual((await stat(join(root, 'etc'), { bigint: true })).mtimeNs, before);
  }));

test('a directory the command filled is kept', () =>
  withRoot(async (root) => {
    const dir = await ensureInRoot(root, '/cache/x', 'dir');
    await writeFile(join(root, 'cache/kept'), 'content');
    await removeCreated(dir.created);
    assert.ok((await stat(join(root, 'cache/kept'))).isFile());
    await assert.rejects(stat(join(root, 'cache/x')), { code: 'ENOENT' });
  }));

test('a file where a directory is needed is an error naming it', () =>
  withRoot(async (root) => {
    await writeFile(join(root, 'proc'), '');
    await assert.rejects(ensureInRoot(root, '/proc/x', 'dir'), /\/proc in the rootfs is not a directory/);
  }));
