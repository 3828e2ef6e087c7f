// The client through the lab's fault proxy: injected 500s, 429s with Retry-After and connection
// resets are retried until the push and the pull complete; corrupted blob bytes are caught.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { startRegistry, type LabRegistry } from '../support/registry.ts';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { RegistryClient } from '../../src/registry/client.ts';
import { parseReference, parseRepository } from '../../src/registry/reference.ts';
import { anonymousKeychain } from '../../src/auth/credential.ts';
import { sha256 } from '../../src/oci/digest.ts';
import { MediaType } from '../../src/oci/mediatypes.ts';
import { isBuilderError } from '../../src/util/errors.ts';

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('through the fault proxy', () => {
  let reg: LabRegistry;
  let proxy: FaultProxy;
  before(async () => {
    reg = await startRegistry('plain');
    proxy = await startFaultProxy({ target: reg.url, seed: Number(process.env.KILN_FAULT_SEED ?? 7), retryAfter: 1 });
  });
  after(async () => {
    await proxy?.stop();
    await reg?.stop();
  });

  it('completes a push and a pull while requests fail with 500, 429 and resets', async () => {
    const c = new RegistryClient({ keychain: anonymousKeychain, retries: 6, chunkThreshold: 20_000, chunkSize: 8192 });
    const small = randomBytes(3000);
    const large = randomBytes(50_000);
    const config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
    const ref = parseReference(`${proxy.host}/faults/app:v1`);
    try {
      // Reach /v2/ before faults start, so the ping does not decide the test.
      await c.ping(proxy.host, 'push');
      proxy.rates = { '500': 0.15, '429': 0.05, reset: 0.1 };
      for (const b of [small, large, config]) {
        await c.uploadBlob(ref.context(), { digest: sha256(b), size: b.length }, async () => Readable.from([b]));
      }
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.OciManifest,
          config: { mediaType: MediaType.OciConfig, digest: sha256(config), size: config.length },
          layers: [small, large].map((b) => ({ mediaType: MediaType.OciLayerGzip, digest: sha256(b), size: b.length })),
        }),
      );
      const digest = await c.putManifest(ref, manifest, MediaType.OciManifest);
      const got = await c.getManifest(ref.withDigest(digest));
      assert.deepEqual(got.bytes, manifest);
      for (const b of [small, large]) {
        assert.deepEqual(await readAll(await c.getBlob(ref.context(), sha256(b), b.length)), b);
      }
      const injected = proxy.counters.injected500 + proxy.counters.injected429 + proxy.counters.resets;
      assert.ok(injected >= 3, `faults were injected: ${JSON.stringify(proxy.counters)}`);
    } finally {
      proxy.rates = {};
      await c.close();
    }
  });

  it('resumes downloads cut off in the middle of the body', async () => {
    const c = new RegistryClient({ keychain: anonymousKeychain, retries: 8 });
    const bytes = randomBytes(400_000);
    const repo = parseRepository(`${proxy.host}/faults/truncated`);
    try {
      await c.uploadBlob(repo, { digest: sha256(bytes), size: bytes.length }, async () => Readable.from([bytes]));
      const before = proxy.counters.truncated;
      proxy.rates = { truncate: 0.5 };
      for (let i = 0; i < 3; i++) assert.deepEqual(await readAll(await c.getBlob(repo, sha256(bytes), bytes.length)), bytes);
      assert.ok(proxy.counters.truncated > before, `downloads were cut: ${JSON.stringify(proxy.counters)}`);
    } finally {
      proxy.rates = {};
      await c.close();
    }
  });

  it('errors with DIGEST_MISMATCH when a blob arrives corrupted', async () => {
    const c = new RegistryClient({ keychain: anonymousKeychain });
    const bytes = randomBytes(10_000);
    const repo = parseRepository(`${proxy.host}/faults/corrupt`);
    try {
      await c.uploadBlob(repo, { digest: sha256(bytes), size: bytes.length }, async () => Readable.from([bytes]));
      proxy.corruptDigests.add(sha256(bytes));
      await assert.rejects(readAll(await c.getBlob(repo, sha256(bytes))), (e: unknown) =>
        isBuilderError(e, 'DIGEST_MISMATCH') && e.message.includes(sha256(bytes)) && e.message.includes(proxy.host),
      );
      assert.ok(proxy.counters.corrupted >= 1);
    } finally {
      proxy.corruptDigests.clear();
      await c.close();
    }
  });

  it('gives up after its retries with the status in the message', async () => {
    const c = new RegistryClient({ keychain: anonymousKeychain, retries: 1 });
    try {
      await c.ping(proxy.host);
      proxy.rates = { '500': 1 };
      await assert.rejects(c.getManifest(parseReference(`${proxy.host}/faults/app:v1`)), (e: unknown) =>
        isBuilderError(e, 'REGISTRY_ERROR') && e.message.includes('HTTP 500') && e.message.includes(proxy.host),
      );
    } finally {
      proxy.rates = {};
      await c.close();
    }
  });

  it('names the host when nothing listens', async () => {
    const port = Number(proxy.host.split(':')[1]);
    await proxy.stop();
    const c = new RegistryClient({ keychain: anonymousKeychain });
    try {
      await assert.rejects(c.getManifest(parseReference(`127.0.0.1:${port}/x:y`)), (e: unknown) =>
        isBuilderError(e, 'REGISTRY_UNREACHABLE') && e.message.includes(`127.0.0.1:${port}`) && e.message.includes('connection refused'),
      );
    } finally {
      await c.close();
    }
  });
});
