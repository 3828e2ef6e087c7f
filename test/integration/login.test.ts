// `kiln login` and `kiln logout` as a user runs them: a real CLI process, the password on stdin,
// a real registry checking it, and the config.json it writes used by a later pull.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { startRegistry, type LabRegistry } from '../support/registry.ts';
import { kiln as runKiln, type KilnResult } from '../support/kiln-cli.ts';
import { RegistryClient } from '../../src/registry/client.ts';
import { parseReference } from '../../src/registry/reference.ts';
import { DockerKeychain } from '../../src/auth/keychain.ts';
import { sha256 } from '../../src/oci/digest.ts';
import { MediaType } from '../../src/oci/mediatypes.ts';
import { isBuilderError } from '../../src/util/errors.ts';


function kiln(args: string[], env: NodeJS.ProcessEnv, input = ''): Promise<KilnResult> {
  return runKiln(args, { env: { ...process.env, ...env }, input });
}

describe('kiln login / logout', () => {
  let reg: LabRegistry;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const password = 'login-Pass-7c6b5a4';
  const ref = () => parseReference(`${reg.host}/login/app:v1`);

  before(async () => {
    // Nothing anonymous: a pull works only with the credentials login saved.
    reg = await startRegistry('token', { users: { kiln: password }, anonymous: 'none' });
    dir = mkdtempSync(join(tmpdir(), 'kiln-login-it-'));
    env = { DOCKER_CONFIG: join(dir, 'docker'), HOME: dir, DOCKER_AUTH_CONFIG: '' };
    // Put an image there to pull later.
    const pusher = new RegistryClient({
      keychain: new DockerKeychain({ HOME: dir, DOCKER_AUTH_CONFIG: readFileSync(reg.authFile!, 'utf8') }),
    });
    const config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
    await pusher.uploadBlob(ref().context(), { digest: sha256(config), size: config.length }, async () => Readable.from([config]));
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: { mediaType: MediaType.OciConfig, digest: sha256(config), size: config.length }, layers: [] }));
    await pusher.putManifest(ref(), manifest, MediaType.OciManifest);
    await pusher.close();
  });
  after(async () => {
    await reg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a wrong password: exit 1, host named, nothing written, no password in output', async () => {
    const wrong = 'not-The-Right-0ne';
    const r = await kiln(['login', reg.host, '-u', 'kiln', '--password-stdin'], env, `${wrong}\n`);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`kiln login: ${reg.host.replace(/\./g, '\\.')}: unauthorized: authentication required`));
    assert.ok(!r.stderr.includes(wrong) && !r.stdout.includes(wrong));
    assert.equal(existsSync(join(dir, 'docker', 'config.json')), false);
  });

  it('checks the password, saves config.json 0600, and a pull with it works', async () => {
    const r = await kiln(['login', reg.host, '-u', 'kiln', '--password-stdin'], env, `${password}\n`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Login Succeeded\n');
    assert.ok(!r.stderr.includes(password));
    const path = join(dir, 'docker', 'config.json');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'docker')).mode & 0o777, 0o700);
    // The token server issued an identity token for the password: that is what is kept, as docker does.
    const text = readFileSync(path, 'utf8');
    const saved = JSON.parse(text) as { auths: Record<string, { auth: string; identitytoken?: string }> };
    assert.equal(Buffer.from(saved.auths[reg.host].auth, 'base64').toString(), 'kiln:');
    assert.ok(saved.auths[reg.host].identitytoken);
    assert.ok(!text.includes(password));

    const puller = new RegistryClient({ keychain: new DockerKeychain(env) });
    try {
      assert.equal((await puller.getManifest(ref())).mediaType, MediaType.OciManifest);
      assert.equal(reg.tokenServer!.log.at(-1)?.grantType, 'refresh_token');
    } finally {
      await puller.close();
    }
  });

  it('warns about -p but accepts it', async () => {
    const r = await kiln(['login', reg.host, '-u', 'kiln', '-p', password], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /insecure/);
    assert.ok(!r.stderr.includes(password));
  });

  it('logout removes the entry; the next pull is unauthorized', async () => {
    const r = await kiln(['logout', reg.host], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Removing login credentials for ${reg.host}\n`);
    const saved = JSON.parse(readFileSync(join(dir, 'docker', 'config.json'), 'utf8')) as { auths: Record<string, unknown> };
    assert.deepEqual(saved.auths, {});
    const puller = new RegistryClient({ keychain: new DockerKeychain(env) });
    try {
      await assert.rejects(puller.getManifest(ref()), (e: unknown) => isBuilderError(e, 'REGISTRY_UNAUTHORIZED') && e.message.includes(reg.host));
    } finally {
      await puller.close();
    }
    assert.equal((await kiln(['logout', reg.host], env)).stdout, `Not logged in to ${reg.host}\n`);
  });

  it('is a usage error without a user or a password', async () => {
    assert.equal((await kiln(['login', reg.host, '--password-stdin'], env, 'x\n')).code, 2);
    assert.equal((await kiln(['login', reg.host, '-u', 'kiln'], env)).code, 2);
    assert.equal((await kiln(['login', `${reg.host}/some/repo`, '-u', 'kiln', '--password-stdin'], env, 'x')).code, 2);
  });
});

describe('kiln login over TLS with basic auth', () => {
  let reg: LabRegistry;
  let dir: string;
  before(async () => {
    reg = await startRegistry('tls-basic');
    dir = mkdtempSync(join(tmpdir(), 'kiln-login-tls-it-'));
  });
  after(async () => {
    await reg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('trusts the CA given with --registry-certificate, and fails TLS without it', async () => {
    const env = { DOCKER_CONFIG: join(dir, 'docker'), HOME: dir, DOCKER_AUTH_CONFIG: '' };
    const without = await kiln(['login', reg.host, '-u', reg.username!, '--password-stdin'], env, reg.password!);
    assert.equal(without.code, 1);
    assert.match(without.stderr, /TLS/);
    const r = await kiln(['login', reg.host, '-u', reg.username!, '--password-stdin', `--registry-certificate=${reg.host}=${reg.caFile}`], env, reg.password!);
    assert.equal(r.code, 0, r.stderr);
    // Basic auth has no token server: the password itself is kept.
    const saved = JSON.parse(readFileSync(join(dir, 'docker', 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
    assert.deepEqual(Object.keys(saved.auths), [reg.host]);
    assert.equal(Buffer.from(saved.auths[reg.host].auth, 'base64').toString(), `${reg.username}:${reg.password}`);
  });

  it("trusts a CA in SSL_CERT_DIR, where kaniko's image has pods mount theirs", async () => {
    const certs = join(dir, 'ssl-certs');
    mkdirSync(certs);
    copyFileSync(reg.caFile!, join(certs, 'lab-ca.crt'));
    writeFileSync(join(certs, 'README'), 'not a certificate\n');
    const env = { DOCKER_CONFIG: join(dir, 'docker-ssl-dir'), HOME: dir, DOCKER_AUTH_CONFIG: '', SSL_CERT_DIR: certs };
    const r = await kiln(['login', reg.host, '-u', reg.username!, '--password-stdin'], env, reg.password!);
    assert.equal(r.code, 0, r.stderr);
    const elsewhere = await kiln(['login', reg.host, '-u', reg.username!, '--password-stdin'], { ...env, SSL_CERT_DIR: join(dir, 'no-such-dir') }, reg.password!);
    assert.equal(elsewhere.code, 1);
    assert.match(elsewhere.stderr, /SSL_CERT_DIR entry .*no-such-dir cannot be read/);
    assert.match(elsewhere.stderr, /TLS/);
  });
});
