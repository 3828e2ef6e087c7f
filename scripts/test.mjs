// Runs node's test runner over test files found by suffix (or named one by one); Node 20's
// --test takes no globs.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['test/unit', 'test/integration'];
const files = [];
function walk(dir) {
  if (!statSync(dir).isDirectory()) return void files.push(dir);
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.ts')) files.push(p);
  }
}
for (const root of roots) walk(root);
const concurrency = process.env.KILN_TEST_CONCURRENCY ?? '2';
// Tests that run kiln as a user would run the bundle `npm test` has just built from src/ (tsx's
// start-up costs seconds per run, and there are hundreds); KILN_BIN= (empty) runs the sources.
const env = { ...process.env };
if (env.KILN_BIN === undefined && existsSync('dist/kiln.js')) env.KILN_BIN = resolve('dist/kiln.js');
if (env.KILN_BIN === '') delete env.KILN_BIN;
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files],
  { stdio: 'inherit', env },
);
process.exit(result.status ?? 1);
