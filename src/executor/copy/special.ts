// Device and fifo files, which fsutil recreates with mknod(2) when copying (a stage's /dev, a
// fifo left in a rootfs). Node has no mknod, so coreutils' `mknod` makes them; sockets have no
// command-line maker and are refused with the path named.
import { execFile } from 'node:child_process';
import type { Stats } from 'node:fs';
import { promisify } from 'node:util';
import { BuilderError } from '../../util/errors.ts';

const run = promisify(execFile);

/** Linux's encoding of a device number (glibc's gnu_dev_major/minor). */
function major(rdev: number): number {
  return Number(((BigInt(rdev) >> 8n) & 0xfffn) | ((BigInt(rdev) >> 32n) & ~0xfffn));
}

function minor(rdev: number): number {
  return Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn));
}

/** Creates at `host` a special file like the source's; `shown` names it in errors. */
export async function makeSpecial(st: Stats, host: string, shown: string): Promise<void> {
  let args: string[];
  if (st.isFIFO()) args = ['--', host, 'p'];
  else if (st.isCharacterDevice()) args = ['--', host, 'c', String(major(st.rdev)), String(minor(st.rdev))];
  else if (st.isBlockDevice()) args = ['--', host, 'b', String(major(st.rdev)), String(minor(st.rdev))];
  else throw new BuilderError('BUILD_FAILED', `cannot copy ${shown}: sockets cannot be copied`);
  try {
    await run('mknod', args);
  } catch (err) {
    const why = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim();
    throw new BuilderError('BUILD_FAILED', `cannot copy ${shown}: ${why}`, { cause: err });
  }
}
