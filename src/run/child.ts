// Waiting for a command without being held hostage by its children: a background process that
// inherited stdout keeps the pipe open, so we wait for the exit of the process itself, then give
// the pipes a moment to drain and cut them.
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import type { Writable } from 'node:stream';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Resolves on 'exit' (not 'close'), rejects if the program could not be started. */
export function exited(child: ChildProcess): Promise<Exit> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** The status a shell would report: the exit code, or 128 + the signal number. */
export function statusOf(exit: Exit): number {
  if (exit.code !== null) return exit.code;
  const n = exit.signal ? constants.signals[exit.signal] : undefined;
  return 128 + (n ?? 0);
}

/** Copies the child's output to the caller's streams without ending them. */
export function forward(child: ChildProcess, stdout: Writable, stderr: Writable): void {
  child.stdout?.pipe(stdout, { end: false });
  child.stderr?.pipe(stderr, { end: false });
}

/** After the process exited: waits up to `graceMs` for its pipes to close, then cuts them. */
export async function drain(child: ChildProcess, graceMs: number): Promise<void> {
  const pipes = [child.stdout, child.stderr].filter((s) => s && !s.destroyed && !s.readableEnded);
  const closed = Promise.all(pipes.map((s) => new Promise<void>((resolve) => s!.once('close', () => resolve()))));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, graceMs);
  });
  await Promise.race([closed, timeout]);
  clearTimeout(timer);
  for (const s of pipes) s!.destroy();
}
