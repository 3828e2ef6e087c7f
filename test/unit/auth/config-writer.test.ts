import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeLogin, saveLogin } from '../../../src/auth/config-writer.ts';
import { dockerConfigDir } from '../../../src/auth/docker-config.ts';

function tmp(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-cfgwriter-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('saveLogin creates the directory 0700 and the file 0600', (t) => {
  const dir = join(tmp(t), 'new', '.docker');
  const path = join(dir, 'config.json');
  saveLogin(path, '127.0.0.1:5000', 'bob', { password: 'pa:ss' });
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const cfg = JSON.parse(readFileSync(path, 'utf8'));
  assert.equal(Buffer.from(cfg.auths['127.0.0.1:5000'].auth, 'base64').toString(), 'bob:pa:ss');
});

test('saveLogin keeps other keys and replaces other spellings of the same registry', (t) => {
  const path = join(tmp(t), 'config.json');
  writeFileSync(
    path,
    JSON.stringify({
      auths: { 'https://index.docker.io/v1/': { auth: 'b2xkOm9sZA==' }, 'docker.io/team': { auth: 'dGVhbTp0' }, 'other.io': { auth: 'eDp5' } },
      credHelpers: { 'gcr.io': 'gcloud' },
      HttpHeaders: { 'User-Agent': 'x' },
    }),
    { mode: 0o644 },
  );
  saveLogin(path, 'registry-1.docker.io', 'new', { password: 'pw' });
  const cfg = JSON.parse(readFileSync(path, 'utf8'));
  assert.deepEqual(Object.keys(cfg.auths).sort(), ['docker.io/team', 'https://index.docker.io/v1/', 'other.io']);
  assert.equal(Buffer.from(cfg.auths['https://index.docker.io/v1/'].auth, 'base64').toString(), 'new:pw');
  assert.deepEqual(cfg.credHelpers, { 'gcr.io': 'gcloud' });
  assert.deepEqual(cfg.HttpHeaders, { 'User-Agent': 'x' });
  assert.equal(statSync(path).mode & 0o777, 0o600);
});

test('an identity token is saved in place of the password, with docker\'s empty-password auth', (t) => {
  const path = join(tmp(t), 'config.json');
  saveLogin(path, 'h:5000', 'alice', { identityToken: 'refresh-tok-123' });
  const cfg = JSON.parse(readFileSync(path, 'utf8'));
  assert.deepEqual(cfg.auths['h:5000'], { auth: Buffer.from('alice:').toString('base64'), identitytoken: 'refresh-tok-123' });
});

test('removeLogin removes every host-wide spelling and keeps the rest', (t) => {
  const path = join(tmp(t), 'config.json');
  writeFileSync(path, JSON.stringify({ auths: { 'http://h:5000/v2/': {}, 'h:5000': {}, 'h:5000/org': {}, 'k:1': {} }, credsStore: 'pass' }));
  assert.equal(removeLogin(path, 'h:5000'), true);
  const cfg = JSON.parse(readFileSync(path, 'utf8'));
  assert.deepEqual(Object.keys(cfg.auths).sort(), ['h:5000/org', 'k:1']);
  assert.equal(cfg.credsStore, 'pass');
  assert.equal(removeLogin(path, 'h:5000'), false);
  assert.equal(removeLogin(join(path, '..', 'missing.json'), 'h:5000'), false);
});

test('dockerConfigDir: $DOCKER_CONFIG, else ~/.docker', (t) => {
  const dir = tmp(t);
  mkdirSync(join(dir, 'x'));
  assert.equal(dockerConfigDir({ DOCKER_CONFIG: join(dir, 'x'), HOME: dir }), join(dir, 'x'));
  assert.equal(dockerConfigDir({ HOME: dir }), join(dir, '.docker'));
});
