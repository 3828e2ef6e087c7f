// Copies one resolved source (a file, or a directory's contents) to its target inside the rootfs
// with fsutil's rules, which BuildKit applies for COPY and ADD: symlinks are copied as links and
// never followed, hardlinks within the source stay hardlinks, modes and times come from the
// source, owners from --chown or the source (0:0 for the build context), --chmod rewrites modes;
// an existing directory is merged, an existing file or link replaced, and a directory never
// replaces a non-directory. Directories that are only walked (ignored with exceptions inside,
// or not matched by --parents' pattern) are created when something inside them is copied.
import { type Stats, chmodSync, lchownSync, lstatSync, lutimesSync, mkdirSync, readdirSync, readlinkSync, rmSync, symlinkSync, utimesSync, linkSync } from 'node:fs';
// Metadata calls are synchronous (microseconds each; the thread-pool hop of the async form costs
// more than the call); file contents are copied asynchronously.
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lstatIfExists } from '../../tar/root-path.ts';
import type { IgnoreFilter } from '../../context/filter.ts';
import type { Owner } from '../../context/untar.ts';
import { BuilderError } from '../../util/errors.ts';
import type { ModeChange } from './chmod.ts';
import type { PathMatcher } from './patterns.ts';
import { makeSpecial } from './special.ts';

export interface TreeOptions {
  srcRoot: string;
  rootfs: string;
  /** Keep the source's uid/gid; false for the build context, whose files arrive as 0:0. */
  keepOwner: boolean;
  owner?: Owner;
  mode?: ModeChange;
  ignore: IgnoreFilter;
  /** --exclude, over paths relative to the copied source. */
  exclude?: PathMatcher;
  /** --parents' pattern, over paths relative to the copied source; absent means everything. */
  include?: PathMatcher;
  written: Set<string>;
}

interface Pending {
  src: Stats;
  hostTarget: string;
  relTarget: string;
  made: boolean;
}

/** One source match copied to one target: fsutil's copier, with its hardlink memory. */
export class TreeCopier {
  private readonly inodes = new Map<string, string>();
  private readonly pending: Pending[] = [];

  constructor(private readonly opts: TreeOptions) {}

  /**
   * Copies `srcRel` (resolved, relative to the source root) to `targetRel` (relative to the
   * rootfs, resolved up to its last component).
   */
  async copyTop(srcRel: string, targetRel: string): Promise<void> {
    await this.copy(srcRel, '', targetRel, false, true);
  }

  private async copy(srcRel: string, components: string, targetRel: string, overwriteMeta: boolean, include: boolean): Promise<void> {
    const srcHost = join(this.opts.srcRoot, srcRel);
    const hostTarget = join(this.opts.rootfs, targetRel);
    const st = lstatSync(srcHost);
    const targetBefore = lstatIfExists(hostTarget);

    if (st.isDirectory()) {
      let created = false;
      if (include) {
        await this.materializePending();
        created = await makeDirOnly(hostTarget, targetBefore, st, overwriteMeta, targetRel);
        if (created || overwriteMeta) this.opts.written.add(targetRel);
      }
      this.pending.push({ src: st, hostTarget, relTarget: targetRel, made: include });
      try {
        for (const name of (readdirSync(srcHost)).sort()) {
          await this.child(join(srcRel, name), components ? `${components}/${name}` : name, targetRel ? `${targetRel}/${name}` : name);
        }
      } finally {
        this.pending.pop();
      }
      if (!include) return;
      if (overwriteMeta || created) await this.copyInfo(st, hostTarget);
      else if (targetBefore) {
        // fsutil puts the source's times back on a directory it merged into.
        utimesSync(hostTarget, st.atime, st.mtime);
        this.opts.written.add(targetRel);
      }
      return;
    }

    if (!include) return;
    await this.materializePending();
    if (targetBefore?.isDirectory()) {
      throw new BuilderError('BUILD_FAILED', `cannot replace to directory /${targetRel} with file`);
    }
    if (targetBefore) rmSync(hostTarget, { force: true });
    if (st.isFile()) {
      const seen = st.nlink > 1 ? this.inodes.get(`${st.dev}:${st.ino}`) : undefined;
      if (seen) linkSync(seen, hostTarget);
      else {
        await copyFile(srcHost, hostTarget);
        if (st.nlink > 1) this.inodes.set(`${st.dev}:${st.ino}`, hostTarget);
      }
    } else if (st.isSymbolicLink()) {
      symlinkSync(readlinkSync(srcHost), hostTarget);
    } else {
      await makeSpecial(st, hostTarget, `/${srcRel}`);
    }
    await this.copyInfo(st, hostTarget);
    this.opts.written.add(targetRel);
  }

  /** Decides whether a directory entry is copied, walked only, or skipped. */
  private async child(srcRel: string, components: string, targetRel: string): Promise<void> {
    const isDir = (lstatSync(join(this.opts.srcRoot, srcRel))).isDirectory();
    let include = this.opts.include ? this.opts.include(components) : true;
    if (this.opts.exclude?.(components)) include = false;
    if (this.opts.ignore.ignored(srcRel, isDir)) {
      // Invisible, unless a `!` exception may re-include something inside this directory.
      if (!isDir || this.opts.ignore.canSkipDir(srcRel)) return;
      include = false;
    }
    await this.copy(srcRel, components, targetRel, true, include);
  }

  /** Creates the walked-only directories above an entry about to be copied. */
  private async materializePending(): Promise<void> {
    for (const p of this.pending) {
      if (p.made) continue;
      const before = lstatIfExists(p.hostTarget);
      const created = await makeDirOnly(p.hostTarget, before, p.src, true, p.relTarget);
      if (created) await this.copyInfo(p.src, p.hostTarget);
      this.opts.written.add(p.relTarget);
      p.made = true;
    }
  }

  /** Owner, mode and times of the source onto the copy (fsutil's copyFileInfo). */
  private async copyInfo(st: Stats, hostTarget: string): Promise<void> {
    const owner = this.opts.owner ?? (this.opts.keepOwner ? { uid: st.uid, gid: st.gid } : { uid: 0, gid: 0 });
    lchownSync(hostTarget, owner.uid, owner.gid);
    if (!st.isSymbolicLink()) {
      const mode = st.mode & 0o7777;
      chmodSync(hostTarget, this.opts.mode ? this.opts.mode(mode, st.isDirectory()) : mode);
      utimesSync(hostTarget, st.atime, st.mtime);
    } else {
      lutimesSync(hostTarget, st.atime, st.mtime);
    }
  }
}

/** fsutil's copyDirectoryOnly: true when it made the directory. */
async function makeDirOnly(host: string, before: Stats | undefined, src: Stats, overwriteMeta: boolean, rel: string): Promise<boolean> {
  if (!before) {
    mkdirSync(host, { mode: src.mode & 0o777 });
    return true;
  }
  if (!before.isDirectory()) throw new BuilderError('BUILD_FAILED', `cannot copy to non-directory: /${rel}`);
  if (overwriteMeta) chmodSync(host, src.mode & 0o7777);
  return false;
}
