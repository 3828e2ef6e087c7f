// `COPY --link`: BuildKit copies into an empty directory and lays the result over the stage as
// a layer, so nothing on the destination path is read from the stage (no symlink there is
// followed) and every directory of the copied tree ends up a real directory. This applies such
// a scratch tree onto the rootfs with layer semantics: directories merge and take the scratch
// directory's metadata, anything else replaces what was there.
import { type Stats } from 'node:fs';
import { chmod, copyFile, lchown, link, lstat, lutimes, mkdir, readdir, readlink, rm, symlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';

/** Lays `scratch` over `rootfs`; adds the paths written (relative to the rootfs) to `written`. */
export async function applyScratch(scratch: string, rootfs: string, written: Set<string>): Promise<void> {
  const inodes = new Map<string, string>();
  async function apply(rel: string): Promise<void> {
    const from = join(scratch, rel);
    const to = join(rootfs, rel);
    const st = await lstat(from);
    const existing = await lstat(to).catch(() => undefined);
    if (existing && !(existing.isDirectory() && st.isDirectory())) await rm(to, { recursive: true, force: true });
    if (st.isDirectory()) {
      if (!existing?.isDirectory()) await mkdir(to);
      for (const name of (await readdir(from)).sort()) await apply(rel ? `${rel}/${name}` : name);
    } else if (st.isSymbolicLink()) {
      await symlink(await readlink(from), to);
    } else {
      const key = `${st.dev}:${st.ino}`;
      const seen = st.nlink > 1 ? inodes.get(key) : undefined;
      if (seen) await link(seen, to);
      else {
        await copyFile(from, to);
        inodes.set(key, to);
      }
    }
    await setInfo(to, st);
    if (rel !== '') written.add(rel);
  }
  for (const name of (await readdir(scratch)).sort()) await apply(name);
}

async function setInfo(to: string, st: Stats): Promise<void> {
  await lchown(to, st.uid, st.gid);
  if (st.isSymbolicLink()) {
    await lutimes(to, st.atime, st.mtime);
    return;
  }
  await chmod(to, st.mode & 0o7777);
  await utimes(to, st.atime, st.mtime);
}
