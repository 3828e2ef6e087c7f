import { test } from 'node:test';
import assert from 'node:assert/strict';
import { holdsIgnored, hostIgnorePaths, isIgnored, mountPoints } from '../../../src/run/ignore.ts';

const MOUNTINFO = [
  '600 500 0:50 / / rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w',
  '601 600 0:52 / /proc rw,nosuid - proc proc rw',
  '602 600 0:53 / /dev rw - tmpfs tmpfs rw',
  '603 600 254:0 /var/lib/kubelet/pods/x/volumes/secret /kiln/.docker ro - ext4 /dev/vda rw',
  '604 600 254:0 /data /workspace rw - ext4 /dev/vda rw',
  '605 600 254:0 /etc-hosts /etc/hosts rw - ext4 /dev/vda rw',
  '606 600 254:0 /x /my\\040dir rw - ext4 /dev/vda rw',
  '',
].join('\n');

test('mount points come from the fifth field with octal escapes undone', () => {
  assert.deepEqual(mountPoints(MOUNTINFO), ['/', '/proc', '/dev', '/kiln/.docker', '/workspace', '/etc/hosts', '/my dir']);
});

test('the ignore list: kiln, kernel filesystems, mounts, --ignore-path and /var/run; never /', async () => {
  const list = await hostIgnorePaths({ mountinfo: MOUNTINFO, ignorePaths: ['/cache/', 'relative/dir'] });
  assert.deepEqual(list, [
    '/cache', '/dev', '/etc/hosts', '/kiln', '/kiln/.docker', '/my dir', '/proc', '/relative/dir', '/sys', '/var/run', '/workspace',
  ]);
});

test('--ignore-var-run=false keeps /var/run in the snapshot', async () => {
  const list = await hostIgnorePaths({ mountinfo: MOUNTINFO, ignoreVarRun: false });
  assert.ok(!list.includes('/var/run'));
});

test('the real mountinfo of this machine gives absolute paths', async () => {
  const list = await hostIgnorePaths();
  assert.ok(list.includes('/proc'));
  assert.ok(list.every((p) => p.startsWith('/') && p !== '/'));
});

test('isIgnored matches a path and what lies under it, not a sibling with the same prefix', () => {
  const list = ['/proc', '/workspace'];
  assert.ok(isIgnored('/proc', list));
  assert.ok(isIgnored('/workspace/src/a.ts', list));
  assert.ok(!isIgnored('/processes', list));
  assert.ok(!isIgnored('/', list));
});

test('holdsIgnored: a directory with an ignored path strictly below it, / always', () => {
  const list = ['/etc/hosts', '/kiln', '/var/run'];
  assert.ok(holdsIgnored('/', list));
  assert.ok(holdsIgnored('/etc', list));
  assert.ok(holdsIgnored('/var/', list));
  assert.ok(!holdsIgnored('/kiln', list));
  assert.ok(!holdsIgnored('/etc/hosts', list));
  assert.ok(!holdsIgnored('/et', list));
  assert.ok(!holdsIgnored('/usr', list));
});
