import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { BlobStore } from '../../../src/cache/blob-store.ts';
import { sha256, type Digest } from '../../../src/oci/digest.ts';
import { isBuilderError } from '../../../src/util/errors.ts';

const run = promisify(execFile);

async function tempStore(t: { after(fn: () => Promise<void>): void }): Promise<{ dir: string; store: BlobStore }> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-blobs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return { dir, store: new BlobStore(dir) };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

test('write computes the digest, stores under blobs/sha256/<hex>, open reads it back', async (t) => {
  const { dir, store } = await tempStore(t);
  const bytes = Buffer.from('hello blob');
  const info = await store.write(Readable.from([bytes]));
  assert.equal(info.digest, sha256(bytes));
  assert.equal(info.size, bytes.length);
  assert.equal(store.path(info.digest), join(dir, 'blobs', 'sha256', info.digest.slice(7)));
  assert.ok(await store.has(info.digest));
  assert.deepEqual(await readAll(await store.open(info.digest)), bytes);
  assert.deepEqual(await readdir(join(dir, 'blobs', 'sha256')), [info.digest.slice(7)]);
});

test('a wrong digest is refused and leaves no file behind', async (t) => {
  const { dir, store } = await tempStore(t);
  const wanted = sha256('something else');
  await assert.rejects(store.write(Readable.from([Buffer.from('actual bytes')]), { digest: wanted }), (err) => isBuilderError(err, 'DIGEST_MISMATCH'));
  assert.equal(await store.has(wanted), false);
  assert.deepEqual(await readdir(join(dir, 'blobs', 'sha256')), []);
});

test('a wrong size is refused before the digest is checked', async (t) => {
  const { dir, store } = await tempStore(t);
  const bytes = Buffer.from('twelve bytes');
  await assert.rejects(store.write(Readable.from([bytes]), { digest: sha256(bytes), size: 5 }), /expected 5 bytes/);
  assert.deepEqual(await readdir(join(dir, 'blobs', 'sha256')), []);
});

test('a failing source leaves no temp file', async (t) => {
  const { dir, store } = await tempStore(t);
  async function* broken(): AsyncGenerator<Buffer> {
    yield Buffer.from('partial');
    throw new Error('connection reset');
  }
  await assert.rejects(store.write(broken()), /connection reset/);
  assert.deepEqual(await readdir(join(dir, 'blobs', 'sha256')), []);
});

test('stage keeps bytes invisible until commit, discard removes them', async (t) => {
  const { dir, store } = await tempStore(t);
  const a = Buffer.from('a');
  const staged = await store.stage([a], { digest: sha256(a) });
  assert.equal(await store.has(staged.digest), false);
  await staged.commit();
  assert.ok(await store.has(staged.digest));
  const b = Buffer.from('b');
  const other = await store.stage([b], { digest: sha256(b) });
  await other.discard();
  assert.deepEqual(await readdir(join(dir, 'blobs', 'sha256')), [sha256(a).slice(7)]);
});

test('open refuses a blob whose bytes on disk were corrupted', async (t) => {
  const { store } = await tempStore(t);
  const info = await store.writeBytes(Buffer.from('original content'));
  await writeFile(store.path(info.digest), 'tampered content');
  await assert.rejects(readAll(await store.open(info.digest)), (err) => isBuilderError(err, 'DIGEST_MISMATCH'));
  await assert.rejects(store.open(sha256('absent')), (err) => isBuilderError(err, 'BLOB_UNKNOWN'));
});

test('two processes writing the same blob at once both succeed and leave one whole file', async (t) => {
  const { dir, store } = await tempStore(t);
  const source = join(dir, 'source.bin');
  const bytes = randomBytes(8 * 1024 * 1024);
  await writeFile(source, bytes);
  const digest: Digest = sha256(bytes);
  const child = join(import.meta.dirname, 'write-blob-child.ts');
  const runs = [0, 1].map(() => run(process.execPath, ['--import', 'tsx', child, dir, source, digest]));
  const results = await Promise.all(runs);
  for (const r of results) assert.deepEqual(JSON.parse(r.stdout), { digest, size: bytes.length });
  assert.deepEqual(await readdir(join(dir, 'blobs', 'sha256')), [digest.slice(7)]);
  assert.equal(sha256(await readFile(store.path(digest))), digest);
});
