// Runs conformance cases from the command line, outside the test runner:
//   npx tsx test/conformance/run.ts [--candidate kiln|buildah] [--no-cache] [--layout] [--show] [CASE…]
// --candidate buildah compares a fresh buildah build against the (cached) reference: a check of
// the harness and the corpus themselves. --show prints each reference's config and tree size.
import { startRegistry } from '../support/registry.ts';
import { pushBaseImages } from '../support/base-images.ts';
import { loadCases } from './cases.ts';
import { ConformanceHarness, formatDiffs, type Candidate } from './harness.ts';

const argv = process.argv.slice(2);
const flag = (name: string): boolean => {
  const i = argv.indexOf(name);
  if (i >= 0) argv.splice(i, 1);
  return i >= 0;
};
const option = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  const [, value] = argv.splice(i, 2);
  return value;
};
const candidate = (option('--candidate') ?? 'kiln') as Candidate;
if (candidate !== 'kiln' && candidate !== 'buildah') throw new Error('--candidate must be kiln or buildah');
const useCache = !flag('--no-cache');
const layout = flag('--layout');
const show = flag('--show');

const all = await loadCases();
const wanted = argv.length ? all.filter((c) => argv.includes(c.name)) : all;
for (const name of argv) if (!all.some((c) => c.name === name)) throw new Error(`no case named ${name}`);

const reg = await startRegistry('plain');
const harness = new ConformanceHarness({ reg, useCache, kilnOutput: layout ? 'layout' : 'registry' });
let failed = 0;
try {
  await pushBaseImages(reg, ['busybox', 'debian']);
  await harness.init(all);
  for (const c of wanted) {
    const started = Date.now();
    let result;
    try {
      result = await harness.runCase(c, candidate);
    } catch (err) {
      failed++;
      process.stdout.write(`FAIL case ${c.name}: harness error: ${(err as Error).message}\n`);
      continue;
    }
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    const ref = result.reference.ok ? 'built' : 'failed';
    if (show && result.reference.ok) {
      process.stdout.write(`${c.name} reference config ${JSON.stringify(result.reference.config)} (${result.reference.tree.entries.length} paths)\n`);
    }
    if (show && !result.reference.ok) process.stdout.write(`${c.name} reference error: ${result.reference.error}\n`);
    if (result.diffs.length === 0) {
      process.stdout.write(`ok   ${c.name} (${secs} s, reference ${ref}${result.referenceCached ? ', cached' : ''})\n`);
    } else {
      failed++;
      process.stdout.write(`FAIL ${formatDiffs(c.name, result.diffs)}\n`);
    }
  }
} finally {
  await harness.close();
  await reg.stop();
}
process.stdout.write(`${wanted.length - failed}/${wanted.length} cases agree with docker's result (candidate ${candidate})\n`);
process.exitCode = failed ? 1 : 0;
