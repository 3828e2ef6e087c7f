// Makes a directory once per machine even when several test processes ask at the same time:
// a lock file holding the maker's pid serializes makers, and the result appears by rename.
import { existsSync } from 'node:fs';
import { chmod, mkdir, open, readFile, readdir, rename, rm, mkdtemp, stat } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** True while process `pid` exists (EPERM: it exists but is not ours). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function acquire(lockPath: string): Promise<() => Promise<void>> {
  await mkdir(dirname(lockPath), { recursive: true });
  for (;;) {
    try {
      const fh = await open(lockPath, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return () => rm(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
    // A lock left by a dead process is stale; one without a pid may be in the middle of being written.
    const age = await stat(lockPath).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (Number.isFinite(holder) ? !alive(holder) : age > 10_000) {
      await rm(lockPath, { force: true });
      continue;
    }
    await sleep(200);
  }
}

/** Returns `dir`, first calling `make(tmp)` to fill a fresh sibling directory that is renamed to `dir`. */
export async function ensureDir(dir: string, make: (tmp: string) => Promise<void>): Promise<string> {
  if (existsSync(dir)) return dir;
  const release = await acquire(`${dir}.lock`);
  try {
    if (existsSync(dir)) return dir;
    // Holding the lock, any sibling temp directory is the leftover of a maker that died.
    const prefix = `.${basename(dir)}.tmp-`;
    for (const name of await readdir(dirname(dir))) {
      if (name.startsWith(prefix)) await rm(join(dirname(dir), name), { recursive: true, force: true });
    }
    const tmp = await mkdtemp(join(dirname(dir), prefix));
    try {
      await make(tmp);
      // mkdtemp made it private; what it holds is meant for every user of the lab.
      await chmod(tmp, 0o755);
      await rename(tmp, dir);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
    return dir;
  } finally {
    await release();
  }
}
