// A copy of a file or tree with every file type, owner, mode, xattr and hard link kept, by
// coreutils' `cp -a` (Node's fs.cp keeps neither owners nor xattrs); reflinks make it cheap where
// the filesystem has them.
import { execFile } from 'node:child_process';
import { rename } from 'node:fs/promises';
import { BuilderError } from './errors.ts';

/** `what` says what is copied, for the error, e.g. "the stage filesystem". `cp` is the program to run. */
export function copyTree(from: string, to: string, what: string, cp = 'cp'): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cp, ['-a', '--reflink=auto', '--', from, to], (err, _stdout, stderr) => {
      if (!err) return resolve();
      const why = String(stderr).trim().split('\n')[0] || err.message;
      reject(new BuilderError('IO', `copying ${what} ${from} failed: ${why}`));
    });
  });
}

/**
 * rename(2), or a copy where `to` turns out to be on another mount (a mount inside the target
 * tree); what is left at `from` is the caller's to remove. A caller that knows the whole target
 * is another mount (a stage rootfs over the base store) copies the tree once instead.
 */
export async function moveTree(from: string, to: string, what: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await copyTree(from, to, what);
  }
}
