// RegistryClient against the real distribution registry in each lab variant: plain HTTP,
// HTTPS with htpasswd basic auth, and bearer tokens from the lab token server.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { startRegistry, type LabRegistry, type RegistryVariant } from '../support/registry.ts';
import { RegistryClient } from '../../src/registry/client.ts';
import { parseReference, parseRepository } from '../../src/registry/reference.ts';
import type { RegistryOptions, ProgressEvent } from '../../src/registry/options.ts';
import { DockerKeychain } from '../../src/auth/keychain.ts';
import { sha256, type Digest } from '../../src/oci/digest.ts';
import { MediaType } from '../../src/oci/mediatypes.ts';
import { isBuilderError } from '../../src/util/errors.ts';

const home = mkdtempSync(join(tmpdir(), 'kiln-registry-it-'));
after(() => rmSync(home, { recursive: true, force: true }));

/** A keychain reading the lab's config.json through DOCKER_AUTH_CONFIG, as a CI job would give it. */
function keychainFor(reg: LabRegistry): DockerKeychain {
  const env: NodeJS.ProcessEnv = { HOME: home, DOCKER_CONFIG: join(home, 'none') };
  if (reg.authFile) env.DOCKER_AUTH_CONFIG = readFileSync(reg.authFile, 'utf8');
  return new DockerKeychain(env);
}

function clientFor(reg: LabRegistry, extra: Partial<RegistryOptions> = {}): RegistryClient {
  return new RegistryClient({
    keychain: keychainFor(reg),
    certificates: reg.caFile ? { [reg.host]: reg.caFile } : {},
    ...extra,
  });
}

interface Blob {
  bytes: Buffer;
  digest: Digest;
  size: number;
}

function blob(bytes: Buffer): Blob {
  return { bytes, digest: sha256(bytes), size: bytes.length };
}

const opener = (b: Blob) => async () => Readable.from([b.bytes.subarray(0, 7), b.bytes.subarray(7)]);

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

function manifestFor(config: Blob, layers: Blob[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: config.digest, size: config.size },
      layers: layers.map((l) => ({ mediaType: MediaType.OciLayerGzip, digest: l.digest, size: l.size })),
    }),
  );
}

async function pushImage(client: RegistryClient, refText: string, layers: Blob[]): Promise<{ digest: Digest; manifest: Buffer; config: Blob }> {
  const ref = parseReference(refText);
  const config = blob(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, nonce: randomBytes(8).toString('hex') })));
  for (const b of [config, ...layers]) await client.uploadBlob(ref.context(), b, opener(b));
  const manifest = manifestFor(config, layers);
  const digest = await client.putManifest(ref, manifest, MediaType.OciManifest);
  return { digest, manifest, config };
}

for (const variant of ['plain', 'tls-basic', 'token'] as RegistryVariant[]) {
  describe(`round trip on the ${variant} registry`, () => {
    let reg: LabRegistry;
    let client: RegistryClient;
    before(async () => {
      reg = await startRegistry(variant);
      client = clientFor(reg);
    });
    after(async () => {
      await client?.close();
      await reg?.stop();
    });

    it('pushes blobs and a manifest, then reads them back verified', async () => {
      const layer = blob(randomBytes(5000));
      const { digest, manifest, config } = await pushImage(client, `${reg.host}/kiln/roundtrip:v1`, [layer]);
      assert.equal(digest, sha256(manifest));

      const byTag = await client.getManifest(parseReference(`${reg.host}/kiln/roundtrip:v1`));
      assert.deepEqual(byTag.bytes, manifest);
      assert.equal(byTag.mediaType, MediaType.OciManifest);
      assert.equal(byTag.digest, digest);
      const byDigest = await client.getManifest(parseReference(`${reg.host}/kiln/roundtrip@${digest}`));
      assert.deepEqual(byDigest.bytes, manifest);

      const head = await client.headManifest(parseReference(`${reg.host}/kiln/roundtrip:v1`));
      assert.deepEqual(head, { digest, mediaType: MediaType.OciManifest, size: manifest.length });
      assert.equal(await client.headManifest(parseReference(`${reg.host}/kiln/roundtrip:nope`)), undefined);

      const repo = parseRepository(`${reg.host}/kiln/roundtrip`);
      assert.equal(await client.blobExists(repo, layer.digest), true);
      assert.equal(await client.blobExists(repo, sha256('absent')), false);
      assert.deepEqual(await readAll(await client.getBlob(repo, layer.digest, layer.size)), layer.bytes);
      assert.deepEqual(await readAll(await client.getBlob(repo, config.digest)), config.bytes);
      assert.deepEqual(await client.listTags(repo), ['v1']);
    });

    it('skips a blob the repository already has', async () => {
      const b = blob(randomBytes(100));
      const repo = parseRepository(`${reg.host}/kiln/skip`);
      assert.equal(await client.uploadBlob(repo, b, opener(b)), true);
      let opened = 0;
      assert.equal(await client.uploadBlob(repo, b, async () => (opened++, Readable.from([b.bytes]))), false);
      assert.equal(opened, 0);
    });

    it('uploads a large blob in PATCH chunks with progress', async () => {
      const events: ProgressEvent[] = [];
      const chunky = clientFor(reg, { chunkThreshold: 10_000, chunkSize: 4096, onProgress: (e) => events.push(e) });
      try {
        const b = blob(randomBytes(30_000));
        const repo = parseRepository(`${reg.host}/kiln/chunked`);
        assert.equal(await chunky.uploadBlob(repo, b, opener(b)), true);
        assert.deepEqual(await readAll(await chunky.getBlob(repo, b.digest, b.size)), b.bytes);
        const uploads = events.filter((e) => e.phase === 'upload');
        assert.equal(uploads.at(-1)?.done, b.size);
        assert.ok(events.some((e) => e.phase === 'download' && e.done === b.size));
      } finally {
        await chunky.close();
      }
    });

    it('refuses a chunked upload whose bytes are not the digest, before committing', async () => {
      const chunky = clientFor(reg, { chunkThreshold: 1000, chunkSize: 512, retries: 0 });
      try {
        const b = blob(randomBytes(3000));
        const wrong = randomBytes(3000);
        const repo = parseRepository(`${reg.host}/kiln/badchunks`);
        await assert.rejects(chunky.uploadBlob(repo, b, async () => Readable.from([wrong])), (e: unknown) => isBuilderError(e, 'DIGEST_MISMATCH'));
        assert.equal(await chunky.blobExists(repo, b.digest), false);
      } finally {
        await chunky.close();
      }
    });

    it('refuses a monolithic upload whose bytes are not the digest', async () => {
      const b = blob(randomBytes(300));
      const repo = parseRepository(`${reg.host}/kiln/badmono`);
      await assert.rejects(client.uploadBlob(repo, b, async () => Readable.from([randomBytes(300)])), (e: unknown) => isBuilderError(e, 'DIGEST_MISMATCH'));
      await assert.rejects(client.uploadBlob(repo, b, async () => Readable.from([b.bytes.subarray(0, 200)])), (e: unknown) =>
        isBuilderError(e, 'DIGEST_MISMATCH') && e.message.includes('declared 300 bytes'),
      );
    });

    it('mounts a blob across repositories without uploading a byte', async () => {
      const events: ProgressEvent[] = [];
      const watching = clientFor(reg, { onProgress: (e) => events.push(e) });
      try {
        const b = blob(randomBytes(2000));
        const src = parseRepository(`${reg.host}/kiln/mount-src`);
        const dst = parseRepository(`${reg.host}/kiln/mount-dst`);
        await watching.uploadBlob(src, b, opener(b));
        events.length = 0;
        assert.equal(await watching.blobExists(dst, b.digest), false);
        assert.equal(await watching.mountBlob(dst, b.digest, src.repository), true);
        assert.deepEqual(events, []);
        assert.equal(await watching.blobExists(dst, b.digest), true);
        assert.equal(await watching.mountBlob(dst, sha256('never pushed'), src.repository), false);
      } finally {
        await watching.close();
      }
    });

    it('reports a missing manifest and a missing blob with their names', async () => {
      await assert.rejects(client.getManifest(parseReference(`${reg.host}/kiln/roundtrip:missing`)), (e: unknown) =>
        isBuilderError(e, 'MANIFEST_UNKNOWN') && e.message.includes(`${reg.host}/kiln/roundtrip:missing`),
      );
      const d = sha256('nothing');
      await assert.rejects(client.getBlob(parseRepository(`${reg.host}/kiln/roundtrip`), d), (e: unknown) =>
        isBuilderError(e, 'BLOB_UNKNOWN') && e.message.includes(d),
      );
    });

    it('deletes a manifest by tag', async () => {
      const { digest } = await pushImage(client, `${reg.host}/kiln/delete:gone`, []);
      await client.deleteManifest(parseReference(`${reg.host}/kiln/delete:gone`));
      await assert.rejects(client.getManifest(parseReference(`${reg.host}/kiln/delete@${digest}`)), (e: unknown) => isBuilderError(e, 'MANIFEST_UNKNOWN'));
    });
  });
}
