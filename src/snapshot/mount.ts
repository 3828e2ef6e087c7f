// mount(8)/umount(8) for overlayfs: Node has no mount(2), and util-linux is on every host where
// kiln runs as root.
import { execFile } from 'node:child_process';
import { BuilderError } from '../util/errors.ts';

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, (err, _out, stderr) => {
      if (err) reject(Object.assign(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`), { cause: err }));
      else resolve();
    });
  });
}

export interface OverlayDirs {
  lower: string;
  upper: string;
  work: string;
  merged: string;
}

/**
 * Mounts an overlay where the upper dir must be exactly the diff: no redirects (a renamed
 * directory would be recorded as a pointer instead of its contents; nofollow also ignores any in
 * the lower dir), no metacopy (a chmod would leave the data in the lower file), no index.
 * `volatile` (Linux 5.10) makes the step's fsyncs no-ops: dpkg syncs every file it unpacks, but
 * a build's upper dir is read back into a layer and thrown away, and a build the machine
 * crashed under is redone, never resumed. Kernels that do not know an option also do not have
 * its feature, so each option set falls back to the next.
 */
export async function mountOverlay(dirs: OverlayDirs): Promise<void> {
  for (const d of Object.values(dirs)) {
    if (/[,:\\]/.test(d)) throw new BuilderError('ISOLATION', `overlay mount: path "${d}" contains ",", ":" or "\\", which mount options cannot carry`);
  }
  const base = `lowerdir=${dirs.lower},upperdir=${dirs.upper},workdir=${dirs.work}`;
  const strict = `${base},redirect_dir=nofollow,metacopy=off,index=off`;
  let failure: unknown;
  for (const options of [`${strict},volatile`, strict, base]) {
    try {
      await run('mount', ['-t', 'overlay', 'overlay', '-o', options, dirs.merged]);
      return;
    } catch (err) {
      failure = err;
    }
  }
  throw new BuilderError('ISOLATION', `overlay mount at ${dirs.merged} failed: ${(failure as Error).message}`, { cause: failure });
}

export async function unmount(path: string, lazy = false): Promise<void> {
  try {
    await run('umount', lazy ? ['-l', path] : [path]);
  } catch (err) {
    throw new BuilderError('ISOLATION', `unmounting ${path} failed (is a process of the step still running?): ${(err as Error).message}`, { cause: err });
  }
}
