// An advisory lock file for read-modify-write of small shared files (an OCI layout's index.json):
// O_EXCL creation is atomic, so exactly one process holds the lock at a time.
import { open, rm, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { BuilderError, fromSystemError } from '../util/errors.ts';

const RETRY_MS = 25;
const WAIT_MS = 30_000;
// A lock older than this belongs to a process that died holding it.
const STALE_MS = 120_000;

export async function withFileLock<T>(lockPath: string, work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      const fh = await open(lockPath, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fromSystemError(err, lockPath);
      const age = await stat(lockPath).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > STALE_MS) await rm(lockPath, { force: true });
      else if (Date.now() > deadline) throw new BuilderError('IO', `${lockPath}: still locked by another process after ${WAIT_MS / 1000} s`);
      else await sleep(RETRY_MS);
    }
  }
  try {
    return await work();
  } finally {
    await rm(lockPath, { force: true });
  }
}
