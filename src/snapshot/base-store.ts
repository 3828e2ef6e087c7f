// The base store (--base-store DIR): each base image's layers are extracted once per machine into
// DIR/<chain>/, and a stage that starts from that image gets an overlay whose lower dir is the
// stored tree and whose upper dir is the stage's own. What the stage changes lands in its upper
// dir; the stored tree is never written, so any number of builds share it, and a warm build's
// cost is what its steps change, not the size of the base.
//
// An entry is extracted under a temp name and renamed into place when complete, so a name in DIR
// is always a whole tree; a build killed mid-extract leaves only a `.tmp-` directory, which the
// next build that needs the same base removes once it is an hour old.
import { createHash } from 'node:crypto';
import { chmod, chown, lstat, lutimes, mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { extractImage, type LayerSource } from '../tar/extract.ts';
import { BuilderError, fromSystemError } from '../util/errors.ts';
import { log } from '../util/log.ts';
import { mountOverlay, unmount } from './mount.ts';

const TMP_PREFIX = '.tmp-';
const ORPHANED_MS = 60 * 60_000;

/** The entry name for an image's layers: a digest of their digests in order (OCI's chain idea). */
export function chainKey(layers: readonly LayerSource[]): string {
  const hash = createHash('sha256');
  for (const l of layers) hash.update(`${l.digest}\n`);
  return hash.digest('hex');
}

/** An overlay mounted over a stored base; unmount() when the stage's tree is no longer read. */
export interface MountedBase {
  readonly rootfs: string;
  unmount(): Promise<void>;
}

export class BaseStore {
  constructor(readonly dir: string) {}

  /** The stored tree of `layers`, extracted now if no build has done it yet. */
  async tree(layers: readonly LayerSource[], image: string): Promise<string> {
    const final = join(this.dir, chainKey(layers));
    if (await exists(final)) {
      log.info(`using ${image} from the base store ${this.dir}`);
      return final;
    }
    let tmp: string;
    try {
      if (!(await isDirOrMissing(this.dir))) throw new BuilderError('USAGE', `base store ${this.dir}: not a directory`);
      await mkdir(this.dir, { recursive: true });
      await this.sweep();
      tmp = await mkdtemp(join(this.dir, `${TMP_PREFIX}${Date.now()}-`));
    } catch (err) {
      throw fromSystemError(err, `base store ${this.dir}`);
    }
    try {
      await extractImage(tmp, layers, { image });
      await rename(tmp, final);
      log.info(`stored ${image} in the base store ${this.dir}`);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      // Another build stored the same base first: its tree is as good as ours.
      if (isTaken(err) && (await exists(final))) return final;
      throw fromSystemError(err, `base store ${this.dir}`);
    }
    return final;
  }

  /**
   * Mounts `rootfs` (an empty directory) as an overlay of the stored tree, with `upper` and
   * `work` (empty, on the same filesystem as each other) holding what the stage changes.
   */
  async mount(layers: readonly LayerSource[], image: string, dirs: { rootfs: string; upper: string; work: string }): Promise<MountedBase> {
    const lower = await this.tree(layers, image);
    await Promise.all([mkdir(dirs.rootfs, { recursive: true }), mkdir(dirs.upper, { recursive: true }), mkdir(dirs.work, { recursive: true })]);
    // An overlay's root shows the upper dir's owner, mode and times: start them as the image's.
    const root = await lstat(lower);
    await chown(dirs.upper, root.uid, root.gid);
    await chmod(dirs.upper, root.mode & 0o7777);
    await lutimes(dirs.upper, root.atime, root.mtime);
    await mountOverlay({ lower, upper: dirs.upper, work: dirs.work, merged: dirs.rootfs });
    let mounted = true;
    return {
      rootfs: dirs.rootfs,
      unmount: async () => {
        if (!mounted) return;
        mounted = false;
        await unmount(dirs.rootfs, true);
      },
    };
  }

  /** Removes temp trees of extractions that were killed (older than an hour). */
  private async sweep(): Promise<void> {
    const now = Date.now();
    for (const name of await readdir(this.dir)) {
      if (!name.startsWith(TMP_PREFIX)) continue;
      const stamp = Number(name.slice(TMP_PREFIX.length).split('-')[0]);
      if (now - stamp > ORPHANED_MS) await rm(join(this.dir, name), { recursive: true, force: true });
    }
  }
}

async function isDirOrMissing(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isDirectory();
  } catch {
    return false;
  }
}

function isTaken(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOTEMPTY' || code === 'EEXIST';
}
