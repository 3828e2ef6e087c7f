// The overlay snapshotter: the RUN command sees an overlay whose lower dir is the stage rootfs,
// so everything it writes lands in the upper dir, and the upper dir *is* the diff. finish() reads
// only the upper dir (cost O(changed files)) and turns overlay whiteouts (0/0 character devices)
// and opaque directories (trusted.overlay.opaque=y) into the change set, whose layer is read from
// the upper dir. Only when a later step needs the rootfs (settle) does the upper dir's content go
// onto it, so a stage's last RUN is never moved or copied.
import { lstat, mkdir, mkdtemp, readdir, rm, chown, chmod, lutimes } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readXattrs, removeXattrFromAll, removeXattrs, writeXattrs, isHostXattr, type Xattrs } from '../tar/xattr.ts';
import { copyTree, moveTree } from '../util/copy-tree.ts';
import { BuilderError, fromSystemError } from '../util/errors.ts';
import { log } from '../util/log.ts';
import { normalizeChanges, type Change, type ChangeSet } from './changes.ts';
import { expandWrittenPaths } from './expand.ts';
import { IgnoreList, mountPointsUnder } from './ignore.ts';
import { mountOverlay, unmount, type OverlayDirs } from './mount.ts';
import type { Snapshot, Snapshotter } from './types.ts';

const OPAQUE_XATTR = 'trusted.overlay.opaque';

interface UpperEntry {
  rel: string;
  st: Stats;
  whiteout: boolean;
  opaque: boolean;
  xattrs?: Xattrs;
  /** A merged directory's attributes in the lower dir (image ones only), to see removals. */
  lowerXattrs?: Xattrs;
}

function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

function kindOf(st: Stats): number {
  return st.mode & 0o170000;
}

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw err;
  }
}

/** Temp dirs beside the rootfs: the upper dir must be on the same filesystem for rename(2). */
async function overlayDirs(rootfs: string): Promise<OverlayDirs & { top: string }> {
  const top = await mkdtemp(join(dirname(rootfs), `.${basename(rootfs)}-overlay-`));
  const dirs = { top, lower: rootfs, upper: join(top, 'upper'), work: join(top, 'work'), merged: join(top, 'merged') };
  await Promise.all([mkdir(dirs.upper), mkdir(dirs.work), mkdir(dirs.merged)]);
  // The merged root shows the upper root's attributes; start it as a copy of the rootfs's.
  const root = await lstat(rootfs);
  await chown(dirs.upper, root.uid, root.gid);
  await chmod(dirs.upper, root.mode & 0o7777);
  await lutimes(dirs.upper, root.atime, root.mtime);
  return dirs;
}

const supported = new Map<string, Promise<boolean>>();

/** Whether overlayfs mounts for a rootfs under `dir`: tried for real once per directory. */
export function overlaySupported(dir: string): Promise<boolean> {
  let answer = supported.get(dir);
  if (!answer) {
    answer = (async () => {
      const probeRoot = await mkdtemp(join(dir, '.kiln-overlay-probe-'));
      const lower = join(probeRoot, 'lower');
      await mkdir(lower);
      let dirs: (OverlayDirs & { top: string }) | undefined;
      try {
        dirs = await overlayDirs(lower);
        await mountOverlay(dirs);
        await unmount(dirs.merged, true);
        return true;
      } catch {
        return false;
      } finally {
        await rm(probeRoot, { recursive: true, force: true });
        if (dirs) await rm(dirs.top, { recursive: true, force: true });
      }
    })();
    supported.set(dir, answer);
  }
  return answer;
}

/** Every entry of the upper dir, parents before children, with whiteout flags. */
async function readUpper(upper: string): Promise<UpperEntry[]> {
  const entries: UpperEntry[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const name of await readdir(dir)) {
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const st = await lstat(join(dir, name));
      entries.push({ rel: childRel, st, whiteout: isWhiteout(st), opaque: false });
      if (st.isDirectory()) await walk(join(dir, name), childRel);
    }
  };
  await walk(upper, '');
  return entries;
}

/** Without the host's own attributes (overlay bookkeeping, SELinux labels). */
function imageXattrs(all: Xattrs | undefined): Xattrs {
  return new Map([...(all ?? [])].filter(([name]) => !isHostXattr(name)));
}

export class OverlaySnapshotter implements Snapshotter {
  readonly kind = 'overlay' as const;
  private busy = false;
  /** Puts the last finished step onto the rootfs; set from its finish() until settle(). */
  private unsettled: (() => Promise<void>) | undefined;

  constructor(
    readonly rootfs: string,
    private readonly ignorePaths: readonly string[] = [],
  ) {}

  async settle(): Promise<void> {
    const apply = this.unsettled;
    this.unsettled = undefined;
    await apply?.();
  }

  async begin(): Promise<Snapshot> {
    await this.settle();
    if (this.busy) throw new BuilderError('INTERNAL', 'overlay snapshot already in progress');
    this.busy = true;
    let dirs: OverlayDirs & { top: string };
    try {
      dirs = await overlayDirs(this.rootfs);
    } catch (err) {
      this.busy = false;
      throw fromSystemError(err, dirname(this.rootfs));
    }
    try {
      await mountOverlay(dirs);
    } catch (err) {
      await rm(dirs.top, { recursive: true, force: true });
      this.busy = false;
      throw err;
    }
    let mounted = true;
    const cleanup = async (): Promise<void> => {
      this.busy = false;
      // A recursive delete would follow a bind mount the runner left behind (the host's /dev)
      // and delete through it; leave the directory rather than risk that.
      const left = mountPointsUnder(dirs.top);
      if (left.length > 0) {
        log.warn(`leaving ${dirs.top} in place: still mounted under it: ${left.join(', ')}`);
        return;
      }
      await rm(dirs.top, { recursive: true, force: true });
    };
    return {
      runRoot: dirs.merged,
      finish: async () => {
        let deferred = false;
        try {
          // A mount the step left behind would be detached silently by a lazy umount; it means a
          // runner bug, so it fails the step as a plain umount's EBUSY would.
          const left = mountPointsUnder(dirs.merged);
          if (left.length > 0) throw new BuilderError('ISOLATION', `a mount was left in the run root after the step: ${left.join(', ')}`);
          // Lazy: a plain umount of an overlay syncs the upper filesystem, which costs up to a
          // second on a busy disk; the upper dir is read directly and needs no sync.
          await unmount(dirs.merged, true);
          mounted = false;
          const upper = await readUpper(dirs.upper);
          const changes = await this.classify(dirs.upper, upper);
          const knownXattrs = new Map(upper.filter((e) => !e.whiteout).map((e) => [e.rel, e.xattrs ?? new Map()]));
          // The step holds the snapshotter (busy) until settle(); a build that never settles
          // leaves the upper dir to the workspace's removal.
          this.unsettled = async () => {
            try {
              await this.applyUpper(dirs.upper, upper);
            } finally {
              await cleanup();
            }
          };
          deferred = true;
          return { rootfs: dirs.upper, changes: normalizeChanges(changes), knownXattrs };
        } finally {
          if (!deferred) {
            if (mounted) await unmount(dirs.merged, true).catch(() => undefined);
            await cleanup();
          }
        }
      },
      abort: async () => {
        if (mounted) await unmount(dirs.merged, true);
        mounted = false;
        await cleanup();
      },
    };
  }

  /** Upper entries against the rootfs as it still is (the lower dir). */
  private async classify(upperRoot: string, upper: UpperEntry[]): Promise<Change[]> {
    const ignore = new IgnoreList(this.rootfs, this.ignorePaths);
    const lowers = new Map<string, Stats | null>();
    for (const e of upper) if (!ignore.has(e.rel)) lowers.set(e.rel, await lstatOrNull(join(this.rootfs, e.rel)));
    await this.readXattrs(upperRoot, upper, lowers);
    const changes: Change[] = [];
    for (const e of upper) {
      if (ignore.has(e.rel)) continue;
      const lower = lowers.get(e.rel) ?? null;
      if (e.whiteout) {
        if (lower) changes.push({ path: e.rel, kind: 'delete' });
        continue;
      }
      if (!lower) {
        changes.push({ path: e.rel, kind: 'add' });
        continue;
      }
      const replaced = kindOf(lower) !== kindOf(e.st);
      const opaque = !replaced && e.opaque;
      // Overlay copies a directory up whenever something inside it is touched, even if what was
      // made there is gone again (a runner's mount placeholder); unchanged, it is no change.
      if (!replaced && !opaque && e.st.isDirectory() && sameDirMetadata(lower, e)) continue;
      changes.push({ path: e.rel, kind: 'modify', ...(replaced ? { replaced } : {}), ...(opaque ? { opaque } : {}) });
    }
    return changes;
  }

  /**
   * One getfattr for the step: every upper entry's attributes (opaque markers among them, and what
   * the layer writer needs), and those of each directory on both sides as it is in the lower dir,
   * since a directory copied up keeps only the attributes it still has: a removal shows only there.
   */
  private async readXattrs(upperRoot: string, upper: UpperEntry[], lowers: Map<string, Stats | null>): Promise<void> {
    const entries = upper.filter((e) => !e.whiteout);
    const merged = entries.filter((e) => e.st.isDirectory() && lowers.get(e.rel)?.isDirectory());
    const attrs = await readXattrs([...entries.map((e) => join(upperRoot, e.rel)), ...merged.map((e) => join(this.rootfs, e.rel))], true);
    for (const e of entries) {
      const own = attrs.get(join(upperRoot, e.rel));
      e.opaque = e.st.isDirectory() && own?.get(OPAQUE_XATTR)?.toString() === 'y';
      e.xattrs = imageXattrs(own);
    }
    for (const e of merged) e.lowerXattrs = imageXattrs(attrs.get(join(this.rootfs, e.rel)));
  }

  /**
   * Puts the upper dir onto the rootfs: whiteouts delete, an opaque or new directory replaces
   * whatever was there whole, a directory present on both sides is merged and then given the
   * upper's metadata (after its children, whose arrival changes its mtime). On the rootfs's own
   * file system each entry is renamed into place; on another (a base store's overlay, where a
   * rename is EXDEV) one `cp -a` of the whole upper dir places them, since a copy per entry would
   * be a spawn per file an apt install adds.
   */
  private async applyUpper(upperRoot: string, upper: UpperEntry[]): Promise<void> {
    const byRel = new Map(upper.map((e) => [e.rel, e]));
    const copyAll = (await lstat(upperRoot)).dev !== (await lstat(this.rootfs)).dev;
    const placed: string[] = [];
    const merged: UpperEntry[] = [];
    const merge = async (rel: string): Promise<void> => {
      const upperDir = rel === '' ? upperRoot : join(upperRoot, rel);
      for (const name of await readdir(upperDir)) {
        const childRel = rel === '' ? name : `${rel}/${name}`;
        const e = byRel.get(childRel) as UpperEntry;
        const target = join(this.rootfs, childRel);
        const lower = await lstatOrNull(target);
        if (e.whiteout) {
          if (lower) await rm(target, { recursive: true, force: true });
          continue;
        }
        if (e.st.isDirectory() && lower?.isDirectory() && !e.opaque) {
          await merge(childRel);
          merged.push(e);
          continue;
        }
        // Removed first even where a file replaces a file: writing over a hard-linked lower file
        // would change its other names too.
        if (lower) await rm(target, { recursive: true, force: true });
        if (!copyAll) await moveTree(join(upperRoot, childRel), target, "a step's change");
        placed.push(childRel);
      }
    };
    try {
      await merge('');
      // Overlay bookkeeping must not travel into the rootfs: the next mount uses it as lower dir.
      if (copyAll) {
        for (const e of upper) if (e.whiteout) await rm(join(upperRoot, e.rel), { force: true });
        await copyTree(`${upperRoot}/.`, this.rootfs, "a step's changes");
      } else {
        const insidePlaced = (e: UpperEntry) => placed.some((m) => e.rel.startsWith(`${m}/`));
        for (const e of upper) if (e.whiteout && insidePlaced(e)) await rm(join(this.rootfs, e.rel), { force: true });
      }
      // Opaque directories are all placed whole, never merged. A copy onto an overlay of a kernel
      // before 6.7 (no xattr escaping) could not set their marker, so an absent one is fine.
      await removeXattrFromAll(OPAQUE_XATTR, upper.filter((e) => e.opaque && !e.whiteout).map((e) => join(this.rootfs, e.rel)));
      for (const e of merged) await this.copyDirMetadata(join(this.rootfs, e.rel), e);
      const root = await lstat(upperRoot);
      const rootEntry: UpperEntry = { rel: '', st: root, whiteout: false, opaque: false };
      await this.copyDirMetadata(this.rootfs, rootEntry);
    } catch (err) {
      throw fromSystemError(err, this.rootfs);
    }
  }

  private async copyDirMetadata(target: string, e: UpperEntry): Promise<void> {
    await chown(target, e.st.uid, e.st.gid);
    await chmod(target, e.st.mode & 0o7777);
    if (e.xattrs?.size) await writeXattrs([[target, e.xattrs]]);
    const removed = [...(e.lowerXattrs?.keys() ?? [])].filter((name) => !e.xattrs?.has(name));
    if (removed.length > 0) await removeXattrs(target, removed);
    await lutimes(target, e.st.atime, e.st.mtime);
  }

  async pathsChanged(paths: readonly string[]): Promise<ChangeSet> {
    // Settling now would put the step over what COPY just wrote: the caller settles before writing.
    if (this.unsettled) throw new BuilderError('INTERNAL', 'COPY wrote into a rootfs whose last RUN was not settled');
    // COPY/ADD wrote straight into the rootfs, so whether a path is new is no longer known; the
    // layer writer treats an addition and a modification alike.
    const rels = expandWrittenPaths(this.rootfs, paths, new IgnoreList(this.rootfs, this.ignorePaths));
    return { rootfs: this.rootfs, changes: normalizeChanges(rels.map((path) => ({ path, kind: 'modify' as const }))) };
  }
}

function sameDirMetadata(lower: Stats, e: UpperEntry): boolean {
  return (
    lower.mode === e.st.mode &&
    lower.uid === e.st.uid &&
    lower.gid === e.st.gid &&
    lower.mtimeMs === e.st.mtimeMs &&
    sameXattrs(e.lowerXattrs ?? new Map(), e.xattrs ?? new Map())
  );
}

function sameXattrs(a: Xattrs, b: Xattrs): boolean {
  if (a.size !== b.size) return false;
  for (const [name, value] of a) if (!b.get(name)?.equals(value)) return false;
  return true;
}
