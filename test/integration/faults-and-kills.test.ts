// A build over a network that fails one request in ten, and builds killed part way. Through the
// fault proxy every run ends with the digest of a clean run or one line after its retries, and
// no manifest reaches the registry before every blob it names; after a SIGKILL at any point,
// nothing left in the layer cache, the OCI layout output or the registry is trusted unverified:
// what an index or a tag names is whole, and the next build makes the clean run's image.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { prng } from '../support/prng.ts';
import { kiln, kilnProcess } from '../support/kiln-cli.ts';
import { openBuildLab, type BuildLab } from '../support/build-lab.ts';
import { startFaultProxy, type FaultProxy, type ForwardedRequest } from '../support/fault-proxy.ts';

let lab: BuildLab | undefined;
let proxy: FaultProxy | undefined;
let dir: string;

before(async () => {
  lab = await openBuildLab('kiln-faults-test-');
  proxy = await startFaultProxy({ target: lab.reg.url, seed: 1, retryAfter: 0 });
  dir = join(lab.work, 'ctx');
  await mkdir(dir, { recursive: true });
  // Incompressible and the same on every run, so pushes and cache writes take a while and a
  // rebuild's digest can be compared with the clean one.
  const random = prng(42);
  const big = Buffer.alloc(24 << 20);
  for (let i = 0; i < big.length; i += 4) big.writeUInt32LE(Math.floor(random() * 2 ** 32), i);
  await writeFile(join(dir, 'big.bin'), big);
  await writeFile(join(dir, 'Dockerfile'), `FROM ${lab.busybox.replace(lab.reg.host, proxy.host)}\nCOPY big.bin /data/big.bin\nRUN echo built > /built && wc -c /data/big.bin > /size\n`);
});
after(async () => {
  await proxy?.stop();
  await lab?.close();
});

function buildArgs(dest: string, extra: string[] = []): string[] {
  return ['build', '--context', dir, '--reproducible', '--destination', dest, '--insecure-registry', proxy!.host, '--insecure-registry', lab!.reg.host, ...extra];
}

async function digestOf(file: string): Promise<string> {
  return (await readFile(file, 'utf8')).trim();
}

async function cleanDigest(): Promise<string> {
  proxy!.rates = {};
  const file = join(lab!.work, 'clean.digest');
  const res = await kiln(buildArgs(`${lab!.reg.host}/clean/app:1`, ['--digest-file', file]));
  assert.equal(res.code, 0, res.stderr);
  return digestOf(file);
}

interface ManifestBody {
  config: { digest: string };
  layers: { digest: string }[];
}

/** Every blob a pushed manifest names had been stored in its repository before the manifest PUT. */
async function assertBlobsBeforeManifests(log: ForwardedRequest[]): Promise<number> {
  let manifests = 0;
  for (const [i, put] of log.entries()) {
    const m = /^\/v2\/(.+)\/manifests\/([^/?]+)$/.exec(put.url);
    if (put.method !== 'PUT' || !m || put.status !== 201) continue;
    manifests++;
    const [, repo, ref] = m;
    const res = await fetch(`${lab!.reg.url}/v2/${repo}/manifests/${ref}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' } });
    const body = (await res.json()) as ManifestBody;
    for (const digest of [body.config.digest, ...body.layers.map((l) => l.digest)]) {
      const stored = log.slice(0, i).some((r) => {
        const url = decodeURIComponent(r.url);
        if (!url.startsWith(`/v2/${repo}/blobs/`)) return false;
        return (
          (r.method === 'PUT' && r.status === 201 && url.includes(`digest=${digest}`)) ||
          (r.method === 'POST' && r.status === 201 && url.includes(`mount=${digest}`)) ||
          (r.method === 'HEAD' && r.status === 200 && url.endsWith(`/blobs/${digest}`))
        );
      });
      assert.ok(stored, `manifest ${repo}:${ref} was pushed before its blob ${digest}`);
    }
  }
  return manifests;
}

/** An OCI layout a reader may trust: every blob index.json reaches is present and hashes to its name. */
async function assertLayoutWhole(layout: string): Promise<void> {
  let index: { manifests: { digest: string }[] };
  try {
    index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const check = async (digest: string): Promise<Buffer> => {
    const bytes = await readFile(join(layout, 'blobs', ...digest.split(':')));
    assert.equal(`sha256:${createHash('sha256').update(bytes).digest('hex')}`, digest, `${layout}: blob ${digest} is whole`);
    return bytes;
  };
  for (const entry of index.manifests) {
    const body = JSON.parse((await check(entry.digest)).toString()) as Partial<ManifestBody> & { manifests?: { digest: string }[] };
    for (const d of [body.config?.digest, ...(body.layers ?? []).map((l) => l.digest), ...(body.manifests ?? []).map((c) => c.digest)]) if (d) await check(d);
  }
}

/** A tag in the registry names only blobs the registry has. */
async function assertTagWhole(repo: string, tag: string): Promise<void> {
  const res = await fetch(`${lab!.reg.url}/v2/${repo}/manifests/${tag}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' } });
  if (res.status === 404) return;
  const body = (await res.json()) as ManifestBody;
  for (const d of [body.config.digest, ...body.layers.map((l) => l.digest)]) {
    assert.equal((await fetch(`${lab!.reg.url}/v2/${repo}/blobs/${d}`, { method: 'HEAD' })).status, 200, `${repo}:${tag} names ${d}`);
  }
}

describe('faults and kills', () => {
  test('10% injected 500s, 429s, resets and truncated bodies: the clean digest or one line, and never a manifest before its blobs', async () => {
    const clean = await cleanDigest();
    const outcomes: string[] = [];
    for (const seed of [11, 12, 13]) {
      proxy!.forwarded.length = 0;
      proxy!.rates = { '500': 0.025, '429': 0.025, reset: 0.025, truncate: 0.025 };
      proxy!.reseed(seed);
      const t0 = Date.now();
      const file = join(lab!.work, `faulty-${seed}.digest`);
      const res = await kiln(buildArgs(`${proxy!.host}/faulty/app:${seed}`, ['--digest-file', file]));
      proxy!.rates = {};
      console.log(`seed ${seed}: exit ${res.code} in ${((Date.now() - t0) / 1000).toFixed(1)}s, ${JSON.stringify(proxy!.counters)}`);
      if (res.code === 0) {
        assert.equal(await digestOf(file), clean, `seed ${seed}: the same image as the clean run`);
        outcomes.push('same digest');
      } else {
        const lines = res.stderr.trim().split('\n').filter((l) => l.startsWith('kiln build:'));
        assert.equal(lines.length, 1, `seed ${seed}: one error line:\n${res.stderr}`);
        assert.doesNotMatch(res.stderr, /\n\s+at /, 'no stack trace');
        outcomes.push(`failed: ${lines[0]}`);
      }
      const pushed = await assertBlobsBeforeManifests(proxy!.forwarded);
      if (res.code === 0) assert.ok(pushed >= 1, 'the manifest PUT went through the proxy');
    }
    assert.ok(outcomes.some((o) => o === 'same digest'), `retries should carry at least one run through: ${outcomes.join('; ')}`);
    proxy!.rates = {};
  });

  test('SIGKILL part way through (pull and extract, cache write, layout write, push) leaves nothing a later build trusts unverified', async () => {
    const clean = await cleanDigest();
    const cache = join(lab!.work, 'kill-cache');
    const layout = join(lab!.work, 'kill-layout');
    const t0 = Date.now();
    const full = await kiln(buildArgs(`${lab!.reg.host}/kill/probe:1`, ['--no-push', '--cache', '--cache-copy-layers', '--cache-repo', `oci:${join(lab!.work, 'probe-cache')}`, '--oci-layout-path', join(lab!.work, 'probe-layout')]));
    assert.equal(full.code, 0, full.stderr);
    const duration = Date.now() - t0;
    for (const [n, share] of [0.15, 0.35, 0.55, 0.75, 0.9].entries()) {
      // A killed build cannot remove its workspace (or unmount what it mounted there): keep those in the lab's directory, which close() clears.
      const child = kilnProcess(buildArgs(`${lab!.reg.host}/kill/app:${n}`, ['--cache', '--cache-copy-layers', '--cache-repo', `oci:${cache}`, '--oci-layout-path', layout]), {
        env: { ...process.env, KILN_WORKDIR: join(lab!.work, 'killed-workspaces') },
      });
      child.stderr.resume();
      child.stdout.resume();
      const closed = new Promise((resolve) => child.on('close', resolve));
      setTimeout(() => child.kill('SIGKILL'), Math.round(duration * share));
      await closed;
      await assertLayoutWhole(cache);
      await assertLayoutWhole(layout);
      await assertTagWhole('kill/app', String(n));
    }
    const file = join(lab!.work, 'after-kills.digest');
    const res = await kiln(buildArgs(`${lab!.reg.host}/kill/app:final`, ['--cache', '--cache-copy-layers', '--cache-repo', `oci:${cache}`, '--oci-layout-path', layout, '--digest-file', file]));
    assert.equal(res.code, 0, res.stderr);
    assert.equal(await digestOf(file), clean, 'the build after the kills makes the clean image');
    await assertLayoutWhole(cache);
    await assertLayoutWhole(layout);
    const leftovers = (await readdir(join(cache, 'blobs', 'sha256'))).filter((f) => !/^[0-9a-f]{64}$/.test(f));
    assert.deepEqual(leftovers, [], 'temp files of killed writers are not left among the cache blobs');
  });
});
