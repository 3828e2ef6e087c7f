// How a git build context is read: kaniko's git:// form (over https, or http with
// GIT_PULL_METHOD=http; #REF, #COMMIT, #REF#COMMIT), BuildKit's http(s)://….git#REF:SUBDIR,
// GIT_USERNAME/GIT_PASSWORD/GIT_TOKEN, and kaniko's --git options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rejectsWith } from '../../support/assert-error.ts';
import { parseGitContext, parseGitFlag } from '../../../src/context/git-context.ts';
import { parseContextSpec } from '../../../src/context/spec.ts';

const C = 'a'.repeat(40);
const W = '--context=x';

test('which URLs are git contexts', () => {
  assert.deepEqual(parseContextSpec('git://h/r.git#main'), { kind: 'git', url: 'git://h/r.git#main' });
  assert.deepEqual(parseContextSpec('https://h/r.git#v1:sub'), { kind: 'git', url: 'https://h/r.git#v1:sub' });
  assert.deepEqual(parseContextSpec('ssh://git@h/r.git'), { kind: 'git', url: 'ssh://git@h/r.git' });
  assert.deepEqual(parseContextSpec('https://h/ctx.tar.gz'), { kind: 'url', url: 'https://h/ctx.tar.gz' });
  assert.deepEqual(parseContextSpec('https://h/a.git/ctx.tar.gz'), { kind: 'url', url: 'https://h/a.git/ctx.tar.gz' });
});

test('kaniko form: git:// is fetched over https, or http with GIT_PULL_METHOD=http', () => {
  const env = {};
  assert.deepEqual(parseGitContext('git://h/r.git', '', W, env).checkout, { remote: 'https://h/r.git', submodules: false, keepGitDir: false, insecureSkipTls: false });
  assert.equal(parseGitContext('git://h/r.git', '', W, { GIT_PULL_METHOD: 'http' }).checkout.remote, 'http://h/r.git');
  assert.equal(parseGitContext('git://h/r.git', '', W, { GIT_PULL_METHOD: 'ftp' }).checkout.remote, 'https://h/r.git');
  const both = parseGitContext(`git://h/r.git#refs/heads/b#${C.slice(0, 12)}`, '', W, env).checkout;
  assert.equal(both.ref, 'refs/heads/b');
  assert.equal(both.commit, C.slice(0, 12));
  const byId = parseGitContext(`git://h/r.git#${C}`, '', W, env).checkout;
  assert.equal(byId.ref, undefined);
  assert.equal(byId.commit, C);
});

test('BuildKit form: #REF:SUBDIR, and --git branch= replaces the ref', () => {
  const ctx = parseGitContext('https://h/r.git#v1:ctx/app', '', W, {});
  assert.equal(ctx.checkout.ref, 'v1');
  assert.equal(ctx.subdir, 'ctx/app');
  const branch = parseGitContext('https://h/r.git#:ctx', 'branch=feature,single-branch=true', W, {});
  assert.equal(branch.checkout.ref, 'feature');
  assert.equal(branch.subdir, 'ctx');
  assert.throws(() => parseGitContext('git://h/r.git#a#b#c', '', W, {}), /at most #REF#COMMIT/);
  assert.throws(() => parseGitContext('git://h/r.git#main#not-a-commit', '', W, {}), /not a commit id/);
});

test('credentials: GIT_TOKEN as the user name with no password (as kaniko), else GIT_USERNAME/GIT_PASSWORD', () => {
  const token = parseGitContext('git://h/r.git', '', W, { GIT_TOKEN: 'tok', GIT_USERNAME: 'u', GIT_PASSWORD: 'p' });
  assert.deepEqual(token.checkout.auth, { username: 'tok', password: '' });
  assert.equal(token.credentials, 'GIT_TOKEN');
  const pair = parseGitContext('git://h/r.git', '', W, { GIT_USERNAME: 'u', GIT_PASSWORD: 'p' });
  assert.deepEqual(pair.checkout.auth, { username: 'u', password: 'p' });
  assert.equal(parseGitContext('git://h/r.git', '', W, {}).checkout.auth, undefined);
});

test("--git takes kaniko's options and refuses others", async () => {
  assert.deepEqual(parseGitFlag('branch=,single-branch=false,recurse-submodules=false'), { recurseSubmodules: false, insecureSkipTls: false });
  assert.deepEqual(parseGitFlag('branch=dev,recurse-submodules=true,insecure-skip-tls=true'), { branch: 'dev', recurseSubmodules: true, insecureSkipTls: true });
  await rejectsWith(Promise.resolve().then(() => parseGitFlag('depth=1')), 'USAGE', /--git=depth=1: unknown option depth/);
  await rejectsWith(Promise.resolve().then(() => parseGitFlag('recurse-submodules=yes')), 'USAGE', /recurse-submodules must be true or false/);
});
