// Cache writes run in the background while the build goes on; the build awaits flush() once at the
// end. A write that fails costs a later build a cache hit, never this build its result, so
// failures become warnings here and flush() itself never fails.
import { describeError } from '../util/errors.ts';
import { log } from '../util/log.ts';

export interface FlushResult {
  written: number;
  failed: number;
}

export class BackgroundWrites {
  private readonly queue: Array<() => Promise<void>> = [];
  private readonly running = new Set<Promise<void>>();
  private written = 0;
  private failed = 0;

  /** `limit` writes at once, so cache pushes leave bandwidth to the build's own pulls. */
  constructor(private readonly limit: number = 2) {}

  /** Starts `write` when a slot is free; `what` names it in the warning if it fails. */
  add(what: string, write: () => Promise<void>): void {
    this.queue.push(async () => {
      try {
        await write();
        this.written++;
      } catch (err) {
        this.failed++;
        log.warn(`could not write ${what} to the layer cache: ${describeError(err)}`);
      }
    });
    this.pump();
  }

  private pump(): void {
    while (this.running.size < this.limit && this.queue.length > 0) {
      const task = (this.queue.shift() as () => Promise<void>)();
      this.running.add(task);
      void task.finally(() => {
        this.running.delete(task);
        this.pump();
      });
    }
  }

  /** Resolves once every write added so far (and any added meanwhile) has finished. */
  async flush(): Promise<FlushResult> {
    while (this.running.size > 0 || this.queue.length > 0) await Promise.all([...this.running]);
    return { written: this.written, failed: this.failed };
  }
}
