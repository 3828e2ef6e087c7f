// resolveInRoot behaves like a lookup after chroot(root): links are followed inside the root,
// `..` and absolute targets stop at it, missing tails are kept, and loops are an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveRelative } from '../../../src/tar/root-path.ts';
import { isBuilderError } from '../../../src/util/errors.ts';
import { makeTree } from '../context/tree.ts';

test('paths resolve inside the root whatever the links say', async () => {
  const root = await mkdtemp(join(tmpdir(), 'kiln-rootpath-'));
  test.after(() => rm(root, { recursive: true, force: true }));
  await makeTree(root, {
    'usr/bin/tool': 'T',
    bin: { type: 'symlink', target: 'usr/bin' },
    'abs-bin': { type: 'symlink', target: '/usr/bin' },
    slash: { type: 'symlink', target: '/' },
    up: { type: 'symlink', target: '../../../..' },
    'usr/lib': { type: 'symlink', target: '../../../../etc' },
    'etc-file': { type: 'symlink', target: '/etc/passwd' },
    loop: { type: 'symlink', target: 'loop2' },
    loop2: { type: 'symlink', target: '/loop' },
  });
  const cases: Array<[string, boolean, string]> = [
    ['/bin/tool', true, 'usr/bin/tool'],
    ['abs-bin/tool', true, 'usr/bin/tool'],
    ['/slash/slash/usr', true, 'usr'],
    ['/up/usr/bin', true, 'usr/bin'],
    ['/usr/lib/passwd', true, 'etc/passwd'],
    ['/../../../etc/shadow', true, 'etc/shadow'],
    ['/etc-file', true, 'etc/passwd'],
    ['/etc-file', false, 'etc-file'],
    ['/bin', false, 'bin'],
    ['/new/dir/../file', true, 'new/file'],
    ['/', true, ''],
  ];
  for (const [input, followLeaf, want] of cases) {
    assert.equal(await resolveRelative(root, input, { followLeaf }), want, `${input} (followLeaf ${followLeaf})`);
  }
  await assert.rejects(resolveRelative(root, '/loop/x', { followLeaf: true }), (err: unknown) => {
    assert.ok(isBuilderError(err, 'IO'));
    assert.match(err.message, /\/loop\/x: too many levels of symbolic links/);
    return true;
  });
});
