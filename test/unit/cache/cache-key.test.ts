// Layer cache keys: the same inputs give the same key, and every input that can change a step's
// result changes the key; an mtime alone does not.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, chown, link, mkdir, mkdtemp, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheKey, hashFiles, type CacheKeyInput } from '../../../src/cache/cache-key.ts';
import { isBuilderError } from '../../../src/util/errors.ts';

const base: CacheKeyInput = {
  parent: 'sha256:1111111111111111111111111111111111111111111111111111111111111111',
  instruction: 'RUN apt-get update',
  env: ['HOME=/root', 'PATH=/usr/bin:/bin'],
  platform: 'linux/amd64',
};

describe('cacheKey', () => {
  it('is sha256 hex and the same for the same inputs, whatever the env order', () => {
    const key = cacheKey(base);
    assert.match(key, /^[0-9a-f]{64}$/);
    assert.equal(cacheKey({ ...base }), key);
    assert.equal(cacheKey({ ...base, env: [...base.env].reverse() }), key);
  });

  const changes: Array<[string, Partial<CacheKeyInput>]> = [
    ['parent', { parent: 'sha256:2222222222222222222222222222222222222222222222222222222222222222' }],
    ['instruction', { instruction: 'RUN apt-get update ' }],
    ['an env value', { env: ['HOME=/root', 'PATH=/usr/bin'] }],
    ['an added build arg', { env: [...base.env, 'VERSION=1'] }],
    ['an empty build arg', { env: [...base.env, 'VERSION='] }],
    ['platform', { platform: 'linux/arm64' }],
    ['files', { files: 'sha256:3333333333333333333333333333333333333333333333333333333333333333' }],
  ];
  for (const [what, change] of changes) {
    it(`changes with ${what}`, () => {
      assert.notEqual(cacheKey({ ...base, ...change }), cacheKey(base));
    });
  }

  it('keeps fields apart: moving text between instruction and env changes the key', () => {
    const a = cacheKey({ ...base, instruction: 'RUN a', env: ['B=c'] });
    const b = cacheKey({ ...base, instruction: 'RUN aB=c', env: [] });
    assert.notEqual(a, b);
  });

  it('refuses a name given twice in the env (its value would depend on order)', () => {
    assert.throws(
      () => cacheKey({ ...base, env: ['A=1', 'A=2'] }),
      (err) => isBuilderError(err, 'INTERNAL') && /A is given twice/.test(err.message),
    );
  });
});

describe('hashFiles', () => {
  let dir: string;
  let n = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiln-cache-key-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** A fresh tree: src/a.txt, src/sub/b.txt, src/link -> a.txt, top.txt. */
  async function tree(): Promise<string> {
    const root = join(dir, `t${n++}`);
    await mkdir(join(root, 'src', 'sub'), { recursive: true });
    await writeFile(join(root, 'src', 'a.txt'), 'alpha\n', { mode: 0o644 });
    await writeFile(join(root, 'src', 'sub', 'b.txt'), 'beta\n', { mode: 0o644 });
    await symlink('a.txt', join(root, 'src', 'link'));
    await writeFile(join(root, 'top.txt'), 'top\n');
    return root;
  }

  const paths = ['src', 'top.txt'];

  it('is deterministic and the same for two identical trees', async () => {
    const [a, b] = [await tree(), await tree()];
    const digest = await hashFiles(a, paths);
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(await hashFiles(a, paths), digest);
    assert.equal(await hashFiles(b, paths), digest);
    assert.equal(await hashFiles(b, ['top.txt', 'src', 'src/sub']), digest, 'order and overlap do not matter');
  });

  it('ignores an mtime-only change', async () => {
    const root = await tree();
    const before = await hashFiles(root, paths);
    await utimes(join(root, 'src', 'a.txt'), new Date('2001-01-01'), new Date('2001-01-01'));
    await utimes(join(root, 'src', 'sub'), new Date('2002-02-02'), new Date('2002-02-02'));
    assert.equal(await hashFiles(root, paths), before);
  });

  const edits: Array<[string, (root: string) => Promise<void>]> = [
    ['content of the same size', (r) => writeFile(join(r, 'src', 'a.txt'), 'ALPHA\n')],
    ['a file mode', (r) => chmod(join(r, 'src', 'a.txt'), 0o755)],
    ['a directory mode', (r) => chmod(join(r, 'src', 'sub'), 0o700)],
    ['a uid', (r) => chown(join(r, 'src', 'a.txt'), 1234, 0)],
    ['a gid', (r) => chown(join(r, 'src', 'sub', 'b.txt'), 0, 4321)],
    ['a renamed file', (r) => rename(join(r, 'src', 'sub', 'b.txt'), join(r, 'src', 'sub', 'c.txt'))],
    ['a file moved to another directory', (r) => rename(join(r, 'src', 'sub', 'b.txt'), join(r, 'src', 'b.txt'))],
    ['a symlink target', async (r) => {
      await rm(join(r, 'src', 'link'));
      await symlink('sub/b.txt', join(r, 'src', 'link'));
    }],
    ['an added empty file', (r) => writeFile(join(r, 'src', 'sub', 'empty'), '')],
    ['an added empty directory', (r) => mkdir(join(r, 'src', 'empty'))],
    ['a file turned into a hardlink of another with the same content', async (r) => {
      await writeFile(join(r, 'src', 'twin'), 'alpha\n', { mode: 0o644 });
      const before = await hashFiles(r, paths);
      await rm(join(r, 'src', 'twin'));
      await link(join(r, 'src', 'a.txt'), join(r, 'src', 'twin'));
      assert.notEqual(await hashFiles(r, paths), before);
    }],
  ];
  for (const [what, edit] of edits) {
    it(`changes with ${what}`, async () => {
      const root = await tree();
      const before = await hashFiles(root, paths);
      await edit(root);
      assert.notEqual(await hashFiles(root, paths), before);
    });
  }

  it('names a missing source', async () => {
    const root = await tree();
    await assert.rejects(hashFiles(root, ['nope']), (err) => isBuilderError(err, 'FILE_NOT_FOUND') && err.message.includes('nope'));
  });

  it('stops `..` at the root, as COPY does, and refuses paths through a symlink', async () => {
    const root = await tree();
    assert.equal(await hashFiles(root, ['../../top.txt']), await hashFiles(root, ['top.txt']));
    await symlink('src', join(root, 'via'));
    await assert.rejects(hashFiles(root, ['via/a.txt']), (err) => isBuilderError(err, 'INTERNAL') && err.message.includes('via'));
  });
});
