// Replaces a small file all at once: readers see the old content or the new, never a mix.
import { open, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { fromSystemError } from '../util/errors.ts';

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    const fh = await open(temp, 'wx', 0o644);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw fromSystemError(err, path);
  }
}
