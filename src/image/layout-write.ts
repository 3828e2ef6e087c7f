// The OCI layout sink (--oci-layout-path, copy to oci-layout:PATH[:TAG]). Creates the layout or adds
// to an existing one. Every blob is staged under a temp name and verified; only when all of them
// are good are they renamed into place, and index.json changes last, under a lock, so a failed
// write leaves the layout as it was.
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { MediaType } from '../oci/mediatypes.ts';
import type { Descriptor, Index } from '../oci/types.ts';
import { fromSystemError } from '../util/errors.ts';
import { log } from '../util/log.ts';
import { BlobStore, type StagedBlob } from '../cache/blob-store.ts';
import { writeFileAtomic } from '../cache/atomic-file.ts';
import { withFileLock } from '../cache/file-lock.ts';
import { forEachLimit } from './concurrency.ts';
import { LAYOUT_VERSION, REF_NAME, layoutName, readLayoutIndex } from './layout.ts';
import type { ImageOrIndex } from './types.ts';
import { walkImage } from './walk.ts';

export interface LayoutWriteOptions {
  /** Stored as the org.opencontainers.image.ref.name annotation of the index.json entry. */
  tag?: string;
  concurrency?: number;
}

/** Whether `dir` already is a layout; refuses one that is some other kind of directory. */
async function isLayout(dir: string): Promise<boolean> {
  try {
    await readFile(join(dir, 'oci-layout'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw fromSystemError(err, dir);
  }
  await readLayoutIndex(dir);
  return true;
}

/** The layout files of a new layout, written only once its first image is in place. */
async function initLayout(dir: string): Promise<void> {
  await writeFileAtomic(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: LAYOUT_VERSION }));
  await writeFileAtomic(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] }));
}

/** Writes the image or index and returns the descriptor now in index.json. */
export async function writeLayout(path: string, source: ImageOrIndex, opts: LayoutWriteOptions = {}): Promise<Descriptor> {
  const dir = resolve(path);
  const name = layoutName(path, opts.tag);
  await mkdir(dir, { recursive: true });
  const existed = await isLayout(dir);
  const store = new BlobStore(dir, name);
  const tree = await walkImage(source);

  const staged: StagedBlob[] = [];
  try {
    await forEachLimit(tree.blobs, opts.concurrency ?? 4, async (blob) => {
      if (await store.has(blob.digest)) return;
      staged.push(await store.stage(await blob.open(), { digest: blob.digest, size: blob.size }));
    });
    for (const m of tree.manifests) {
      if (!(await store.has(m.digest))) staged.push(await store.stage(Readable.from([m.bytes]), { digest: m.digest, size: m.bytes.length }));
    }
  } catch (err) {
    await Promise.all(staged.map((s) => s.discard()));
    throw err;
  }
  // Staged in dependency order (layers, configs, child manifests, top manifest), committed so too;
  // if a rename fails, the temps not yet committed are removed.
  for (let i = 0; i < staged.length; i++) {
    try {
      await staged[i].commit();
    } catch (err) {
      await Promise.all(staged.slice(i + 1).map((s) => s.discard()));
      throw err;
    }
  }

  const top = tree.manifests[tree.manifests.length - 1];
  const entry: Descriptor = { mediaType: top.mediaType, digest: top.digest, size: top.bytes.length };
  if (opts.tag) entry.annotations = { [REF_NAME]: opts.tag };
  await withFileLock(join(dir, 'index.json.lock'), async () => {
    if (!existed && !(await isLayout(dir))) await initLayout(dir);
    const index: Index = await readLayoutIndex(dir);
    // A tag names one image: the entry it named before is replaced. An untagged write replaces
    // only an untagged entry for the same manifest.
    const keep = index.manifests.filter((d) =>
      opts.tag ? d.annotations?.[REF_NAME] !== opts.tag : d.digest !== entry.digest || d.annotations?.[REF_NAME] !== undefined,
    );
    await writeFileAtomic(join(dir, 'index.json'), JSON.stringify({ ...index, manifests: [...keep, entry] }));
  });
  log.info(`wrote ${top.digest} to ${name}`, { blobs: staged.length });
  return entry;
}
