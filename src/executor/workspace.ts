// The scratch space of one build: a directory per stage rootfs, a blob directory the layer writer
// fills, and temp space for downloads. Removed when the build ends, whatever happened.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { BuilderError, fromSystemError } from '../util/errors.ts';

export class Workspace {
  private constructor(readonly root: string) {}

  /** `KILN_WORKDIR` chooses where builds happen; it must be on a filesystem that allows overlay and devices. */
  static async create(): Promise<Workspace> {
    const parent = process.env.KILN_WORKDIR || tmpdir();
    try {
      await mkdir(parent, { recursive: true });
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

  async dispose(): Promise<void> {
    await rm(this.root, { recursive: true, force: true, maxRetries: 3 });
  }
}

/**
 * A copy of a rootfs with every file type, owner, mode, xattr and hardlink kept; reflinks make it
 * cheap where the filesystem has them.
 */
export async function copyTree(from: string, to: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn('cp', ['-a', '--reflink=auto', '--', from, to], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new BuilderError('IO', `copying the stage filesystem ${from} failed: ${stderr.trim().split('\n')[0]}`)),
    );
  });
}
