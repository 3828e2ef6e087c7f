// Small files of a layer made on worker threads. Creating a file costs the kernel tens of
// microseconds, and a layer of 100k of them kept one core busy in the kernel while the other
// idled; the extractor parses on the main thread and hands batches of small files to these
// threads. Files of one directory go to the same thread, so threads do not queue on one
// directory's lock. The pool tracks every file not yet settled, so the extractor can make any
// entry that depends on one (below it, at its name, above it) wait for it.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { packJobs, type FileJob, type FileOutcome, type WriterBatch, type WriterReply } from './file-job.ts';

export interface PendingFile {
  /** Normalised name inside the rootfs. */
  rel: string;
  /** The name as the tar has it, for errors. */
  name: string;
  job: FileJob;
}

export interface SettledFile extends PendingFile {
  outcome: FileOutcome;
}

const BATCH_FILES = 256;
const BATCH_BYTES = 1 << 20;
/** Batches in flight per thread: enough to keep it busy while the next one is parsed. */
const DEPTH = 2;

/** How many writer threads a layer gets: one per core, at most four, none on one core. */
export function defaultWriterCount(): number {
  const cores = availableParallelism();
  return cores < 2 ? 0 : Math.min(4, cores);
}

function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./file-writer-worker.js', import.meta.url));
  // From source (tests, tsx), a worker thread does not inherit tsx's loader: it registers it first.
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const worker = JSON.stringify(new URL('./file-writer-worker.ts', import.meta.url).href);
  return new Worker(`import(${tsx}).then((tsx) => { tsx.register(); return import(${worker}); });`, { eval: true });
}

function parentOf(rel: string): string {
  const slash = rel.lastIndexOf('/');
  return slash === -1 ? '' : rel.slice(0, slash);
}

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return h >>> 0;
}

/** What a thread answered for a batch: each outcome but 'done', with its file's index. */
type Others = WriterReply['others'];

interface Sent {
  files: PendingFile[];
  done: Promise<Others>;
}

export class FileWriterPool {
  private readonly workers: Worker[];
  private readonly queued: PendingFile[][];
  private readonly queuedBytes: number[];
  private readonly inFlight: Sent[] = [];
  private readonly waiting = new Map<number, { files: PendingFile[]; resolve: (others: Others) => void }>();
  private failure: Error | undefined;
  private nextId = 1;
  /** Files not yet settled, by name. */
  private readonly names = new Map<string, number>();
  /** Directories with unsettled files somewhere below them, with how many. */
  private readonly dirs = new Map<string, number>();
  /** Each directory's ancestors, itself first, "" last: files of one directory share them. */
  private readonly chains = new Map<string, string[]>();

  constructor(count: number) {
    this.workers = Array.from({ length: count }, () => {
      const worker = startWorker();
      worker.on('message', (reply: WriterReply) => this.settle(reply));
      worker.on('error', (err) => this.fail(err));
      return worker;
    });
    this.queued = this.workers.map(() => []);
    this.queuedBytes = this.workers.map(() => 0);
  }

  /** True if an unsettled file is at `rel`, at one of its parents, or below it. */
  busy(rel: string): boolean {
    if (this.names.size === 0) return false;
    if (this.dirs.has(rel) || this.names.has(rel)) return true;
    for (const p of this.chain(parentOf(rel))) if (this.names.has(p)) return true;
    return false;
  }

  /** Queues a file; returns false if the pool is full and the caller should wait (`next()`). */
  add(file: PendingFile): boolean {
    this.count(file.rel, 1);
    const w = hash(parentOf(file.rel)) % this.workers.length;
    this.queued[w].push(file);
    this.queuedBytes[w] += file.job.data.length;
    if (this.queued[w].length >= BATCH_FILES || this.queuedBytes[w] >= BATCH_BYTES) this.send(w);
    return this.inFlight.length < DEPTH * this.workers.length;
  }

  /** Waits for the oldest batch in flight; returns its files that were not simply made. */
  async next(): Promise<SettledFile[]> {
    const oldest = this.inFlight.shift();
    if (!oldest) return [];
    const others = await oldest.done;
    for (const f of oldest.files) this.count(f.rel, -1);
    return others.map(([i, outcome]) => ({ ...oldest.files[i], outcome }));
  }

  /** Sends what is queued and waits for everything. */
  async drain(): Promise<SettledFile[]> {
    for (let w = 0; w < this.workers.length; w++) if (this.queued[w].length > 0) this.send(w);
    const settled: SettledFile[] = [];
    while (this.inFlight.length > 0) settled.push(...(await this.next()));
    return settled;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private send(w: number): void {
    const files = this.queued[w];
    this.queued[w] = [];
    this.queuedBytes[w] = 0;
    const id = this.nextId++;
    const done = new Promise<Others>((resolve) => this.waiting.set(id, { files, resolve }));
    this.inFlight.push({ files, done });
    if (this.failure) {
      this.settleFailed(id);
      return;
    }
    const batch: WriterBatch = { id, count: files.length, packed: packJobs(files.map((f) => f.job)) };
    this.workers[w].postMessage(batch, [batch.packed]);
  }

  private settle(reply: WriterReply): void {
    const waiter = this.waiting.get(reply.id);
    if (!waiter) return;
    this.waiting.delete(reply.id);
    waiter.resolve(reply.others);
  }

  /** A thread died: every file it or any other thread still holds is reported failed. */
  private fail(err: Error): void {
    this.failure ??= err;
    for (const id of [...this.waiting.keys()]) this.settleFailed(id);
  }

  private settleFailed(id: number): void {
    const waiter = this.waiting.get(id);
    if (!waiter) return;
    this.waiting.delete(id);
    const message = `file writer thread failed: ${this.failure?.message ?? 'unknown error'}`;
    waiter.resolve(waiter.files.map((_, i) => [i, { kind: 'failed', message }]));
  }

  private count(rel: string, delta: number): void {
    bump(this.names, rel, delta);
    for (const p of this.chain(parentOf(rel))) bump(this.dirs, p, delta);
  }

  private chain(dir: string): string[] {
    let chain = this.chains.get(dir);
    if (!chain) {
      chain = dir === '' ? [''] : [dir, ...this.chain(parentOf(dir))];
      this.chains.set(dir, chain);
    }
    return chain;
  }
}

function bump(map: Map<string, number>, key: string, delta: number): void {
  const n = (map.get(key) ?? 0) + delta;
  if (n === 0) map.delete(key);
  else map.set(key, n);
}
