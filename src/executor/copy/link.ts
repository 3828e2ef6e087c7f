// `COPY --link`: BuildKit copies into an empty directory and lays the result over the stage as
// a layer, so nothing on the destination path is read from the stage (no symlink there is
// followed) and every directory of the copied tree ends up a real directory. This applies such
// a scratch tree onto the rootfs with layer semantics: directories merge and take the scratch
// directory's metadata, anything else replaces what was there.
import { type Stats, chmodSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, readdirSync, readlinkSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lstatIfExists } from '../../tar/root-path.ts';

/** Lays `scratch` over `rootfs`; adds the paths written (relative to the rootfs) to `written`. */
export async function applyScratch(scratch: string, rootfs: string, written: Set<string>): Promise<void> {
  const inodes = new Map<string, string>();
  async function apply(rel: string): Promise<void> {
    const from = join(scratch, rel);
    const to = join(rootfs, rel);
    const st = lstatSync(from);
    const existing = lstatIfExists(to);
    if (existing && !(existing.isDirectory() && st.isDirectory())) rmSync(to, { recursive: true, force: true });
    if (st.isDirectory()) {
      if (!existing?.isDirectory()) mkdirSync(to);
      for (const name of (readdirSync(from)).sort()) await apply(rel ? `${rel}/${name}` : name);
    } else if (st.isSymbolicLink()) {
      symlinkSync(readlinkSync(from), to);
    } else {
      const key = `${st.dev}:${st.ino}`;
      const seen = st.nlink > 1 ? inodes.get(key) : undefined;
      if (seen) linkSync(seen, to);
      else {
        await copyFile(from, to);
        inodes.set(key, to);
      }
    }
    await setInfo(to, st);
    if (rel !== '') written.add(rel);
  }
  for (const name of (readdirSync(scratch)).sort()) await apply(name);
}

async function setInfo(to: string, st: Stats): Promise<void> {
  lchownSync(to, st.uid, st.gid);
  if (st.isSymbolicLink()) {
    lutimesSync(to, st.atime, st.mtime);
    return;
  }
  chmodSync(to, st.mode & 0o7777);
  utimesSync(to, st.atime, st.mtime);
}
