// Shared by the benchmarks: run a command as a child under GNU time and report its wall-clock
// time and peak resident memory, plus small statistics and a plain-text table.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const GNU_TIME = '/usr/bin/time';

export interface Measurement {
  /** Wall-clock seconds, measured here around the child (not GNU time's rounded %e). */
  seconds: number;
  /** Peak RSS of the child (largest of it and its waited-for descendants), in MiB. */
  peakRssMiB: number;
  exitCode: number;
  /** The last lines the command wrote to stderr (and stdout), for failure messages. */
  outputTail: string;
}

export interface MeasureOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
}

export class MeasureError extends Error {
  constructor(
    readonly command: string,
    readonly measurement: Measurement,
  ) {
    super(`${command} exited ${measurement.exitCode} after ${measurement.seconds.toFixed(1)} s: ${measurement.outputTail}`);
    this.name = 'MeasureError';
  }
}

/** Throws unless GNU time is installed (Debian package `time`). */
export function requireGnuTime(): void {
  if (!existsSync(GNU_TIME)) {
    throw new Error(`${GNU_TIME} is missing: install the Debian package "time" (apt-get install time) to measure peak RSS`);
  }
}

/**
 * Runs `command args…` under `/usr/bin/time -f %M -o FILE` (so the command's own stderr stays
 * clean) and resolves with its time and peak RSS, whatever its exit status.
 */
export async function measure(command: string, args: string[], opts: MeasureOptions = {}): Promise<Measurement> {
  requireGnuTime();
  const dir = await mkdtemp(join(tmpdir(), 'kiln-bench-time-'));
  const out = join(dir, 'time.txt');
  try {
    const started = process.hrtime.bigint();
    const { exitCode, outputTail } = await new Promise<{ exitCode: number; outputTail: string }>((resolve, reject) => {
      const child = spawn(GNU_TIME, ['-f', '%M', '-o', out, command, ...args], {
        env: opts.env ?? process.env,
        cwd: opts.cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let tail = '';
      const keep = (d: Buffer): void => {
        tail = (tail + d.toString('utf8')).slice(-4000);
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
      child.once('error', reject);
      child.once('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        resolve({ exitCode: code ?? (signal ? 128 : 1), outputTail: tail.trim().split('\n').slice(-15).join('\n') });
      });
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    // GNU time writes "Command exited with non-zero status N" before the format line on failure.
    const lines = (await readFile(out, 'utf8').catch(() => '')).trim().split('\n');
    const kib = Number(lines[lines.length - 1]);
    return { seconds, peakRssMiB: Number.isFinite(kib) ? kib / 1024 : Number.NaN, exitCode, outputTail };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Like measure(), but rejects with a MeasureError when the command fails. */
export async function measureOk(command: string, args: string[], opts: MeasureOptions = {}): Promise<Measurement> {
  const m = await measure(command, args, opts);
  if (m.exitCode !== 0) throw new MeasureError(command, m);
  return m;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Formats rows as a left-aligned text table with a header row and a rule under it. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function fmtSeconds(s: number): string {
  return Number.isFinite(s) ? `${s.toFixed(2)} s` : '—';
}

export function fmtMiB(m: number): string {
  return Number.isFinite(m) ? `${m.toFixed(0)} MiB` : '—';
}

export function fmtRatio(r: number): string {
  return Number.isFinite(r) ? `${r.toFixed(2)}×` : '—';
}
