// Authentication against the real registry and token server: token caching, every credential
// kind of config.json, refusals that name the host and never the secret, TLS trust, and no
// Authorization header on a redirect to another origin.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { startRegistry, type LabRegistry } from '../support/registry.ts';
import { RegistryClient } from '../../src/registry/client.ts';
import { parseReference, parseRepository } from '../../src/registry/reference.ts';
import type { RegistryOptions } from '../../src/registry/options.ts';
import { DockerKeychain } from '../../src/auth/keychain.ts';
import type { AuthEntry } from '../../src/auth/docker-config.ts';
import { sha256 } from '../../src/oci/digest.ts';
import { MediaType } from '../../src/oci/mediatypes.ts';
import { isBuilderError } from '../../src/util/errors.ts';
import { redact } from '../../src/util/redact.ts';

const home = mkdtempSync(join(tmpdir(), 'kiln-registry-auth-it-'));
after(() => rmSync(home, { recursive: true, force: true }));

function keychain(auths: Record<string, AuthEntry>): DockerKeychain {
  return new DockerKeychain({ HOME: home, DOCKER_CONFIG: join(home, 'none'), DOCKER_AUTH_CONFIG: JSON.stringify({ auths }) });
}

function basicEntry(user: string, password: string): AuthEntry {
  return { auth: Buffer.from(`${user}:${password}`).toString('base64') };
}

function client(reg: LabRegistry, auths: Record<string, AuthEntry>, extra: Partial<RegistryOptions> = {}): RegistryClient {
  return new RegistryClient({ keychain: keychain(auths), certificates: reg.caFile ? { [reg.host]: reg.caFile } : {}, ...extra });
}

async function pushSmallImage(c: RegistryClient, refText: string): Promise<void> {
  const ref = parseReference(refText);
  const layer = randomBytes(1000);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  for (const b of [layer, config]) await c.uploadBlob(ref.context(), { digest: sha256(b), size: b.length }, async () => Readable.from([b]));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: sha256(config), size: config.length },
      layers: [{ mediaType: MediaType.OciLayerGzip, digest: sha256(layer), size: layer.length }],
    }),
  );
  await c.putManifest(ref, manifest, MediaType.OciManifest);
}

/** No run of 4 or more characters of the secret appears in the text. */
function assertNoPartOf(secret: string, text: string): void {
  for (let i = 0; i + 4 <= secret.length; i++) assert.ok(!text.includes(secret.slice(i, i + 4)), `message holds part of the secret: ${text}`);
}

describe('token auth', () => {
  let reg: LabRegistry;
  before(async () => {
    reg = await startRegistry('token', { users: { kiln: 'kiln-pass-9f8e7d', reader: 'reader-pass-1a2b3c' }, permissions: { reader: { '*': ['pull'] } } });
  });
  after(() => reg?.stop());

  it('fetches one token for a whole push and the pulls after it', async () => {
    const c = client(reg, { [reg.host]: basicEntry('kiln', 'kiln-pass-9f8e7d') });
    try {
      const before = reg.tokenServer!.counters.requests;
      await pushSmallImage(c, `${reg.host}/cache/one:v1`);
      await c.getManifest(parseReference(`${reg.host}/cache/one:v1`));
      assert.equal(await c.blobExists(parseRepository(`${reg.host}/cache/one`), sha256('x')), false);
      assert.equal(reg.tokenServer!.counters.requests - before, 1);
      // The password went as an OAuth2 password grant.
      assert.deepEqual(reg.tokenServer!.log.at(-1), { method: 'POST', grantType: 'password', account: 'kiln', scopes: ['repository:cache/one:push,pull'], status: 200 });
      // Concurrent requests for a scope not yet held share one token request.
      const mid = reg.tokenServer!.counters.requests;
      const repo = parseRepository(`${reg.host}/cache/two`);
      await Promise.all(Array.from({ length: 6 }, () => c.blobExists(repo, sha256('y'))));
      assert.equal(reg.tokenServer!.counters.requests - mid, 1);
    } finally {
      await c.close();
    }
  });

  it('asks for the source repository too when mounting', async () => {
    const c = client(reg, { [reg.host]: basicEntry('kiln', 'kiln-pass-9f8e7d') });
    try {
      const b = randomBytes(500);
      await c.uploadBlob(parseRepository(`${reg.host}/mnt/src`), { digest: sha256(b), size: b.length }, async () => Readable.from([b]));
      assert.equal(await c.mountBlob(parseRepository(`${reg.host}/mnt/dst`), sha256(b), 'mnt/src'), true);
      assert.deepEqual(reg.tokenServer!.log.at(-1)?.scopes, ['repository:mnt/dst:push,pull', 'repository:mnt/src:pull']);
    } finally {
      await c.close();
    }
  });

  it('refuses a wrong password: REGISTRY_UNAUTHORIZED naming the host, without the password', async () => {
    const wrong = 'Wr0ng-Secret-Passw0rd';
    const c = client(reg, { [reg.host]: basicEntry('kiln', wrong) });
    try {
      await assert.rejects(c.getManifest(parseReference(`${reg.host}/cache/one:v1`)), (e: unknown) => {
        assert.ok(isBuilderError(e, 'REGISTRY_UNAUTHORIZED'), String(e));
        assert.ok(e.message.includes(reg.host), e.message);
        assert.ok(e.message.includes('unauthorized'), e.message);
        assertNoPartOf(wrong, e.message);
        assertNoPartOf(wrong, String(e.stack));
        assertNoPartOf(Buffer.from(`kiln:${wrong}`).toString('base64'), e.message);
        return true;
      });
    } finally {
      await c.close();
    }
  });

  it('says denied when the credentials are good but the grant is short', async () => {
    const c = client(reg, { [reg.host]: basicEntry('reader', 'reader-pass-1a2b3c') });
    try {
      await c.getManifest(parseReference(`${reg.host}/cache/one:v1`));
      await assert.rejects(pushSmallImage(c, `${reg.host}/cache/readonly:v1`), (e: unknown) =>
        isBuilderError(e, 'REGISTRY_DENIED') && e.message.includes('user "reader"') && e.message.includes(reg.host),
      );
    } finally {
      await c.close();
    }
  });

  it('pulls anonymously where the token server allows it, and refuses an anonymous push', async () => {
    const c = client(reg, {});
    try {
      const m = await c.getManifest(parseReference(`${reg.host}/cache/one:v1`));
      assert.equal(m.mediaType, MediaType.OciManifest);
      assert.equal(reg.tokenServer!.log.at(-1)?.grantType, 'anonymous');
      await assert.rejects(pushSmallImage(c, `${reg.host}/cache/anon:v1`), (e: unknown) => isBuilderError(e, 'REGISTRY_UNAUTHORIZED') && e.message.includes(reg.host));
    } finally {
      await c.close();
    }
  });

  it('exchanges an identity token with the refresh-token grant', async () => {
    const res = await request(reg.tokenServer!.realm, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: 'kiln', password: 'kiln-pass-9f8e7d', client_id: 'test', service: 'kiln-lab-registry' }).toString(),
    });
    const { refresh_token } = (await res.body.json()) as { refresh_token: string };
    const c = client(reg, { [reg.host]: { identitytoken: refresh_token } });
    try {
      await pushSmallImage(c, `${reg.host}/idtoken/app:v1`);
      assert.equal(reg.tokenServer!.log.at(-1)?.grantType, 'refresh_token');
      assert.equal(reg.tokenServer!.log.at(-1)?.account, 'kiln');
      assert.equal(redact(`x ${refresh_token} y`), 'x *** y');
    } finally {
      await c.close();
    }
  });

  it('uses a registry token as it is, without the token server', async () => {
    const url = new URL(reg.tokenServer!.realm);
    url.searchParams.set('service', 'kiln-lab-registry');
    url.searchParams.set('scope', 'repository:regtoken/app:push,pull');
    const res = await request(url, { headers: { authorization: `Basic ${Buffer.from('kiln:kiln-pass-9f8e7d').toString('base64')}` } });
    const { token } = (await res.body.json()) as { token: string };
    const c = client(reg, { [reg.host]: { registrytoken: token } });
    try {
      const before = reg.tokenServer!.counters.requests;
      await pushSmallImage(c, `${reg.host}/regtoken/app:v1`);
      assert.equal(reg.tokenServer!.counters.requests, before);
    } finally {
      await c.close();
    }
  });
});

describe('token expiry', () => {
  let reg: LabRegistry;
  before(async () => {
    reg = await startRegistry('token', { users: { kiln: 'expiry-pass-5e4d3c' }, tokenExpiresIn: 2 });
  });
  after(() => reg?.stop());

  it('fetches a new token once the cached one has expired', async () => {
    const c = client(reg, { [reg.host]: basicEntry('kiln', 'expiry-pass-5e4d3c') });
    try {
      const repo = parseRepository(`${reg.host}/expiry/app`);
      const start = reg.tokenServer!.counters.requests;
      await c.blobExists(repo, sha256('a'));
      await c.blobExists(repo, sha256('b'));
      const afterTwo = reg.tokenServer!.counters.requests;
      assert.ok(afterTwo - start <= 2, 'a fresh token is reused');
      await new Promise((r) => setTimeout(r, 2500));
      await c.blobExists(repo, sha256('c'));
      assert.equal(reg.tokenServer!.counters.requests, afterTwo + 1);
    } finally {
      await c.close();
    }
  });
});

describe('basic auth over TLS', () => {
  let reg: LabRegistry;
  before(async () => {
    reg = await startRegistry('tls-basic');
  });
  after(() => reg?.stop());

  it('refuses a wrong password with the host named and the password absent', async () => {
    const wrong = 'Another-Wrong-Pa55word';
    const c = client(reg, { [`https://${reg.host}/v1/`]: basicEntry(reg.username!, wrong) });
    try {
      await assert.rejects(c.listTags(parseRepository(`${reg.host}/x/y`)), (e: unknown) => {
        assert.ok(isBuilderError(e, 'REGISTRY_UNAUTHORIZED'), String(e));
        assert.ok(e.message.startsWith(`${reg.host}/x/y: unauthorized: authentication required`), e.message);
        assertNoPartOf(wrong, e.message);
        return true;
      });
    } finally {
      await c.close();
    }
  });

  it('fails TLS without the lab CA, with a hint; works with the CA or with verification off', async () => {
    const auths = { [reg.host]: basicEntry(reg.username!, reg.password!) };
    const noCa = new RegistryClient({ keychain: keychain(auths), retries: 0 });
    try {
      await assert.rejects(noCa.ping(reg.host), (e: unknown) =>
        isBuilderError(e, 'REGISTRY_ERROR') && e.message.includes('TLS') && e.message.includes(`--registry-certificate ${reg.host}=`),
      );
    } finally {
      await noCa.close();
    }
    const skip = new RegistryClient({ keychain: keychain(auths), skipTlsVerifyRegistries: [reg.host] });
    try {
      await pushSmallImage(skip, `${reg.host}/tls/skip:v1`);
    } finally {
      await skip.close();
    }
    const withCa = client(reg, auths);
    try {
      assert.equal((await withCa.getManifest(parseReference(`${reg.host}/tls/skip:v1`))).mediaType, MediaType.OciManifest);
      assert.equal((await withCa.ping(reg.host)).origin, `https://${reg.host}`);
    } finally {
      await withCa.close();
    }
  });
});

describe('redirects', () => {
  // A registry front whose blob GETs redirect to "object storage" on another origin, as cloud
  // registries do; storage must never see the registry's Authorization header.
  let front: Server;
  let storage: Server;
  let storageHeaders: IncomingHttpHeaders | undefined;
  const bytes = randomBytes(4000);
  const digest = sha256(bytes);

  before(async () => {
    storage = createServer((req, res) => {
      storageHeaders = req.headers;
      res.writeHead(200, { 'content-length': String(bytes.length) });
      res.end(bytes);
    });
    await new Promise<void>((r) => storage.listen(0, '127.0.0.1', () => r()));
    const storagePort = (storage.address() as AddressInfo).port;
    front = createServer((req, res) => {
      if (req.headers.authorization !== `Basic ${Buffer.from('u:front-secret').toString('base64')}`) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="front"' }).end();
      } else if (req.url === `/v2/r/blobs/${digest}`) {
        // "localhost" is another origin than "127.0.0.1", though the same machine.
        res.writeHead(307, { location: `http://localhost:${storagePort}/bucket/${digest}?sig=abc` }).end();
      } else {
        res.writeHead(200).end('{}');
      }
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', () => r()));
  });
  after(() => {
    front.close();
    storage.close();
  });

  it('follows the redirect and drops Authorization for the other origin', async () => {
    const host = `127.0.0.1:${(front.address() as AddressInfo).port}`;
    const c = new RegistryClient({ keychain: keychain({ [host]: basicEntry('u', 'front-secret') }) });
    try {
      const got: Buffer[] = [];
      for await (const chunk of await c.getBlob(parseRepository(`${host}/r`), digest, bytes.length)) got.push(chunk as Buffer);
      assert.deepEqual(Buffer.concat(got), bytes);
      assert.ok(storageHeaders, 'storage was reached');
      assert.equal(storageHeaders.authorization, undefined);
    } finally {
      await c.close();
    }
  });
});

describe('token servers without OAuth2', () => {
  // The token spec's older half: a realm that answers only GET with Basic credentials. The OAuth2
  // POST gets a 404 and the client falls back to GET, as the spec tells clients to.
  let registry: Server;
  let tokens: Server;
  const seen: string[] = [];
  const secret = 'get-only-Secret-42';

  before(async () => {
    tokens = createServer((req, res) => {
      seen.push(`${req.method} ${req.url?.split('?')[0]} ${req.headers.authorization ? 'basic' : 'none'}`);
      if (req.method !== 'GET') return void res.writeHead(404).end();
      const ok = req.headers.authorization === `Basic ${Buffer.from(`u:${secret}`).toString('base64')}`;
      if (!ok) return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"bad credentials"}');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"opaque-get-token","expires_in":300}');
    });
    await new Promise<void>((r) => tokens.listen(0, '127.0.0.1', () => r()));
    const realm = `http://127.0.0.1:${(tokens.address() as AddressInfo).port}/token`;
    registry = createServer((req, res) => {
      if (req.headers.authorization !== 'Bearer opaque-get-token') {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm}",service="svc"` }).end();
      } else {
        res.writeHead(200).end();
      }
    });
    await new Promise<void>((r) => registry.listen(0, '127.0.0.1', () => r()));
  });
  after(() => {
    registry.close();
    tokens.close();
  });

  it('falls back from the POST password grant to GET with Basic', async () => {
    const host = `127.0.0.1:${(registry.address() as AddressInfo).port}`;
    const c = new RegistryClient({ keychain: keychain({ [host]: basicEntry('u', secret) }) });
    try {
      await c.checkAuth(host);
      assert.deepEqual(seen, ['POST /token none', 'GET /token basic']);
    } finally {
      await c.close();
    }
    const wrong = new RegistryClient({ keychain: keychain({ [host]: basicEntry('u', 'nope-wrong-1') }) });
    try {
      await assert.rejects(wrong.checkAuth(host), (e: unknown) => isBuilderError(e, 'REGISTRY_UNAUTHORIZED') && e.message.startsWith(`${host}: unauthorized`));
    } finally {
      await wrong.close();
    }
  });
});

