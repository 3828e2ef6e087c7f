// The walk snapshotter: the RUN command writes into the rootfs itself, and finish() stats every
// path and compares it with the index of the previous snapshot. Cost O(all files), the price of
// working where overlayfs does not mount (kaniko's way). Modes follow kaniko's --snapshot-mode:
//   time  mtime only (plus inode, so a file replaced within one mtime tick is still seen);
//   redo  mtime, size, mode, uid, gid, plus ctime and inode;
//   full  redo's test decides which files to hash; a change is then a different content, link
//         target, type, mode or owner, so rewriting a file with the same bytes is no change.
// In redo and full, a path whose ctime alone moved is a change only when its extended attributes
// differ from the ones kept since the last snapshot: ctime also moves for a link count, or for a
// directory the runner made a mount placeholder in and took it out of again.
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { readXattrs, type Xattrs } from '../tar/xattr.ts';
import { BuilderError } from '../util/errors.ts';
import { normalizeChanges, type Change, type ChangeSet } from './changes.ts';
import { expandWrittenPaths } from './expand.ts';
import { IgnoreList } from './ignore.ts';
import { contentOf, entryOf, scanRootfs, S_IFDIR, type IndexEntry, type RootfsIndex } from './rootfs-index.ts';
import type { Snapshot, Snapshotter, SnapshotMode } from './types.ts';

export const SNAPSHOT_MODES: readonly SnapshotMode[] = ['full', 'redo', 'time'];

export interface WalkOptions {
  mode: SnapshotMode;
  /** Extra paths to leave out (--ignore-path, kiln's own dir in host mode). */
  ignorePaths?: readonly string[];
}

function metadataChanged(mode: SnapshotMode, a: IndexEntry, b: IndexEntry): boolean {
  if (a.type !== b.type || a.ino !== b.ino || a.mtimeMs !== b.mtimeMs) return true;
  if (mode === 'time') return false;
  return a.size !== b.size || a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid || a.ctimeMs !== b.ctimeMs;
}

/** Everything but ctime is as it was: what moved is the inode alone (see the header). */
function onlyCtimeMoved(a: IndexEntry, b: IndexEntry): boolean {
  return a.ctimeMs !== b.ctimeMs && a.type === b.type && a.ino === b.ino && a.mtimeMs === b.mtimeMs && a.size === b.size && a.mode === b.mode && a.uid === b.uid && a.gid === b.gid;
}

/** A path's attributes as one comparable string; '' for none. */
function fingerprint(attrs: Xattrs | undefined): string {
  return [...(attrs ?? [])].map(([name, value]) => `${name}=${value.toString('hex')}`).sort().join('\n');
}

export class WalkSnapshotter implements Snapshotter {
  readonly kind = 'walk' as const;
  private index: RootfsIndex;
  /**
   * redo and full: the attributes of every indexed path that has any, read on the first begin()
   * and kept current for what each snapshot writes, to tell an attribute change from the other
   * reasons a ctime moves.
   */
  private xattrs: Map<string, string> | undefined;
  private busy = false;

  private constructor(
    readonly rootfs: string,
    private readonly opts: WalkOptions,
  ) {
    if (!SNAPSHOT_MODES.includes(opts.mode)) {
      throw new BuilderError('USAGE', `--snapshot-mode=${opts.mode} is not one of ${SNAPSHOT_MODES.join(', ')}`);
    }
    this.index = scanRootfs(rootfs, this.ignore(), opts.mode === 'full');
  }

  /** Indexes `rootfs` as it is now (after the base image was extracted). */
  static create(rootfs: string, opts: WalkOptions): WalkSnapshotter {
    return new WalkSnapshotter(rootfs, opts);
  }

  get size(): number {
    return this.index.size;
  }

  /** Built per scan: mounts come and go between steps. */
  private ignore(): IgnoreList {
    return new IgnoreList(this.rootfs, this.opts.ignorePaths);
  }

  /** A walked step's result is the rootfs itself. */
  async settle(): Promise<void> {}

  async begin(): Promise<Snapshot> {
    if (this.busy) throw new BuilderError('INTERNAL', 'walk snapshot already in progress');
    this.busy = true;
    try {
      if (this.opts.mode !== 'time' && !this.xattrs) this.xattrs = await this.readFingerprints([...this.index.keys()]);
    } catch (err) {
      this.busy = false;
      throw err;
    }
    return {
      runRoot: this.rootfs,
      finish: async () => {
        try {
          return await this.diff();
        } finally {
          this.busy = false;
        }
      },
      abort: async () => {
        this.index = scanRootfs(this.rootfs, this.ignore(), this.opts.mode === 'full');
        this.xattrs = undefined;
        this.busy = false;
      },
    };
  }

  /** Fingerprints of the paths (rootfs-relative) that have attributes. */
  private async readFingerprints(paths: string[]): Promise<Map<string, string>> {
    const attrs = await readXattrs(paths.map((p) => join(this.rootfs, p)));
    const out = new Map<string, string>();
    for (const p of paths) {
      const f = fingerprint(attrs.get(join(this.rootfs, p)));
      if (f !== '') out.set(p, f);
    }
    return out;
  }

  /** Brings the kept attributes up to date for paths written or removed. */
  private async updateFingerprints(written: string[], removed: string[]): Promise<Map<string, string>> {
    const now = await this.readFingerprints(written);
    const kept = this.xattrs as Map<string, string>;
    for (const p of removed) kept.delete(p);
    for (const p of written) {
      const f = now.get(p);
      if (f === undefined) kept.delete(p);
      else kept.set(p, f);
    }
    return now;
  }

  /** Compares a fresh scan with the index, then makes the scan the new index. */
  private async diff(): Promise<ChangeSet> {
    const { mode } = this.opts;
    const next = scanRootfs(this.rootfs, this.ignore());
    const changes: Change[] = [];
    const inodeOnly: string[] = [];
    for (const [path, now] of next) {
      const before = this.index.get(path);
      if (!before) {
        if (mode === 'full') now.content = contentOf(join(this.rootfs, path), now);
        changes.push({ path, kind: 'add' });
        continue;
      }
      const replaced = before.type !== now.type;
      if (!metadataChanged(mode, before, now)) {
        now.content = before.content;
        continue;
      }
      if (mode === 'redo' && onlyCtimeMoved(before, now)) {
        inodeOnly.push(path);
        continue;
      }
      if (mode === 'full') {
        now.content = contentOf(join(this.rootfs, path), now);
        const same = !replaced && now.content === before.content && now.mode === before.mode && now.uid === before.uid && now.gid === before.gid;
        if (same) {
          if (now.ctimeMs !== before.ctimeMs) inodeOnly.push(path);
          continue;
        }
      }
      // A directory that is a new inode was removed and made again: what it held before is gone.
      const opaque = !replaced && now.type === S_IFDIR && now.ino !== before.ino;
      changes.push({ path, kind: 'modify', ...(replaced ? { replaced } : {}), ...(opaque ? { opaque } : {}) });
    }
    for (const path of this.index.keys()) if (!next.has(path)) changes.push({ path, kind: 'delete' });
    if (this.xattrs) {
      const before = new Map(inodeOnly.map((p) => [p, this.xattrs?.get(p) ?? '']));
      const written = changes.filter((c) => c.kind !== 'delete').map((c) => c.path);
      const now = await this.updateFingerprints([...written, ...inodeOnly], changes.filter((c) => c.kind === 'delete').map((c) => c.path));
      for (const p of inodeOnly) if ((now.get(p) ?? '') !== before.get(p)) changes.push({ path: p, kind: 'modify' });
    }
    this.index = next;
    return { rootfs: this.rootfs, changes: normalizeChanges(changes) };
  }

  async pathsChanged(paths: readonly string[]): Promise<ChangeSet> {
    const changes: Change[] = [];
    for (const path of expandWrittenPaths(this.rootfs, paths, this.ignore())) {
      const host = join(this.rootfs, path);
      const now = entryOf(lstatSync(host));
      if (this.opts.mode === 'full') now.content = contentOf(host, now);
      const before = this.index.get(path);
      const replaced = before !== undefined && before.type !== now.type;
      changes.push({ path, kind: before ? 'modify' : 'add', ...(replaced ? { replaced } : {}) });
      // A directory replaced by a file took its subtree with it; forget it so that the next
      // walk does not report whiteouts inside what is now a file.
      if (replaced && before.type === S_IFDIR) for (const key of [...this.index.keys()]) if (key.startsWith(`${path}/`)) this.index.delete(key);
      this.index.set(path, now);
    }
    if (this.xattrs) await this.updateFingerprints(changes.map((c) => c.path), []);
    return { rootfs: this.rootfs, changes: normalizeChanges(changes) };
  }
}
