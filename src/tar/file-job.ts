// Making one regular file of a layer, shared by the extractor's main thread and its writer
// threads so both create files the same way: exclusively (O_EXCL|O_NOFOLLOW never follows or
// reuses what is there), clearing a non-directory in the way only when the first try finds one.
// A directory in the way is reported, not removed: only the extractor may remove directories,
// since its path resolutions and pending metadata must hear about it.
import { closeSync, constants, fchmodSync, fchownSync, ftruncateSync, futimesSync, lstatSync, openSync, unlinkSync, writeSync } from 'node:fs';

/** One regular file to create at `path` (a host path inside the rootfs). */
export interface FileJob {
  path: string;
  data: Uint8Array;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  /** The owner differs from the one the kernel gives a new file here. */
  chown: boolean;
  /** Set the mode again after chown (setuid/setgid bits, or bits the umask took). */
  chmod: boolean;
}

export type FileOutcome =
  | { kind: 'done' }
  /** Made, after unlinking a symlink in the way: cached path resolutions may be stale. */
  | { kind: 'replaced-symlink' }
  /** Not made: a directory is in the way. */
  | { kind: 'dir-in-the-way' }
  | { kind: 'failed'; message: string; code?: string; syscall?: string; path?: string };

/**
 * A batch of jobs for a writer thread, packed into one buffer that the post moves rather than
 * copies: cloning 64 job objects and their bodies cost the extracting thread more than parsing.
 */
export interface WriterBatch {
  id: number;
  count: number;
  packed: ArrayBuffer;
}

export interface WriterReply {
  id: number;
  /** Each outcome but 'done', with the index of its job in the batch. */
  others: Array<[number, FileOutcome]>;
}

/** Per job in a packed batch: path bytes, body bytes, mode, uid, gid, mtime, flags (1 chown, 2 chmod). */
const PACKED_NUMBERS = 7;

/** The jobs in one buffer: their numbers as float64 (uids, modes and second mtimes are exact), then each path and body. */
export function packJobs(jobs: readonly FileJob[]): ArrayBuffer {
  const head = jobs.length * PACKED_NUMBERS * 8;
  let size = head;
  const pathBytes = jobs.map((j) => Buffer.byteLength(j.path));
  for (let i = 0; i < jobs.length; i++) size += pathBytes[i] + jobs[i].data.length;
  const packed = new ArrayBuffer(size);
  const numbers = new Float64Array(packed, 0, jobs.length * PACKED_NUMBERS);
  const bytes = Buffer.from(packed);
  let at = head;
  jobs.forEach((j, i) => {
    numbers.set([pathBytes[i], j.data.length, j.mode, j.uid, j.gid, j.mtime, (j.chown ? 1 : 0) | (j.chmod ? 2 : 0)], i * PACKED_NUMBERS);
    at += bytes.write(j.path, at);
    bytes.set(j.data, at);
    at += j.data.length;
  });
  return packed;
}

/** The jobs of a packed batch; their bodies are views into it. */
export function unpackJobs(packed: ArrayBuffer, count: number): FileJob[] {
  const numbers = new Float64Array(packed, 0, count * PACKED_NUMBERS);
  const bytes = Buffer.from(packed);
  const jobs: FileJob[] = [];
  let at = count * PACKED_NUMBERS * 8;
  for (let i = 0; i < count; i++) {
    const [pathLength, dataLength, mode, uid, gid, mtime, flags] = numbers.subarray(i * PACKED_NUMBERS, (i + 1) * PACKED_NUMBERS);
    const path = bytes.toString('utf8', at, at + pathLength);
    at += pathLength;
    jobs.push({ path, data: bytes.subarray(at, at + dataLength), mode, uid, gid, mtime, chown: (flags & 1) !== 0, chmod: (flags & 2) !== 0 });
    at += dataLength;
  }
  return jobs;
}

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export type Opened = { fd: number; replacedSymlink: boolean } | 'dir-in-the-way';

export function openExclusive(path: string, mode: number): Opened {
  try {
    return { fd: openSync(path, CREATE_FLAGS, mode & 0o777), replacedSymlink: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const st = lstatSync(path);
  if (st.isDirectory()) return 'dir-in-the-way';
  unlinkSync(path);
  return { fd: openSync(path, CREATE_FLAGS, mode & 0o777), replacedSymlink: st.isSymbolicLink() };
}

/** Writes all of `data`, at `position` of the file or, without one, where the file stands. */
export function writeAll(fd: number, data: Uint8Array, position?: number): void {
  for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off, position === undefined ? null : position + off);
}

const HOLE_BLOCK = 4096;
const ZERO_BLOCK = Buffer.alloc(HOLE_BLOCK);

/**
 * Fills a new file from a stream of chunks, leaving each whole block of zeros unwritten: a tar
 * has no holes, so a sparse file (useradd's lastlog for a large uid, a preallocated disk image)
 * arrives as its zeros, and written out it would take its full size on disk. Chunks are cut
 * wherever the stream cut them, so a block split between two is completed from the next.
 */
export class SparseFileWriter {
  private position = 0;
  private carry: Buffer = Buffer.alloc(0);

  constructor(private readonly fd: number) {}

  write(chunk: Buffer): void {
    const data = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    const whole = data.length - (data.length % HOLE_BLOCK);
    let run = 0;
    for (let off = 0; off < whole; off += HOLE_BLOCK) {
      if (!data.subarray(off, off + HOLE_BLOCK).equals(ZERO_BLOCK)) continue;
      if (off > run) writeAll(this.fd, data.subarray(run, off), this.position + run);
      run = off + HOLE_BLOCK;
    }
    if (whole > run) writeAll(this.fd, data.subarray(run, whole), this.position + run);
    this.position += whole;
    // A copy: the stream may reuse the memory of the chunk it handed over.
    this.carry = Buffer.from(data.subarray(whole));
  }

  /** Writes the last partial block and sets the length, which a trailing hole leaves short. */
  end(): void {
    if (this.carry.length > 0 && this.carry.some((b) => b !== 0)) writeAll(this.fd, this.carry, this.position);
    this.position += this.carry.length;
    this.carry = Buffer.alloc(0);
    ftruncateSync(this.fd, this.position);
  }
}

/** Owner, then mode (chown clears setuid/setgid), then times; closes `fd`. */
export function finishFile(fd: number, job: Omit<FileJob, 'path' | 'data'>): void {
  try {
    if (job.chown) fchownSync(fd, job.uid, job.gid);
    if (job.chmod) fchmodSync(fd, job.mode);
    futimesSync(fd, job.mtime, job.mtime);
  } finally {
    closeSync(fd);
  }
}

/** Writes the job's bytes into the new file `fd`, then its owner, mode and times; closes `fd`. */
export function fillFile(fd: number, job: FileJob): void {
  try {
    writeAll(fd, job.data);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  finishFile(fd, job);
}

/** A writer thread's way: a directory in the way is reported, not removed. */
export function writeFileJob(job: FileJob): FileOutcome {
  const opened = openExclusive(job.path, job.mode);
  if (opened === 'dir-in-the-way') return { kind: 'dir-in-the-way' };
  fillFile(opened.fd, job);
  return { kind: opened.replacedSymlink ? 'replaced-symlink' : 'done' };
}
