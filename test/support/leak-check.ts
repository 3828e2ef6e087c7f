// Secret-leak checks for the credential tests: every secret a test used is searched for in the
// places it must never reach (files and directories, a process's output, an image's blobs) and
// each hit is reported by where it was found and which secret (by index, so a failure message does
// not print the secret either). Each secret is searched as written and base64-encoded (the form
// an `auth` field or a Basic header carries it in); compressed layers are searched decompressed.
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import { run } from './exec.ts';
import { removeTree } from './mounts.ts';
import { labTempDir } from './temp-dirs.ts';

export interface LeakPlaces {
  /** Files or directories (searched recursively). */
  paths?: string[];
  /** Paths inside `paths` that may hold secrets: the config the user asked for. */
  allow?: string[];
  /** Captured text by label: stdout, stderr, logs, error messages. */
  texts?: Record<string, string>;
  /** OCI layouts whose blobs (layers decompressed, config, manifests) are searched. */
  ociLayouts?: string[];
}

export interface Leak {
  /** Index of the secret in the list given. */
  secret: number;
  where: string;
}

function forms(secret: string): Buffer[] {
  return [Buffer.from(secret), Buffer.from(Buffer.from(secret).toString('base64'))];
}

/** The bytes as stored and, for gzip or zstd streams, decompressed too. */
function readable(bytes: Buffer): Buffer[] {
  try {
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) return [bytes, gunzipSync(bytes)];
    if (bytes.readUInt32LE(0) === 0xfd2fb528) return [bytes, Buffer.from(zstdDecompress(bytes))];
  } catch {
    // Not a whole stream after all: the bytes as they are are still searched.
  }
  return [bytes];
}

function scan(secrets: readonly string[], bytes: Buffer[], where: string, leaks: Leak[]): void {
  secrets.forEach((secret, i) => {
    if (secret.length < 4) throw new Error(`leak-check: secret #${i} is too short to search for meaningfully`);
    if (bytes.some((b) => forms(secret).some((f) => b.includes(f)))) leaks.push({ secret: i, where });
  });
}

async function scanPath(secrets: readonly string[], path: string, allow: Set<string>, leaks: Leak[]): Promise<void> {
  if (allow.has(path)) return;
  const info = await stat(path).catch(() => undefined);
  if (!info) return;
  if (info.isDirectory()) {
    for (const name of await readdir(path)) await scanPath(secrets, join(path, name), allow, leaks);
  } else if (info.isFile()) {
    scan(secrets, readable(await readFile(path)), path, leaks);
  }
}

/** Every place a secret was found; empty when nothing leaked. */
export async function findLeaks(secrets: readonly string[], places: LeakPlaces): Promise<Leak[]> {
  const leaks: Leak[] = [];
  const allow = new Set(places.allow ?? []);
  for (const [label, text] of Object.entries(places.texts ?? {})) scan(secrets, [Buffer.from(text)], label, leaks);
  for (const path of places.paths ?? []) await scanPath(secrets, path, allow, leaks);
  for (const layout of places.ociLayouts ?? []) await scanPath(secrets, join(layout, 'blobs'), allow, leaks);
  return leaks;
}

export async function assertNoLeaks(secrets: readonly string[], places: LeakPlaces): Promise<void> {
  const leaks = await findLeaks(secrets, places);
  assert.deepEqual(leaks.map((l) => `secret #${l.secret} in ${l.where}`), []);
}

/**
 * The blobs of a registry image, copied into an OCI layout with skopeo (the whole image: layers,
 * config, manifest) and searched like a layout. `authfile` is the config.json skopeo reads, `env`
 * its environment (a PATH holding the credential helpers that config.json names).
 */
export async function assertNoLeaksInImage(secrets: readonly string[], image: string, opts: { authfile?: string; tlsVerify?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<void> {
  const dir = await labTempDir('leak-check');
  try {
    const args = ['copy', '--quiet', `--src-tls-verify=${opts.tlsVerify ?? false}`];
    if (opts.authfile) args.push('--src-authfile', opts.authfile);
    await run('skopeo', [...args, `docker://${image}`, `oci:${join(dir, 'layout')}:image`], { env: opts.env });
    await assertNoLeaks(secrets, { ociLayouts: [join(dir, 'layout')] });
  } finally {
    await removeTree(dir);
  }
}
