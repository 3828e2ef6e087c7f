// Step lines and the end-of-build summary. Each step prints `[stage n/m] INSTRUCTION` when it
// starts and its duration when it ends; command output is prefixed so it reads apart from ours.
import { Writable } from 'node:stream';
import { log } from '../util/log.ts';
import { redact } from '../util/redact.ts';

/** Where a step comes from: its stage and its Dockerfile line, for reports and annotations. */
export interface StepOrigin {
  stage: string;
  line: number;
}

export interface StepTiming extends StepOrigin {
  label: string;
  text: string;
  seconds: number;
  cached: boolean;
}

export class Progress {
  readonly steps: StepTiming[] = [];
  /** The step that threw, if one did: the face annotates its Dockerfile line. */
  failed?: StepOrigin & { text: string };
  private readonly started = Date.now();
  private current?: StepTiming;

  async step<T>(label: string, text: string, origin: StepOrigin, work: () => Promise<T>): Promise<T> {
    log.info(`[${label}] ${text}`);
    const t0 = performance.now();
    const step: StepTiming = { label, text, seconds: 0, cached: false, ...origin };
    this.current = step;
    try {
      const result = await work();
      step.seconds = (performance.now() - t0) / 1000;
      this.steps.push(step);
      log.debug(`[${label}] done in ${step.seconds.toFixed(2)}s${step.cached ? ' (cached)' : ''}`);
      return result;
    } catch (err) {
      this.failed ??= { text, ...origin };
      throw err;
    } finally {
      this.current = undefined;
    }
  }

  /** The running step's result came from the layer cache. */
  markCached(): void {
    if (this.current) this.current.cached = true;
  }

  get elapsedSeconds(): number {
    return (Date.now() - this.started) / 1000;
  }
}

/** A writable that logs the command's output line by line under the step's label. */
export function commandOutput(label: string): Writable {
  let pending = '';
  const emit = (line: string): void => log.info(`[${label}] ${redact(line)}`);
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      pending += chunk.toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        emit(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
      done();
    },
    final(done) {
      if (pending) emit(pending);
      pending = '';
      done();
    },
  });
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}

interface Transfer {
  done: number;
  total?: number;
}

/**
 * Bytes moved by pulls and pushes. On a terminal one live line is rewritten; elsewhere (CI logs)
 * a plain line appears at most every `intervalMs`, and once more when a phase completes.
 */
export class TransferMeter {
  private readonly transfers = { download: new Map<string, Transfer>(), upload: new Map<string, Transfer>() };
  private lastPrint = 0;

  constructor(
    private readonly terminal: boolean,
    private readonly intervalMs = 5000,
  ) {}

  readonly onProgress = (event: { phase: 'download' | 'upload'; digest: string; done: number; total?: number }): void => {
    this.transfers[event.phase].set(event.digest, { done: event.done, total: event.total });
    const now = Date.now();
    const complete = event.total !== undefined && event.done >= event.total;
    if (now - this.lastPrint < (this.terminal ? 200 : this.intervalMs) && !(complete && this.allDone(event.phase))) return;
    this.lastPrint = now;
    this.print(event.phase);
  };

  private allDone(phase: 'download' | 'upload'): boolean {
    for (const t of this.transfers[phase].values()) if (t.total === undefined || t.done < t.total) return false;
    return true;
  }

  private print(phase: 'download' | 'upload'): void {
    let done = 0;
    let total = 0;
    for (const t of this.transfers[phase].values()) {
      done += t.done;
      total += t.total ?? t.done;
    }
    const verb = phase === 'download' ? 'pulled' : 'pushed';
    const line = `${verb} ${formatBytes(done)} / ${formatBytes(total)} (${this.transfers[phase].size} blobs)`;
    if (this.terminal) process.stderr.write(`\r\x1b[2K${line}${this.allDone(phase) ? '\n' : ''}`);
    else log.info(line);
  }
}
