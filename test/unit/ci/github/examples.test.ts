// The example workflows use only inputs action.yml declares, and README's "GitHub Actions"
// section shows each of them verbatim (less its leading comment), so the two cannot drift apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { repoRoot } from '../../../support/lab-dir.ts';

const dir = join(repoRoot, 'examples/github');
const examples = readdirSync(dir).filter((f) => f.endsWith('.yml'));

interface Workflow {
  jobs: Record<string, { steps: { uses?: string; with?: Record<string, unknown> }[] }>;
}

test('examples/github: every input of a kiln step is one action.yml declares', () => {
  const declared = new Set(Object.keys((load(readFileSync(join(repoRoot, 'action.yml'), 'utf8')) as { inputs: object }).inputs));
  assert.ok(examples.length >= 3);
  for (const file of examples) {
    const workflow = load(readFileSync(join(dir, file), 'utf8')) as Workflow;
    const steps = Object.values(workflow.jobs).flatMap((job) => job.steps.filter((s) => s.uses?.startsWith('kiln-build/kiln@')));
    assert.ok(steps.length > 0, `${file} has no kiln step`);
    for (const step of steps) for (const input of Object.keys(step.with ?? {})) assert.ok(declared.has(input), `${file}: ${input} is not an input of action.yml`);
  }
});

test("README's GitHub Actions section shows each example workflow as it is", () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## GitHub Actions'), readme.indexOf('\n## ', readme.indexOf('## GitHub Actions') + 1));
  for (const file of examples) {
    const lines = readFileSync(join(dir, file), 'utf8').split('\n');
    while (lines[0]?.startsWith('#')) lines.shift();
    assert.ok(section.includes('```yaml\n' + lines.join('\n') + '```'), `README does not show examples/github/${file}`);
  }
});
