// Runs kiln's CLI from source as a child process, the way a user runs it, and returns its exit
// code and output; never throws for a non-zero exit, since tests assert on failures too.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { repoRoot } from './lab-dir.ts';
import { join } from 'node:path';

export interface KilnResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KilnOptions {
  env?: NodeJS.ProcessEnv;
  input?: string;
  cwd?: string;
}

/** The running CLI, for tests that watch its output or kill it part way. */
export function kilnProcess(args: string[], opts: KilnOptions = {}): ChildProcessWithoutNullStreams {
  // $KILN_BIN: a built bundle (npm test sets it to dist/kiln.js); otherwise the sources via tsx.
  const entry = process.env.KILN_BIN ? [process.env.KILN_BIN] : ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts')];
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: opts.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end(opts.input ?? '');
  return child;
}

export function kiln(args: string[], opts: KilnOptions = {}): Promise<KilnResult> {
  return new Promise((resolve, reject) => {
    const child = kilnProcess(args, opts);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
