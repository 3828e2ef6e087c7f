import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBuilderError } from '../../../src/util/errors.ts';
import { resolveUser } from '../../../src/run/user.ts';
import { GROUP, PASSWD } from '../../support/rootfs.ts';

const as = (spec: string) => resolveUser(spec, PASSWD, GROUP);

test('empty USER is root, with root\'s home and groups', () => {
  assert.deepEqual(as(''), { uid: 0, gid: 0, groups: [0], home: '/root' });
});

test('a name takes uid, gid and home from passwd, and member groups after the primary one', () => {
  assert.deepEqual(as('app'), { uid: 1000, gid: 1000, groups: [1000, 2000], home: '/home/app' });
  assert.deepEqual(as('nobody'), { uid: 65534, gid: 65534, groups: [65534], home: '/nonexistent' });
});

test('a numeric uid found in passwd is that user', () => {
  assert.deepEqual(as('1000'), { uid: 1000, gid: 1000, groups: [1000, 2000], home: '/home/app' });
});

test('numeric ids that exist nowhere are used as given, with gid 0 and home /', () => {
  assert.deepEqual(as('1234'), { uid: 1234, gid: 0, groups: [0], home: '/' });
  assert.deepEqual(as('1234:5678'), { uid: 1234, gid: 5678, groups: [5678], home: '/' });
});

test('an explicit group replaces the primary one and drops member groups, as docker does', () => {
  assert.deepEqual(as('app:extra'), { uid: 1000, gid: 2000, groups: [2000], home: '/home/app' });
  assert.deepEqual(as('app:0'), { uid: 1000, gid: 0, groups: [0], home: '/home/app' });
});

test('unknown names are errors that name them', () => {
  assert.throws(() => as('ghost'), (err) => isBuilderError(err, 'BUILD_FAILED') && /unable to find user ghost/.test(err.message));
  assert.throws(() => as('app:ghosts'), (err) => isBuilderError(err) && /unable to find group ghosts/.test(err.message));
});

test('an image without passwd or group still runs numeric users', () => {
  assert.deepEqual(resolveUser('42:43', '', ''), { uid: 42, gid: 43, groups: [43], home: '/' });
  assert.deepEqual(resolveUser('', '', ''), { uid: 0, gid: 0, groups: [0], home: '/' });
});

test('comments, short and malformed lines are skipped', () => {
  const passwd = '# comment\nbad\nx:x:notanumber:1:::\nsvc:x:7:8::/srv:/bin/sh\n';
  assert.deepEqual(resolveUser('svc', passwd, 'g:x:9:svc,other\n'), { uid: 7, gid: 8, groups: [8, 9], home: '/srv' });
});
