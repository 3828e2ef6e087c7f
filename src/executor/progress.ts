// Step lines and the end-of-build summary. Each step prints `[stage n/m] INSTRUCTION` when it
// starts and its duration when it ends; command output is prefixed so it reads apart from ours.
import { Writable } from 'node:stream';
import { log } from '../util/log.ts';
import { redact } from '../util/redact.ts';

export interface StepTiming {
  label: string;
  text: string;
  seconds: number;
  cached?: boolean;
}

export class Progress {
  readonly steps: StepTiming[] = [];
  private readonly started = Date.now();

  async step<T>(label: string, text: string, work: () => Promise<T>, opts: { cached?: () => boolean } = {}): Promise<T> {
    log.info(`[${label}] ${text}`);
    const t0 = performance.now();
    const result = await work();
    const seconds = (performance.now() - t0) / 1000;
    const cached = opts.cached?.() ?? false;
    this.steps.push({ label, text, seconds, cached });
    log.debug(`[${label}] done in ${seconds.toFixed(2)}s${cached ? ' (cached)' : ''}`);
    return result;
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
