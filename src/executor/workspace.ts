// The scratch space of one build: a directory per stage rootfs, a blob directory the layer writer
// fills, and temp space for downloads. Removed when the build ends, whatever happened.
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { spawn } from 'node:child_process';
import { describeError, fromSystemError } from '../util/errors.ts';
import { log } from '../util/log.ts';

export class Workspace {
  /** What must happen before the tree goes: unmounting what is mounted inside it. */
  private readonly releases: Array<() => Promise<void>> = [];

  private constructor(readonly root: string) {}

  beforeDispose(release: () => Promise<void>): void {
    this.releases.push(release);
  }

  /** `KILN_WORKDIR` chooses where builds happen; it must be on a filesystem that allows overlay and devices. */
  static async create(): Promise<Workspace> {
    return Workspace.createIn(process.env.KILN_WORKDIR || tmpdir());
  }

  /** A workspace under `parent`, which is made if missing. */
  static async createIn(parent: string): Promise<Workspace> {
    try {
      await mkdir(parent, { recursive: true });
      sweepTrash(parent);
      const root = await mkdtemp(join(parent, 'kiln-build-'));
      const ws = new Workspace(root);
      await Promise.all([mkdir(ws.blobRoot), mkdir(ws.tmp), mkdir(join(root, 'stages'))]);
      return ws;
    } catch (err) {
      throw fromSystemError(err, `build directory under ${parent}`);
    }
  }

  /** Holds `blobs/sha256/…` of the layers this build writes. */
  get blobRoot(): string {
    return join(this.root, 'store');
  }

  get tmp(): string {
    return join(this.root, 'tmp');
  }

  stageDir(index: number): string {
    return join(this.root, 'stages', String(index));
  }

  /** A fresh directory for a rootfs that is not a stage (an image read by COPY --from). */
  async scratchDir(prefix: string): Promise<string> {
    return mkdtemp(join(this.tmp, prefix));
  }

  /**
   * Deleting a rootfs of 100k files takes seconds that the user should not wait for: the
   * workspace is renamed aside at once (nothing of it is visible under its name any more) and a
   * detached `rm` deletes it, finishing even if kiln has exited.
   */
  async dispose(): Promise<void> {
    for (const release of this.releases.splice(0).reverse()) {
      await release().catch((err: unknown) => log.warn(`${this.root}: ${describeError(err)}`));
    }
    const trash = join(dirname(this.root), `${TRASH_PREFIX}${Date.now()}-${basename(this.root)}`);
    try {
      await rename(this.root, trash);
    } catch {
      await rm(this.root, { recursive: true, force: true, maxRetries: 3 });
      return;
    }
    removeInBackground(trash);
  }
}

const TRASH_PREFIX = 'kiln-trash-';
/** A trash directory older than this was orphaned (its rm was killed): the next build removes it. */
const ORPHANED_TRASH_MS = 60 * 60_000;

function removeInBackground(path: string): void {
  // --one-file-system: never descend into a mount a failed step may have left inside.
  const child = spawn('nice', ['-n', '10', 'rm', '-rf', '--one-file-system', '--', path], { detached: true, stdio: 'ignore' });
  child.on('error', () => undefined);
  child.unref();
}

function sweepTrash(parent: string): void {
  readdir(parent)
    .then((names) => {
      const now = Date.now();
      for (const name of names) {
        const stamp = name.startsWith(TRASH_PREFIX) ? Number(name.slice(TRASH_PREFIX.length).split('-')[0]) : NaN;
        if (now - stamp > ORPHANED_TRASH_MS) removeInBackground(join(parent, name));
      }
    })
    .catch(() => undefined);
}
