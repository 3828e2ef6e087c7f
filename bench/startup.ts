// Benchmark: start-up of the bundled entries, the fixed cost every kiln run pays before it does any
// work (a no-change rebuild from the layer cache is mostly this). Each command is run N times in
// turn (interleaved, so a burst of load hits them alike) after one untimed warm-up run each (page
// cache); prints the median and min wall-clock ms, next to bare `node -e 0`, and the bytes of
// JavaScript each entry parses at start (the entry file and the chunks it imports statically).
//
//   npx tsx bench/startup.ts [--runs N] [--dist DIR]      DIR defaults to the checkout's dist/
//
// Builds nothing: it reads the bundles `npm run build` made.
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { repoRoot } from '../test/support/lab-dir.ts';
import { median, table } from './lib/measure.ts';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const runs = Number(option('--runs', '20'));
const dist = resolve(option('--dist', join(repoRoot, 'dist')));
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive integer');

const COMMANDS: Array<{ title: string; args: string[]; entry?: string }> = [
  { title: 'node -e 0', args: ['-e', '0'] },
  { title: 'kiln version', args: [join(dist, 'kiln.js'), 'version'], entry: join(dist, 'kiln.js') },
  { title: 'executor version', args: [join(dist, 'executor.js'), 'version'], entry: join(dist, 'executor.js') },
  { title: 'docker-credential-kiln version', args: [join(dist, 'docker-credential-kiln.js'), 'version'], entry: join(dist, 'docker-credential-kiln.js') },
];

/** Bytes of the entry and of every chunk it imports statically (what Node compiles before main runs). */
function startupBytes(file: string, seen = new Set<string>()): number {
  if (seen.has(file)) return 0;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  let bytes = statSync(file).size;
  // esbuild writes a chunk's static imports as `import … from "./cli-chunks/chunk-X.js";` (dynamic ones are `import("…")`).
  for (const m of text.matchAll(/(?:^|[;\n])\s*import\s*(?:[\w$*{}\s,]+from\s*)?"(\.{1,2}\/[^"]+)"/g)) bytes += startupBytes(resolve(dirname(file), m[1]), seen);
  return bytes;
}

function runOnce(args: string[]): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.toString().trim()}`);
  return ms;
}

const times = COMMANDS.map(() => [] as number[]);
for (const c of COMMANDS) runOnce(c.args);
for (let i = 0; i < runs; i++) COMMANDS.forEach((c, k) => times[k]!.push(runOnce(c.args)));
const rows = COMMANDS.map((c, k) => [
  c.title,
  `${median(times[k]!).toFixed(0)} ms`,
  `${Math.min(...times[k]!).toFixed(0)} ms`,
  c.entry ? `${(startupBytes(c.entry) / 2 ** 20).toFixed(2)} MiB` : '-',
]);
process.stdout.write(`start-up of ${dist}, ${runs} runs each, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n\n`);
process.stdout.write(`${table(['command', 'median', 'min', 'JS parsed at start'], rows)}\n`);
