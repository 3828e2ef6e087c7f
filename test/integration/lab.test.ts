// Proves the test lab itself: each registry variant answers and enforces its auth, the token
// server follows the spec, the fault proxy misbehaves reproducibly, and the base images are
// accepted by skopeo and umoci.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch, type RequestInit } from 'undici';
import { startRegistry, type LabRegistry } from '../support/registry.ts';
import { startFaultProxy } from '../support/fault-proxy.ts';
import { BASE_IMAGE_REFS, baseImageDigest, baseImageLayout, pushBaseImage, pushBaseImages } from '../support/base-images.ts';
import { buildahBuild } from '../support/buildah.ts';
import { repoRoot } from '../support/lab-dir.ts';
import { run, CommandError } from '../support/exec.ts';

const SERVICE = 'kiln-lab-registry';

async function inspect(reg: LabRegistry, ref: string, extra: string[] = []): Promise<Record<string, unknown>> {
  const auth = reg.authFile ? ['--authfile', reg.authFile] : [];
  const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', ...auth, ...extra, `docker://${ref}`]);
  return JSON.parse(stdout) as Record<string, unknown>;
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

function decodeJwt(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [h, c] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(c, 'base64url').toString()) as Record<string, unknown>,
  };
}

describe('plain registry', () => {
  let reg: LabRegistry;
  before(async () => {
    reg = await startRegistry('plain');
  });
  after(() => reg.stop());

  it('takes an anonymous push and gives the same image back', async () => {
    const refs = await pushBaseImages(reg, ['busybox']);
    assert.equal(refs.busybox, `${reg.host}/${BASE_IMAGE_REFS.busybox}`);
    const info = await inspect(reg, refs.busybox);
    assert.equal(info.Digest, await baseImageDigest('busybox'));
    assert.equal(info.Os, 'linux');
    const out = await mkdtemp(join(tmpdir(), 'kiln-lab-test-'));
    try {
      await run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${refs.busybox}`, `oci:${out}:latest`]);
      const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
      assert.equal(index.manifests[0].digest, info.Digest);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('serves a two-platform index', async () => {
    const refs = await pushBaseImages(reg, ['multi']);
    const raw = (await inspect(reg, refs.multi, ['--raw'])) as { manifests: Array<{ platform: { architecture: string } }> };
    assert.deepEqual(raw.manifests.map((m) => m.platform.architecture), ['amd64', 'arm64']);
    const arm = await inspect(reg, refs.multi, ['--override-arch', 'arm64']);
    assert.equal(arm.Architecture, 'arm64');
  });

  it('converts to Docker schema 2 on request', async () => {
    const ref = await pushBaseImage(reg, 'multi', { format: 'v2s2', ref: 'docker/multi:v2s2' });
    const raw = await inspect(reg, ref, ['--raw']);
    assert.equal(raw.mediaType, 'application/vnd.docker.distribution.manifest.list.v2+json');
  });

  it('stop() ends the registry and removes its files', async () => {
    const other = await startRegistry('plain');
    await other.stop();
    assert.equal(existsSync(other.rootDir), false);
    await assert.rejects(fetch(`${other.url}/v2/`));
  });
});

describe('tls-basic registry', () => {
  let reg: LabRegistry;
  let dispatcher: Agent;
  before(async () => {
    reg = await startRegistry('tls-basic');
    dispatcher = new Agent({ connect: { ca: await readFile(reg.caFile ?? '') } });
  });
  after(async () => {
    await dispatcher.close();
    await reg.stop();
  });

  it('serves HTTPS with a certificate the lab CA vouches for', async () => {
    assert.match(reg.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${reg.url}/v2/`, { dispatcher });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="kiln-lab"/);
  });

  it('refuses a wrong password and accepts the right one', async () => {
    const wrong = await fetch(`${reg.url}/v2/`, { dispatcher, headers: { authorization: basic(reg.username ?? '', 'wrong') } });
    assert.equal(wrong.status, 401);
    const right = await fetch(`${reg.url}/v2/`, { dispatcher, headers: { authorization: basic(reg.username ?? '', reg.password ?? '') } });
    assert.equal(right.status, 200);
  });

  it('takes a push with the auth file and refuses one without', async () => {
    const refs = await pushBaseImages(reg, ['busybox']);
    assert.equal((await inspect(reg, refs.busybox)).Digest, await baseImageDigest('busybox'));
    const layout = await baseImageLayout('busybox');
    await assert.rejects(
      run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', '--dest-no-creds', `oci:${layout}:latest`, `docker://${reg.host}/anon/busybox:1`]),
      (err: unknown) => err instanceof CommandError && !err.message.includes(reg.password ?? '\0'),
    );
  });
});

describe('token registry', () => {
  let reg: LabRegistry;
  before(async () => {
    reg = await startRegistry('token', { users: { alice: 'alice-secret', reader: 'reader-secret' }, permissions: { reader: { '*': ['pull'] } } });
  });
  after(() => reg.stop());

  async function token(params: Record<string, string | string[]>, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
    const url = new URL(reg.tokenServer?.realm ?? '');
    for (const [k, v] of Object.entries(params)) for (const x of [v].flat()) url.searchParams.append(k, x);
    const res = await fetch(url, init);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  async function post(form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(reg.tokenServer?.realm ?? '', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it('challenges with a Bearer realm and service', async () => {
    const res = await fetch(`${reg.url}/v2/`);
    assert.equal(res.status, 401);
    const challenge = res.headers.get('www-authenticate') ?? '';
    assert.match(challenge, /^Bearer /);
    assert.ok(challenge.includes(`realm="${reg.tokenServer?.realm}"`));
    assert.ok(challenge.includes(`service="${SERVICE}"`));
  });

  it('grants the scopes a user holds, as an x5c-signed JWT the registry accepts', async () => {
    const { status, body } = await token(
      { service: SERVICE, scope: ['repository:lab/a:pull,push', 'repository:lab/b:pull'] },
      { headers: { authorization: basic('alice', 'alice-secret') } },
    );
    assert.equal(status, 200);
    assert.equal(typeof body.expires_in, 'number');
    assert.ok(!Number.isNaN(Date.parse(String(body.issued_at))));
    assert.equal(body.refresh_token, undefined);
    const { header, claims } = decodeJwt(String(body.token));
    assert.equal(header.alg, 'RS256');
    assert.ok(Array.isArray(header.x5c));
    assert.equal(claims.aud, SERVICE);
    assert.deepEqual(claims.access, [
      { type: 'repository', name: 'lab/a', actions: ['pull', 'push'] },
      { type: 'repository', name: 'lab/b', actions: ['pull'] },
    ]);
    const upload = await fetch(`${reg.url}/v2/lab/a/blobs/uploads/`, { method: 'POST', headers: { authorization: `Bearer ${body.token}` } });
    assert.equal(upload.status, 202);
  });

  it('answers 401 insufficient_scope when the token lacks push', async () => {
    const { body } = await token(
      { service: SERVICE, scope: 'repository:lab/a:pull,push' },
      { headers: { authorization: basic('reader', 'reader-secret') } },
    );
    assert.deepEqual(decodeJwt(String(body.token)).claims.access, [{ type: 'repository', name: 'lab/a', actions: ['pull'] }]);
    const res = await fetch(`${reg.url}/v2/lab/a/blobs/uploads/`, { method: 'POST', headers: { authorization: `Bearer ${body.token}` } });
    assert.equal(res.status, 401);
    assert.match(await res.text(), /insufficient_scope|UNAUTHORIZED/);
    assert.match(res.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
    assert.match(res.headers.get('www-authenticate') ?? '', /scope="repository:lab\/a:(pull,)?push/);
  });

  it('refuses a wrong password, and gives anonymous callers pull only', async () => {
    const wrong = await token({ service: SERVICE, scope: 'repository:lab/a:pull' }, { headers: { authorization: basic('alice', 'nope') } });
    assert.equal(wrong.status, 401);
    const anon = await token({ service: SERVICE, scope: 'repository:lab/a:pull,push' });
    assert.equal(anon.status, 200);
    assert.deepEqual(decodeJwt(String(anon.body.token)).claims.access, [{ type: 'repository', name: 'lab/a', actions: ['pull'] }]);
  });

  it('issues refresh tokens on the password grant and honours the refresh grant', async () => {
    const pw = await post({ grant_type: 'password', client_id: 'kiln-test', username: 'alice', password: 'alice-secret', service: SERVICE, scope: 'repository:lab/a:pull' });
    assert.equal(pw.status, 200);
    assert.equal(typeof pw.body.refresh_token, 'string');
    const refreshed = await post({ grant_type: 'refresh_token', client_id: 'kiln-test', refresh_token: String(pw.body.refresh_token), service: SERVICE, scope: 'repository:lab/a:pull,push' });
    assert.equal(refreshed.status, 200);
    const { claims } = decodeJwt(String(refreshed.body.access_token));
    assert.equal(claims.sub, 'alice');
    assert.deepEqual(claims.access, [{ type: 'repository', name: 'lab/a', actions: ['pull', 'push'] }]);
    const offline = await token({ service: SERVICE, scope: 'repository:lab/a:pull', offline_token: 'true' }, { headers: { authorization: basic('alice', 'alice-secret') } });
    assert.equal(typeof offline.body.refresh_token, 'string');
    assert.equal((await post({ grant_type: 'refresh_token', client_id: 'kiln-test', refresh_token: 'forged', service: SERVICE })).status, 401);
    assert.equal((await post({ grant_type: 'password', username: 'alice', password: 'alice-secret', service: SERVICE })).status, 400);
  });

  it('takes a skopeo push and counts the token requests', async () => {
    const server = reg.tokenServer;
    assert.ok(server);
    const before = server.counters.requests;
    const refs = await pushBaseImages(reg, ['busybox']);
    assert.equal((await inspect(reg, refs.busybox)).Digest, await baseImageDigest('busybox'));
    assert.ok(server.counters.requests > before);
    assert.ok(server.log.some((r) => r.account === 'alice' && r.scopes.some((s) => s.includes('library/busybox') && s.includes('push'))));
  });

  it('works with ES256 tokens over HTTPS and with anonymous access off', async () => {
    const es = await startRegistry('token', { tokenAlgorithm: 'ES256', tls: true, anonymous: 'none' });
    try {
      assert.match(es.url, /^https:/);
      assert.match(es.tokenServer?.realm ?? '', /^https:/);
      const refs = await pushBaseImages(es, ['busybox']);
      assert.equal((await inspect(es, refs.busybox)).Digest, await baseImageDigest('busybox'));
      await assert.rejects(run('skopeo', ['inspect', '--tls-verify=false', '--no-creds', `docker://${refs.busybox}`]));
    } finally {
      await es.stop();
    }
  });
});

describe('fault proxy', () => {
  let reg: LabRegistry;
  before(async () => {
    reg = await startRegistry('plain');
    await pushBaseImages(reg, ['busybox']);
  });
  after(() => reg.stop());

  async function statuses(seed: number, n: number): Promise<string[]> {
    const proxy = await startFaultProxy({ target: reg.url, seed, rates: { '500': 0.2, '429': 0.2, reset: 0.2 } });
    const seen: string[] = [];
    try {
      for (let i = 0; i < n; i++) {
        try {
          const res = await fetch(`${proxy.url}/v2/`);
          await res.arrayBuffer();
          seen.push(res.status === 429 ? `429:${res.headers.get('retry-after')}` : String(res.status));
        } catch {
          seen.push('reset');
        }
      }
      assert.equal(proxy.counters.requests, n);
      assert.equal(proxy.counters.injected500, seen.filter((s) => s === '500').length);
    } finally {
      await proxy.stop();
    }
    return seen;
  }

  it('injects 500, 429 and resets in a sequence fixed by the seed', async () => {
    const a = await statuses(42, 40);
    assert.deepEqual(await statuses(42, 40), a);
    for (const kind of ['200', '500', '429:0', 'reset']) assert.ok(a.includes(kind), `${kind} in ${a.join(' ')}`);
  });

  it('corrupts blob downloads of a chosen digest and forwards the rest', async () => {
    const layout = await baseImageLayout('busybox');
    const manifest = JSON.parse(await readFile(join(layout, 'blobs', 'sha256', (await baseImageDigest('busybox')).slice(7)), 'utf8')) as { layers: Array<{ digest: string }>; config: { digest: string } };
    const layer = manifest.layers[0].digest;
    const proxy = await startFaultProxy({ target: reg.url, corruptDigests: [layer] });
    try {
      const sha = async (digest: string): Promise<string> => {
        const res = await fetch(`${proxy.url}/v2/library/busybox/blobs/${digest}`);
        assert.equal(res.status, 200);
        return `sha256:${createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex')}`;
      };
      assert.notEqual(await sha(layer), layer);
      assert.equal(await sha(manifest.config.digest), manifest.config.digest);
      assert.equal(proxy.counters.corrupted, 1);
    } finally {
      await proxy.stop();
    }
  });
});

describe('base images', () => {
  it('busybox is bit-identical when made again from scratch', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kiln-lab-test-'));
    try {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts/lab/build-images.ts'), 'busybox'], {
        env: { ...process.env, KILN_LAB_DIR: dir },
        cwd: repoRoot,
      });
      assert.equal(stdout.split('\t')[1], await baseImageDigest('busybox'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('umoci unpacks the busybox layout into a working root', async () => {
    const bundle = join(await mkdtemp(join(tmpdir(), 'kiln-lab-test-')), 'bundle');
    try {
      await run('umoci', ['unpack', '--image', `${await baseImageLayout('busybox')}:latest`, bundle]);
      const rootfs = join(bundle, 'rootfs');
      assert.equal(await readlink(join(rootfs, 'bin/sh')), '/bin/busybox');
      assert.equal((await lstat(join(rootfs, 'tmp'))).mode & 0o7777, 0o1777);
      assert.match(await readFile(join(rootfs, 'etc/passwd'), 'utf8'), /^nobody:x:65534:65534:/m);
      const { stdout } = await run('chroot', [rootfs, '/bin/sh', '-c', 'echo $((6 * 7))']);
      assert.equal(stdout.trim(), '42');
    } finally {
      await rm(join(bundle, '..'), { recursive: true, force: true });
    }
  });

  it('debian:bookworm is made by debootstrap, pushed, and inspected', { timeout: 15 * 60_000 }, async () => {
    const reg = await startRegistry('plain');
    try {
      const refs = await pushBaseImages(reg, ['debian']);
      assert.equal(refs.debian, `${reg.host}/library/debian:bookworm`);
      const info = (await inspect(reg, refs.debian)) as { Digest: string; Layers: string[]; Env: string[] };
      assert.equal(info.Digest, await baseImageDigest('debian'));
      assert.equal(info.Layers.length, 1);
      const { stdout } = await run('tar', ['-tzf', join(await baseImageLayout('debian'), 'blobs', 'sha256', info.Layers[0].slice(7))]);
      const names = new Set(stdout.split('\n'));
      assert.ok(names.has('etc/debian_version') && names.has('usr/bin/apt-get'));
      assert.ok(!names.has('etc/resolv.conf') && !names.has('etc/hostname'));
    } finally {
      await reg.stop();
    }
  });

  it('buildah builds FROM busybox against the lab registry and pushes', async () => {
    const reg = await startRegistry('plain');
    const ctx = await mkdtemp(join(tmpdir(), 'kiln-lab-test-'));
    try {
      await pushBaseImages(reg, ['busybox']);
      await writeFile(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN echo built > /built\n');
      const digest = await buildahBuild(ctx, 'Dockerfile', 'conformance/lab:1', reg);
      assert.equal((await inspect(reg, `${reg.host}/conformance/lab:1`)).Digest, digest);
    } finally {
      await reg.stop();
      await rm(ctx, { recursive: true, force: true });
    }
  });
});
