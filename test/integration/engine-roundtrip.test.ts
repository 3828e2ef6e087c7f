// The lab's Debian image through kiln's extraction, both snapshotters and the layer writer, with
// umoci (an independent implementation) as the judge: extract → no change → re-layer everything
// into one layer → `umoci unpack` of the original and of the re-layered image give the same tree,
// and that tree is also what kiln extracted.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readLayout } from '../../src/image/layout.ts';
import type { Image } from '../../src/image/types.ts';
import { sha256 } from '../../src/oci/digest.ts';
import { MediaType } from '../../src/oci/mediatypes.ts';
import { IgnoreList } from '../../src/snapshot/ignore.ts';
import { writeLayer } from '../../src/snapshot/layer-writer.ts';
import { OverlaySnapshotter, overlaySupported } from '../../src/snapshot/overlay.ts';
import { scanRootfs } from '../../src/snapshot/rootfs-index.ts';
import { WalkSnapshotter } from '../../src/snapshot/walk.ts';
import { extractImage } from '../../src/tar/extract.ts';
import { baseImageLayout } from '../support/base-images.ts';
import { run } from '../support/exec.ts';
import { removeTree } from '../support/mounts.ts';

/** path → type+mode, owner, link target or content hash, device number. */
function tree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string): void => {
    for (const name of readdirSync(d)) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const p = join(d, name);
      const st = lstatSync(p);
      const extra = st.isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex') : st.isSymbolicLink() ? readlinkSync(p) : st.isCharacterDevice() || st.isBlockDevice() ? `rdev=${st.rdev}` : '';
      out.set(r, `${st.mode.toString(8)} ${st.uid}:${st.gid} ${extra}`);
      if (st.isDirectory()) walk(p, r);
    }
  };
  walk(dir, '');
  return out;
}

function diffTrees(a: Map<string, string>, b: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of a) if (b.get(k) !== v) out.push(`${k}: ${v} vs ${b.get(k) ?? 'missing'}`);
  for (const k of b.keys()) if (!a.has(k)) out.push(`${k}: missing vs ${b.get(k)}`);
  return out.slice(0, 20);
}

async function jsonBlob(layout: string, mediaType: string, value: unknown): Promise<{ mediaType: string; digest: string; size: number }> {
  const bytes = Buffer.from(JSON.stringify(value));
  const digest = sha256(bytes);
  await writeFile(join(layout, 'blobs', 'sha256', digest.slice(7)), bytes);
  return { mediaType, digest, size: bytes.length };
}

describe('engine round trip on the lab Debian image', () => {
  let top: string;
  let layout: string;
  let image: Image;
  let rootfs: string;

  before(async () => {
    top = await mkdtemp(join(tmpdir(), 'kiln-roundtrip-'));
    layout = await baseImageLayout('debian');
    const read = await readLayout(layout, 'bookworm');
    assert.equal(read.kind, 'image');
    image = read.image;
    rootfs = join(top, 'rootfs');
    const started = performance.now();
    const stats = await extractImage(rootfs, await image.layers(), { image: 'lab/debian:bookworm' });
    console.log(`# extracted ${stats.entries} entries, ${(stats.bytes / 1e6).toFixed(1)} MB in ${((performance.now() - started) / 1000).toFixed(2)} s`);
  });

  after(async () => {
    // removeTree unmounts first: a failed step may leave its overlay mounted under top.
    await removeTree(top);
  });

  it('a snapshot with no change finds none, in every snapshotter', async () => {
    for (const mode of ['full', 'redo', 'time'] as const) {
      const walk = WalkSnapshotter.create(rootfs, { mode });
      assert.equal((await (await walk.begin()).finish()).changes.length, 0, `walk ${mode}`);
    }
    if (await overlaySupported(top)) {
      const overlay = new OverlaySnapshotter(rootfs);
      assert.equal((await (await overlay.begin()).finish()).changes.length, 0, 'overlay');
    }
  });

  it('umoci unpacks the original and the re-layered image into the same tree kiln extracted', async () => {
    // Every path, /dev /proc /sys included: this is the whole image in one layer.
    const all = scanRootfs(rootfs, new IgnoreList(rootfs, [], []));
    const out = join(top, 'relayered');
    await mkdir(join(out, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(out, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    const layer = await writeLayer({ rootfs, changes: [...all.keys()].map((path) => ({ path, kind: 'add' as const })) }, { blobRoot: out });
    const config = { ...(await image.config()), rootfs: { type: 'layers', diff_ids: [layer.diffId] }, history: [{ created_by: 'kiln re-layer' }] };
    const configDesc = await jsonBlob(out, MediaType.OciConfig, config);
    const manifest = await jsonBlob(out, MediaType.OciManifest, {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: configDesc,
      layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }],
    });
    await writeFile(
      join(out, 'index.json'),
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [{ ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'relayered' } }] }),
    );

    await run('umoci', ['unpack', '--image', `${layout}:bookworm`, join(top, 'bundle-orig')]);
    await run('umoci', ['unpack', '--image', `${out}:relayered`, join(top, 'bundle-new')]);
    const orig = tree(join(top, 'bundle-orig', 'rootfs'));
    const relayered = tree(join(top, 'bundle-new', 'rootfs'));
    const mine = tree(rootfs);
    assert.ok(orig.size > 3000, `expected a Debian tree, got ${orig.size} paths`);
    assert.deepEqual(diffTrees(orig, relayered), [], 'umoci trees differ');
    assert.deepEqual(diffTrees(orig, mine), [], 'kiln extraction differs from umoci');
    console.log(`# ${orig.size} paths identical; re-layered blob ${(layer.size / 1e6).toFixed(1)} MB, ${layer.entries} entries`);
  });
});
