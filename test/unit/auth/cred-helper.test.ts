// A real credential helper: a shell script named docker-credential-kilntest on PATH that speaks
// the docker-credential-helpers protocol from a small table of servers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helperGet } from '../../../src/auth/cred-helper.ts';
import { DockerKeychain } from '../../../src/auth/keychain.ts';
import { isBuilderError } from '../../../src/util/errors.ts';
import { redact } from '../../../src/util/redact.ts';

let dir: string;
let savedPath: string | undefined;
const logFile = () => join(dir, 'asked.log');

const HELPER = `#!/bin/sh
# Records what it was asked, then answers like docker-credential-helpers do.
[ "$1" = get ] || { echo "unknown action $1" >&2; exit 1; }
read -r server
printf '%s\\n' "$server" >> "$KILNTEST_LOG"
case "$server" in
  https://index.docker.io/v1/) echo '{"ServerURL":"https://index.docker.io/v1/","Username":"hubby","Secret":"hub-secret-1"}' ;;
  reg.example.com) echo '{"ServerURL":"reg.example.com","Username":"alice","Secret":"alice-secret-2"}' ;;
  token.example.com) echo '{"ServerURL":"token.example.com","Username":"<token>","Secret":"refresh-secret-3"}' ;;
  broken.example.com) echo 'keychain locked, secret=nothing-here' >&2; exit 3 ;;
  garbage.example.com) echo 'this is not json' ;;
  *) echo 'credentials not found in native keychain'; exit 1 ;;
esac
`;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kiln-credhelper-'));
  const helper = join(dir, 'docker-credential-kilntest');
  writeFileSync(helper, HELPER);
  chmodSync(helper, 0o755);
  savedPath = process.env.PATH;
  process.env.PATH = `${dir}:${process.env.PATH}`;
  process.env.KILNTEST_LOG = logFile();
  writeFileSync(logFile(), '');
});

after(() => {
  process.env.PATH = savedPath;
  delete process.env.KILNTEST_LOG;
  rmSync(dir, { recursive: true, force: true });
});

test('get: username and secret become basic credentials; the secret is registered', async () => {
  assert.deepEqual(await helperGet('kilntest', 'reg.example.com'), { kind: 'basic', username: 'alice', password: 'alice-secret-2' });
  assert.equal(redact('x alice-secret-2 y'), 'x *** y');
});

test('get: the <token> username means an identity token', async () => {
  assert.deepEqual(await helperGet('kilntest', 'token.example.com'), { kind: 'identityToken', identityToken: 'refresh-secret-3' });
});

test('get: "credentials not found" is no credential, not an error', async () => {
  assert.equal(await helperGet('kilntest', 'unknown.example.com'), undefined);
});

test('get: other failures are CREDENTIALS errors naming the helper', async () => {
  await assert.rejects(helperGet('kilntest', 'broken.example.com'), (e: unknown) =>
    isBuilderError(e, 'CREDENTIALS') && e.message.includes('docker-credential-kilntest') && e.message.includes('exit 3'),
  );
  await assert.rejects(helperGet('kilntest', 'garbage.example.com'), (e: unknown) => isBuilderError(e, 'CREDENTIALS') && e.message.includes('JSON'));
  await assert.rejects(helperGet('kilntest-missing', 'reg.example.com'), (e: unknown) =>
    isBuilderError(e, 'CREDENTIALS') && e.message.includes('docker-credential-kilntest-missing') && e.message.includes('not found on PATH'),
  );
});

test('keychain: credHelpers per host, credsStore for the rest, Docker Hub asked as https://index.docker.io/v1/', async () => {
  const cfg = join(dir, 'cfg');
  mkdirSync(cfg, { recursive: true });
  writeFileSync(
    join(cfg, 'config.json'),
    JSON.stringify({
      credsStore: 'kilntest',
      credHelpers: { 'https://reg.example.com': 'kilntest', 'other.example.com': 'kilntest-missing' },
      auths: { 'fallback.example.com': { auth: Buffer.from('fb:fbpass').toString('base64') } },
    }),
  );
  writeFileSync(logFile(), '');
  const kc = new DockerKeychain({ DOCKER_CONFIG: cfg, HOME: dir, PATH: process.env.PATH });
  assert.deepEqual(await kc.resolve('reg.example.com', 'x'), { kind: 'basic', username: 'alice', password: 'alice-secret-2' });
  assert.deepEqual(await kc.resolve('docker.io', 'library/busybox'), { kind: 'basic', username: 'hubby', password: 'hub-secret-1' });
  // The store has nothing for it: the auths entry (written by kiln login) answers.
  assert.deepEqual(await kc.resolve('fallback.example.com', 'x'), { kind: 'basic', username: 'fb', password: 'fbpass' });
  await assert.rejects(kc.resolve('other.example.com', 'x'), (e: unknown) => isBuilderError(e, 'CREDENTIALS'));
  // Asked once per registry and repository, whatever the number of look-ups.
  await kc.resolve('reg.example.com', 'x');
  const asked = readFileSync(logFile(), 'utf8').trim().split('\n');
  assert.deepEqual(asked, ['reg.example.com', 'https://index.docker.io/v1/', 'fallback.example.com']);
});
