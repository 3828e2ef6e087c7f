import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BuildMetadata } from '../../../../src/executor/build-report.ts';
import type { Descriptor } from '../../../../src/oci/types.ts';
import { actionOutputs, failureAnnotation } from '../../../../src/ci/github/outputs.ts';
import { stageGrouper, stageOf } from '../../../../src/ci/github/executor-run.ts';
import { readInputs } from '../../../../src/ci/github/inputs.ts';
import { summaryInputs, summaryMarkdown } from '../../../../src/ci/github/summary.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const CONFIG = `sha256:${'c'.repeat(64)}`;
const descriptor = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: DIGEST, size: 500 } as unknown as Descriptor;
const steps = [
  { stage: 'stage-0', instruction: 'FROM busybox', file: 'Dockerfile', line: 1, cached: false, seconds: 0.5 },
  { stage: 'stage-0', instruction: 'RUN echo a|b', file: 'Dockerfile', line: 2, cached: true, seconds: 0.01 },
];
const ok: BuildMetadata = {
  'containerimage.digest': DIGEST,
  'containerimage.config.digest': CONFIG,
  'containerimage.descriptor': descriptor,
  'image.name': 'r.io/a:1,r.io/a:2',
  'kiln.report': {
    version: 1, success: true, seconds: 2.5, platform: 'linux/amd64', size: 3 * 1024 * 1024, layers: 2,
    images: [{ name: 'r.io/a:1', digest: DIGEST }, { name: 'r.io/a:2', digest: DIGEST }], steps,
  },
};
const failed: BuildMetadata = {
  'kiln.report': { version: 1, success: false, seconds: 1, images: [], steps: steps.slice(0, 1), error: { message: 'RUN exited 3', file: 'Dockerfile', line: 2, instruction: 'RUN exit 3' } },
};

test('outputs: buildx metadata keys without kiln.report, one NAME@DIGEST a destination', () => {
  assert.deepEqual(actionOutputs(ok), {
    digest: DIGEST,
    imageid: CONFIG,
    metadata: JSON.stringify({ 'containerimage.digest': DIGEST, 'containerimage.config.digest': CONFIG, 'containerimage.descriptor': descriptor, 'image.name': 'r.io/a:1,r.io/a:2' }),
    images: `r.io/a:1@${DIGEST}\nr.io/a:2@${DIGEST}`,
  });
  assert.equal(actionOutputs(failed), undefined);
});

test('failure annotation: the Dockerfile as a workspace path for a local context, as given for a remote one', () => {
  assert.deepEqual(failureAnnotation(failed, 'app', '/ws'), { message: 'RUN exited 3', file: 'app/Dockerfile', startLine: 2 });
  assert.deepEqual(failureAnnotation(failed, '/ws', '/ws'), { message: 'RUN exited 3', file: 'Dockerfile', startLine: 2 });
  assert.deepEqual(failureAnnotation(failed, 'git://github.com/a/b.git', '/ws'), { message: 'RUN exited 3', file: 'Dockerfile', startLine: 2 });
  assert.equal(failureAnnotation(ok, '.', '/ws'), undefined);
});

const inputs = readInputs((name) => ({
  tags: 'r.io/a:1',
  'build-args': 'A=1',
  secrets: 'tok=very-secret-value\nnpm=another-secret',
  'registry-auth': '- registry: r.io\n  username: u\n  password: hunter2-password\n- registry: packages.buildkite.com/o/r\n  oidc: buildkite-packages\n',
})[name] ?? '', '/ws');

test('summary inputs: secrets by id, registry-auth without passwords, names as the inputs spell them', () => {
  const shown = summaryInputs(inputs);
  assert.deepEqual(shown.secrets, ['tok', 'npm']);
  assert.deepEqual(shown['registry-auth'], [{ registry: 'r.io', username: 'u' }, { registry: 'packages.buildkite.com/o/r', oidc: { provider: 'buildkite-packages', organization: 'o', registry: 'r' } }]);
  assert.deepEqual(shown['build-args'], ['A=1']);
  assert.equal('labels' in shown, false);
});

test('summary: images with digest, platform, size, layers, cache hits, a row per step; the failure and its line', () => {
  const md = summaryMarkdown(ok, inputs);
  assert.match(md, new RegExp(`\\| \`r\\.io/a:1@${DIGEST}\` \\| linux/amd64 \\| 3\\.0 MiB \\| 2 \\| 1/2 \\| 2\\.5 \\|`));
  assert.match(md, /\| `RUN echo a\\\|b` \| Dockerfile:2 \| yes \| 0\.01 \|/);
  assert.match(md, /```yaml\n[^]*secrets:\n {2}- tok\n {2}- npm\n/);
  for (const secret of ['very-secret-value', 'another-secret', 'hunter2-password']) assert.ok(!md.includes(secret));
  const bad = summaryMarkdown(failed, inputs);
  assert.match(bad, /^### kiln build failed at Dockerfile:2\n\nFailing instruction: `RUN exit 3`\n\n```\nRUN exited 3\n```/);
});

test('stage groups: one per stage, opened at its first step line, closed at the next stage and at the end', () => {
  assert.equal(stageOf('[builder 2/5] RUN make'), 'builder');
  assert.equal(stageOf('pushed r.io/a@sha256:…'), undefined);
  const out: string[] = [];
  const g = stageGrouper({ startGroup: (n) => out.push(`>${n}`), endGroup: () => out.push('<'), line: (t) => out.push(t) });
  for (const l of ['parsing', '[a 1/2] FROM x', '[a 2/2] RUN y', '[a 2/2] output', '[b 1/1] FROM a', 'pushed']) g.line(l);
  g.end();
  assert.deepEqual(out, ['parsing', '>stage a', '[a 1/2] FROM x', '[a 2/2] RUN y', '[a 2/2] output', '<', '>stage b', '[b 1/1] FROM a', 'pushed', '<']);
});
