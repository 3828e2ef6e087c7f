// The platform list of a build (--custom-platform, comma separated or repeated) and which target
// CPUs the host runs without an emulator.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { targetPlatforms } from '../../../src/executor/build.ts';
import { runsNatively } from '../../../src/executor/emulation.ts';
import { hostPlatform } from '../../../src/oci/platform.ts';
import type { BuildOptions } from '../../../src/executor/options.ts';
import { isBuilderError } from '../../../src/util/errors.ts';

const withPlatform = (customPlatform?: string): BuildOptions => ({ customPlatform }) as BuildOptions;

describe('targetPlatforms', () => {
  it('is the host platform when none is named', () => {
    assert.deepEqual(targetPlatforms(withPlatform()), [hostPlatform()]);
  });

  it('splits a comma separated list in order, aliases mapped', () => {
    const platforms = targetPlatforms(withPlatform('linux/arm64, linux/x86_64,linux/arm/v7'));
    assert.deepEqual(platforms.map((p) => [p.architecture, p.variant]), [['arm64', undefined], ['amd64', undefined], ['arm', 'v7']]);
  });

  it('refuses a platform named twice, arm64 and arm64/v8 being one', () => {
    assert.throws(() => targetPlatforms(withPlatform('linux/arm64,linux/amd64,linux/arm64/v8')), (err) => isBuilderError(err, 'USAGE') && /linux\/arm64\/v8 is named twice/.test(err.message));
  });

  it('refuses a malformed entry', () => {
    assert.throws(() => targetPlatforms(withPlatform('linux/amd64,arm64')), (err) => isBuilderError(err, 'USAGE') && /invalid platform "arm64"/.test(err.message));
  });
});

describe('runsNatively', () => {
  const amd64 = { os: 'linux', architecture: 'amd64' };
  it('runs its own CPU and, on x86-64, i386', () => {
    assert.equal(runsNatively({ os: 'linux', architecture: 'amd64' }, amd64), true);
    assert.equal(runsNatively({ os: 'linux', architecture: '386' }, amd64), true);
  });
  it('needs an emulator for another CPU', () => {
    assert.equal(runsNatively({ os: 'linux', architecture: 'arm64' }, amd64), false);
    assert.equal(runsNatively({ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }), false);
  });
});
