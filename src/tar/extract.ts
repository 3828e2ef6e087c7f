// Layers onto a rootfs: streamed from the tar (no temp copies), applied in order with the OCI
// changeset rules. `.wh.NAME` deletes NAME from lower layers, `.wh..wh..opq` hides a directory's
// lower contents (but not what this same layer puts there). Ownership is numeric; mode is set
// after chown because chown clears setuid/setgid; xattrs (security.capability, which chown also
// clears) and directory mtimes are applied once the whole layer is in place, since writing a
// child changes its directory's mtime.
import { execFile } from 'node:child_process';
import { chmod, chown, lchown, link, lstat, lutimes, mkdir, open, readdir, rm, symlink, unlink, utimes, constants, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { BuilderError, fromSystemError } from '../util/errors.ts';
import { readTar, type TarEntry } from './reader.ts';
import { normaliseName, RootResolver, splitName } from './rootfs-path.ts';
import { isHostXattr, writeXattrs, type Xattrs } from './xattr.ts';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';

/** Files up to this size are read whole and written concurrently, at most MAX_INFLIGHT at once. */
const SMALL_FILE = 256 << 10;
const MAX_INFLIGHT = 32;
// Read once: process.umask() has no read-only form.
const PROCESS_UMASK = (() => {
  const mask = process.umask(0o022);
  process.umask(mask);
  return mask;
})();

/** Names the image and layer in every error, e.g. `image busybox:1.36 layer sha256:…`. */
export interface LayerLabel {
  image: string;
  digest: string;
}

/** What extraction needs of a layer; image/types.ts Layer satisfies it. */
export interface LayerSource {
  readonly digest: string;
  uncompressed(): Promise<Readable>;
}

export interface ApplyStats {
  entries: number;
  bytes: number;
}

export function describeLabel(label: LayerLabel): string {
  return `image ${label.image} layer ${label.digest}`;
}

function mknod(path: string, kind: 'c' | 'b' | 'p', major: number, minor: number): Promise<void> {
  // Node has no mknod(2); devices are rare in layers, so one coreutils process each is cheap.
  const args = kind === 'p' ? [path, 'p'] : [path, kind, String(major), String(minor)];
  return new Promise((resolve, reject) => {
    execFile('mknod', args, (err, _out, stderr) => (err ? reject(new BuilderError('IO', `mknod ${path}: ${stderr.trim() || err.message}`, { cause: err })) : resolve()));
  });
}

/** One layer being applied: the state that must outlive single entries. */
class LayerApplier {
  private readonly resolver: RootResolver;
  /** Names (normalised) this layer wrote; an opaque marker must keep them. */
  private readonly written = new Set<string>();
  private readonly xattrs = new Map<string, Xattrs>();
  private readonly dirTimes = new Map<string, number>();
  readonly stats: ApplyStats = { entries: 0, bytes: 0 };
  /** Small files being written concurrently, by normalised name. */
  private readonly inflight = new Map<string, Promise<void>>();
  /** The first failed concurrent write, raised at the next drain. */
  private failure: BuilderError | undefined;

  constructor(
    root: string,
    private readonly what: string,
  ) {
    this.resolver = new RootResolver(root, what);
  }

  private invalid(name: string, why: string): BuilderError {
    return new BuilderError('LAYER_INVALID', `${this.what}: entry "${name}" ${why}`);
  }

  /** Removes whatever is at `host` (never following a final symlink); true if something was there. */
  private async clear(host: string, keepDir: boolean): Promise<boolean> {
    let st;
    try {
      st = await lstat(host);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    if (st.isDirectory()) {
      if (keepDir) return true;
      await rm(host, { recursive: true, force: true });
      this.forget(host);
      this.resolver.invalidate();
    } else {
      await unlink(host);
      if (st.isSymbolicLink()) this.resolver.invalidate();
    }
    return false;
  }

  /** Drops pending metadata for a removed subtree. */
  private forget(host: string): void {
    for (const map of [this.xattrs, this.dirTimes]) {
      for (const key of map.keys()) if (key === host || key.startsWith(host + '/')) map.delete(key);
    }
  }

  /**
   * Waits for every concurrent file write. Small files are written several at a time because
   * extraction is bound by file-system latency, not bandwidth; anything else waits for them, so
   * the order of the tar still decides every dependency (parents, links, replacements).
   */
  private async drain(): Promise<void> {
    await Promise.all(this.inflight.values());
    this.inflight.clear();
    if (this.failure !== undefined) throw this.failure;
  }

  /** Waits for concurrent writes without raising their errors (the first one is already known). */
  async settle(): Promise<void> {
    await Promise.all(this.inflight.values());
  }

  /** True if a concurrent write is at `rel`, at one of its parents, or below it. */
  private busy(rel: string): boolean {
    if (this.inflight.size === 0) return false;
    for (let p = rel; p !== ''; p = splitName(p).dir) if (this.inflight.has(p)) return true;
    // An entry may replace a directory that writes still in flight are filling.
    const below = `${rel}/`;
    for (const p of this.inflight.keys()) if (p.startsWith(below)) return true;
    return false;
  }

  async apply(entry: TarEntry): Promise<void> {
    this.stats.entries++;
    if (this.failure !== undefined) await this.drain();
    const rel = normaliseName(entry.name, this.what);
    const { dir, base } = splitName(rel);
    // overlayfs reads trusted.overlay.* on its lower dirs (opaque, redirect): a layer must not
    // be able to plant them in a rootfs that becomes one.
    for (const name of entry.xattrs.keys()) if (isHostXattr(name)) entry.xattrs.delete(name);
    // Small files and symlinks are made several at a time; anything below one of them waits
    // (busy), so a symlink is in place before a later entry resolves a path through it.
    const concurrent =
      (entry.type === 'symlink' || (entry.type === 'file' && entry.size <= SMALL_FILE)) && !base.startsWith(WHITEOUT_PREFIX) && rel !== '';
    if (!concurrent || this.busy(rel) || this.inflight.size >= MAX_INFLIGHT) await this.drain();
    if (concurrent) {
      const parent = (await this.resolver.dir(dir, true)) as string;
      let data: Buffer | undefined;
      if (entry.type === 'file') {
        const chunks: Buffer[] = [];
        for await (const chunk of entry.body()) chunks.push(Buffer.from(chunk));
        data = Buffer.concat(chunks);
        this.stats.bytes += data.length;
      }
      this.written.add(rel);
      const host = join(parent, base);
      if (entry.xattrs.size > 0) this.xattrs.set(host, entry.xattrs);
      const task = (data ? this.writeFile(host, entry, data) : this.makeSymlink(host, entry)).catch((err: unknown) => {
        this.failure ??= withLabel(err, this.what, entry.name);
      });
      this.inflight.set(rel, task);
      return;
    }
    if (base.startsWith(WHITEOUT_PREFIX)) {
      await this.whiteout(entry.name, dir, base);
      return;
    }
    if (rel === '' && entry.type !== 'dir') throw this.invalid(entry.name, 'replaces the rootfs itself with a non-directory');
    const parent = await this.resolver.dir(dir, true);
    const host = rel === '' ? this.resolver.root : join(parent as string, base);
    this.written.add(rel);
    if (entry.type === 'dir') {
      const existed = await this.clear(host, true);
      if (!existed) await mkdir(host, { mode: 0o700 });
      this.resolver.remember(rel, host);
      await chown(host, entry.uid, entry.gid);
      await chmod(host, entry.mode);
      this.dirTimes.set(host, entry.mtime);
    } else if (entry.type === 'file') {
      await this.writeFile(host, entry, null);
    } else if (entry.type === 'hardlink') {
      const target = await this.linkTarget(entry);
      if (target === host) throw this.invalid(entry.name, 'is a hard link to itself');
      await this.clear(host, false);
      await link(target, host);
    } else {
      await this.clear(host, false);
      await mknod(host, entry.type === 'char' ? 'c' : entry.type === 'block' ? 'b' : 'p', entry.devmajor, entry.devminor);
      await chown(host, entry.uid, entry.gid);
      await chmod(host, entry.mode);
      await utimes(host, entry.mtime, entry.mtime);
    }
    if (entry.xattrs.size > 0 && entry.type !== 'hardlink') this.xattrs.set(host, entry.xattrs);
  }

  /**
   * Creates the file exclusively (O_EXCL|O_NOFOLLOW never follows or reuses what is there); only
   * when something is in the way is it cleared and the create tried again. Most entries land on
   * an empty name, so this saves an lstat per file, and a chmod when the umask kept the mode.
   */
  private async createFile(host: string, mode: number): Promise<FileHandle> {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    try {
      return await open(host, flags, mode & 0o777);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    await this.clear(host, false);
    return open(host, flags, mode & 0o777);
  }

  /** A symlink at `host`; what is in the way is cleared only when the first try finds it. */
  private async makeSymlink(host: string, entry: TarEntry): Promise<void> {
    try {
      await symlink(entry.linkname, host);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      await this.clear(host, false);
      await symlink(entry.linkname, host);
    }
    await lchown(host, entry.uid, entry.gid);
    await lutimes(host, entry.mtime, entry.mtime);
  }

  /** Writes a file from `data` if given (already read), else streams the entry's body. */
  private async writeFile(host: string, entry: TarEntry, data: Buffer | null): Promise<void> {
    const fh = await this.createFile(host, entry.mode);
    try {
      for await (const chunk of data ? [data] : entry.body()) {
        let off = 0;
        while (off < chunk.length) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
        if (!data) this.stats.bytes += chunk.length;
      }
      await fh.chown(entry.uid, entry.gid);
      // chown clears setuid/setgid, and the umask may have taken bits: then the mode is set again.
      if ((entry.mode & 0o7000) !== 0 || (entry.mode & PROCESS_UMASK) !== 0) await fh.chmod(entry.mode);
      await fh.utimes(entry.mtime, entry.mtime);
    } finally {
      await fh.close();
    }
  }

  /** Host path of a hard link's target: inside the root, existing, not a directory. */
  private async linkTarget(entry: TarEntry): Promise<string> {
    const rel = normaliseName(entry.linkname, this.what);
    if (rel === '') throw this.invalid(entry.name, 'is a hard link to the rootfs directory');
    const { dir, base } = splitName(rel);
    const parent = await this.resolver.dir(dir, false);
    const host = parent === null ? null : join(parent, base);
    const st = host === null ? null : await lstat(host).catch(() => null);
    if (host === null || st === null) throw this.invalid(entry.name, `is a hard link to "${entry.linkname}", which does not exist in the rootfs`);
    if (st.isDirectory()) throw this.invalid(entry.name, `is a hard link to directory "${entry.linkname}"`);
    return host;
  }

  private async whiteout(name: string, dir: string, base: string): Promise<void> {
    const parent = await this.resolver.dir(dir, false);
    if (parent === null) return; // nothing below to hide
    if (base === OPAQUE_MARKER) {
      await this.hideLower(parent, dir);
      return;
    }
    const victim = base.slice(WHITEOUT_PREFIX.length);
    if (victim === '' || victim === '.' || victim === '..') throw this.invalid(name, 'is a whiteout for an invalid name');
    const host = join(parent, victim);
    await this.clear(host, false);
  }

  /** Removes what lower layers left in a directory, keeping what this layer wrote. */
  private async hideLower(host: string, rel: string): Promise<void> {
    for (const child of await readdir(host, { withFileTypes: true })) {
      const childRel = rel === '' ? child.name : `${rel}/${child.name}`;
      const childHost = join(host, child.name);
      if (!this.written.has(childRel)) {
        await this.clear(childHost, false);
      } else if (child.isDirectory()) {
        await this.hideLower(childHost, childRel);
      }
    }
  }

  /** Metadata that had to wait for the whole layer: xattrs, then directory mtimes. */
  async finish(): Promise<void> {
    await this.drain();
    await writeXattrs(this.xattrs);
    for (const [host, mtime] of this.dirTimes) await utimes(host, mtime, mtime);
  }
}

/** A name short enough for an error line: hostile layers carry names of hundreds of kB. */
function shortName(name: string): string {
  return name.length <= 200 ? name : `${name.slice(0, 200)}…(${name.length} chars)`;
}

/** Any failure while applying a layer as a BuilderError naming the image, layer and entry. */
function withLabel(err: unknown, what: string, entry?: string): BuilderError {
  const at = entry ? ` (at entry "${shortName(entry)}")` : '';
  if (err instanceof BuilderError) {
    const labelled = err.message.includes(what);
    const named = entry === undefined || err.message.includes(`"${shortName(entry)}"`);
    if (labelled && named) return err;
    return new BuilderError(err.code, `${labelled ? '' : `${what}: `}${err.message}${named ? '' : at}`, { cause: err });
  }
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENAMETOOLONG') return new BuilderError('LAYER_INVALID', `${what}: name too long for the file system${at}`, { cause: err });
  const sys = fromSystemError(err, `${what}: ${shortName((err as NodeJS.ErrnoException).path ?? 'rootfs')}`);
  if (sys instanceof BuilderError) return new BuilderError(sys.code, `${sys.message}${at}`, { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  // zlib and stream errors from a bad blob, or Node refusing a value: the layer is at fault.
  return new BuilderError('LAYER_INVALID', `${what}: ${message}${at}`, { cause: err });
}

/** Applies one layer's tar stream onto `rootfs` (which must exist). */
export async function applyLayer(rootfs: string, tar: AsyncIterable<Buffer | string>, label: LayerLabel): Promise<ApplyStats> {
  const what = describeLabel(label);
  const root = await realpath(rootfs);
  const applier = new LayerApplier(root, what);
  let current = '';
  try {
    for await (const entry of readTar(tar, what)) {
      current = entry.name;
      await applier.apply(entry);
    }
    current = '';
    await applier.finish();
    return applier.stats;
  } catch (err) {
    await applier.settle();
    throw withLabel(err, what, current || undefined);
  } finally {
    // Stop a source we did not read to the end (an error midway) so its file or socket closes.
    (tar as Partial<Readable>).destroy?.();
  }
}

/** Extracts `layers` in order into `rootfs`, creating it if needed. */
export async function extractImage(rootfs: string, layers: readonly LayerSource[], label: { image: string }): Promise<ApplyStats> {
  await mkdir(rootfs, { recursive: true });
  const total: ApplyStats = { entries: 0, bytes: 0 };
  for (const layer of layers) {
    const layerLabel = { image: label.image, digest: layer.digest };
    let stream: Readable;
    try {
      stream = await layer.uncompressed();
    } catch (err) {
      throw withLabel(err, describeLabel(layerLabel));
    }
    const stats = await applyLayer(rootfs, stream, layerLabel);
    total.entries += stats.entries;
    total.bytes += stats.bytes;
  }
  return total;
}
