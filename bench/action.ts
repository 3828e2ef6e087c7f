// Benchmark: the GitHub Action's start-up. The step is run as the runner runs it (`node
// dist/action.js` with INPUT_* and the step files; no registry-auth, no gha cache, so the action
// writes nothing of its own before the executor speaks) on a two-line Dockerfile, and the time
// from spawning the step to the first line the executor's output puts on the step's log is
// measured (the target is under 300 ms), next to bare `node -e 0` start-up on this machine. Also
// prints the size of dist/action.js (what every step parses), dist/action-chunks/ (loaded only
// for credentials or the gha cache) and dist/executor.js, plain and gzipped.
//
//   npx tsx bench/action.ts [--runs N] [--dist DIR]      DIR defaults to the checkout's dist/
//
// Builds nothing: it reads the bundles `npm run build` made.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { repoRoot } from '../test/support/lab-dir.ts';
import { median, table } from './lib/measure.ts';

const TARGET_MS = 300;

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const runs = Number(option('--runs', '7'));
const dist = resolve(option('--dist', join(repoRoot, 'dist')));

interface StepTiming {
  firstByteMs: number;
  totalMs: number;
}

/** One step: ms from spawn to the first executor line on stdout, and to the step's exit. */
async function timeStep(entry: string, root: string, n: number): Promise<StepTiming> {
  const job = join(root, `job-${n}`);
  const ws = join(job, 'workspace');
  await mkdir(join(job, 'temp'), { recursive: true });
  await mkdir(ws, { recursive: true });
  await writeFile(join(ws, 'Dockerfile'), 'FROM scratch\nCOPY hello /hello\n');
  await writeFile(join(ws, 'hello'), 'hello\n');
  const files = Object.fromEntries(['GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_ENV', 'GITHUB_STEP_SUMMARY', 'GITHUB_PATH'].map((k) => [k, join(job, k.toLowerCase())]));
  for (const f of Object.values(files)) await writeFile(f, '');
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_WORKSPACE: ws,
    RUNNER_TEMP: join(job, 'temp'),
    ...files,
    INPUT_CONTEXT: '.',
    INPUT_PUSH: 'false',
    INPUT_SUMMARY: 'true',
    INPUT_PROVENANCE: 'false',
  };
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [entry], { cwd: ws, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let firstByteMs: number | undefined;
    let pending = '';
    let log = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      log += chunk;
      if (firstByteMs !== undefined) return;
      pending += chunk;
      // Workflow commands (::group:: …) are the action's; the first other line is the executor's.
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      if (lines.some((l) => l !== '' && !l.startsWith('::'))) firstByteMs = performance.now() - started;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0 || firstByteMs === undefined) reject(new Error(`the step exited ${code}:\n${log.slice(-2000)}`));
      else resolvePromise({ firstByteMs, totalMs: performance.now() - started });
    });
  });
}

async function nodeStartMs(): Promise<number> {
  const started = performance.now();
  await new Promise<void>((res, rej) => spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' }).on('close', () => res()).on('error', rej));
  return performance.now() - started;
}

/** A file, or a directory's files together. */
function sizeRow(path: string): string[] {
  if (!existsSync(path)) return [path, 'missing', ''];
  const files = statSync(path).isDirectory() ? readdirSync(path).map((name) => join(path, name)) : [path];
  const bytes = files.reduce((sum, f) => sum + statSync(f).size, 0);
  const gz = files.reduce((sum, f) => sum + gzipSync(readFileSync(f)).length, 0);
  return [path, `${(bytes / 2 ** 20).toFixed(2)} MiB`, `${(gz / 2 ** 20).toFixed(2)} MiB`];
}

async function main(): Promise<void> {
  const entry = join(dist, 'action.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build, or pass --dist DIR`);
  const root = await mkdtemp(join(tmpdir(), 'kiln-bench-action-'));
  try {
    await timeStep(entry, root, 0); // warms the page cache; not counted
    const steps: StepTiming[] = [];
    const bare: number[] = [];
    for (let i = 1; i <= runs; i++) {
      steps.push(await timeStep(entry, root, i));
      bare.push(await nodeStartMs());
    }
    const first = steps.map((s) => s.firstByteMs);
    const ms = (v: number): string => `${v.toFixed(0)} ms`;
    console.log(`bench/action: ${runs} runs of ${entry}, load average ${loadavg()[0].toFixed(2)}\n`);
    console.log(
      table(
        ['measure', 'median', 'min', 'max', 'target'],
        [
          ['step start -> first executor byte', ms(median(first)), ms(Math.min(...first)), ms(Math.max(...first)), `< ${TARGET_MS} ms ${median(first) < TARGET_MS ? '(met)' : '(missed)'}`],
          ['whole step (FROM scratch + COPY, no push)', ms(median(steps.map((s) => s.totalMs))), ms(Math.min(...steps.map((s) => s.totalMs))), ms(Math.max(...steps.map((s) => s.totalMs))), ''],
          ['bare node -e 0, for scale', ms(median(bare)), ms(Math.min(...bare)), ms(Math.max(...bare)), ''],
        ],
      ),
    );
    console.log('');
    console.log(table(['bundle', 'size', 'gzipped'], [sizeRow(entry), sizeRow(join(dist, 'action-chunks')), sizeRow(join(dist, 'executor.js'))]));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
