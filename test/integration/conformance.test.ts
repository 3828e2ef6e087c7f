// Issue 5 acceptance: every Dockerfile of the conformance corpus (test/conformance/cases/) built
// by kiln must give the image `docker build` gives: the same file tree and the same run config as
// buildah's build of it, with docker's documented result laid over buildah's where they differ
// (each case.json says where and why). kiln's image must also pass skopeo and umoci unpack.
//
// One lab registry for the whole run; base images pushed once; cases run one after another.
// buildah's results are cached in .lab/conformance-cache/ (keyed by the case files, the
// parent case, buildah's version and the base image digests), so a repeated run rebuilds only
// kiln's side. Environment:
//   KILN_CONFORMANCE_CASES=a,b      run only these cases
//   KILN_CONFORMANCE_OUTPUT=layout  kiln writes --oci-layout-path instead of pushing
//   KILN_CONFORMANCE_NO_CACHE=1     rebuild every reference
//   KILN_BIN=dist/kiln.js           run a built kiln instead of the TypeScript sources
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startRegistry, type LabRegistry } from '../support/registry.ts';
import { pushBaseImages } from '../support/base-images.ts';
import { loadCases, type ConformanceCase } from '../conformance/cases.ts';
import { ConformanceHarness, formatDiffs } from '../conformance/harness.ts';

const allCases = await loadCases();
const only = (process.env.KILN_CONFORMANCE_CASES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
for (const name of only) if (!allCases.some((c) => c.name === name)) throw new Error(`KILN_CONFORMANCE_CASES names no case "${name}"`);
const selected = only.length ? allCases.filter((c) => only.includes(c.name)) : allCases;

// Built twice by buildah to prove the harness compares equal what is equal (one OCI-format,
// one docker-format case with a hardlink and owners).
const SELF_CHECK_CASES = ['hardlinks', 'healthcheck'];

function byName(name: string): ConformanceCase {
  const c = allCases.find((x) => x.name === name);
  if (!c) throw new Error(`no case ${name}`);
  return c;
}

describe('conformance corpus: kiln build means what docker build means', () => {
  let reg: LabRegistry;
  let harness: ConformanceHarness;

  before(async () => {
    reg = await startRegistry('plain');
    await pushBaseImages(reg, ['busybox', 'debian']);
    harness = new ConformanceHarness({
      reg,
      useCache: process.env.KILN_CONFORMANCE_NO_CACHE !== '1',
      kilnOutput: process.env.KILN_CONFORMANCE_OUTPUT === 'layout' ? 'layout' : 'registry',
    });
    await harness.init(allCases);
  });

  after(async () => {
    await harness?.close();
    await reg?.stop();
  });

  it('has a corpus of at least 40 cases', () => {
    assert.ok(allCases.length >= 40, `only ${allCases.length} cases`);
  });

  for (const name of SELF_CHECK_CASES) {
    it(`harness self-check: a second buildah build of ${name} compares equal to the reference`, async () => {
      const result = await harness.runCase(byName(name), 'buildah');
      assert.ok(result.reference.ok && result.candidate.ok, 'both buildah builds must succeed');
      assert.deepEqual(result.diffs, [], formatDiffs(name, result.diffs));
    });
  }

  for (const c of selected) {
    it(`case ${c.name}`, async () => {
      const result = await harness.runCase(c, 'kiln');
      if (result.diffs.length) assert.fail(formatDiffs(c.name, result.diffs));
    });
  }
});
