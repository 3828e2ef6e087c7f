// The walk snapshotter: the RUN command writes into the rootfs itself, and finish() stats every
// path and compares it with the index of the previous snapshot. Cost O(all files), the price of
// working where overlayfs does not mount (kaniko's way). Modes follow kaniko's --snapshot-mode:
//   time  mtime only (plus inode, so a file replaced within one mtime tick is still seen);
//   redo  mtime, size, mode, uid, gid, plus ctime and inode;
//   full  redo's test decides which files to hash; a change is then a different content, link
//         target, type, mode or owner, so rewriting a file with the same bytes is no change.
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
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

export class WalkSnapshotter implements Snapshotter {
  readonly kind = 'walk' as const;
  private index: RootfsIndex;
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

  async begin(): Promise<Snapshot> {
    if (this.busy) throw new BuilderError('INTERNAL', 'walk snapshot already in progress');
    this.busy = true;
    return {
      runRoot: this.rootfs,
      finish: async () => {
        try {
          return this.diff();
        } finally {
          this.busy = false;
        }
      },
      abort: async () => {
        this.index = scanRootfs(this.rootfs, this.ignore(), this.opts.mode === 'full');
        this.busy = false;
      },
    };
  }

  /** Compares a fresh scan with the index, then makes the scan the new index. */
  private diff(): ChangeSet {
    const { mode } = this.opts;
    const next = scanRootfs(this.rootfs, this.ignore());
    const changes: Change[] = [];
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
      if (mode === 'full') {
        now.content = contentOf(join(this.rootfs, path), now);
        const same = !replaced && now.content === before.content && now.mode === before.mode && now.uid === before.uid && now.gid === before.gid;
        // Only the inode changed (ctime moved, mtime did not): an extended attribute set or
        // removed, or a link count; the layer must carry the entry as it is now.
        const inodeOnly = now.ctimeMs !== before.ctimeMs && now.mtimeMs === before.mtimeMs;
        if (same && !inodeOnly) continue;
      }
      // A directory that is a new inode was removed and made again: what it held before is gone.
      const opaque = !replaced && now.type === S_IFDIR && now.ino !== before.ino;
      changes.push({ path, kind: 'modify', ...(replaced ? { replaced } : {}), ...(opaque ? { opaque } : {}) });
    }
    for (const path of this.index.keys()) if (!next.has(path)) changes.push({ path, kind: 'delete' });
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
    return { rootfs: this.rootfs, changes: normalizeChanges(changes) };
  }
}
