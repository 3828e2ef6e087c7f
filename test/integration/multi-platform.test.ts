// Multi-platform `kiln build` (issue 13, item 3): several --custom-platform values build one image
// per platform from the base's own image for it, with the TARGET*/BUILD* args of each, and push one
// index naming them all; skopeo reads the index, copies it whole, and every child's config and
// files are its platform's. RUN for a foreign CPU runs under the binfmt emulator when one is
// registered, and fails in one line naming the platform and the instruction when none is.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startRegistry, type LabRegistry } from '../support/registry.ts';
import { pushBaseImage } from '../support/base-images.ts';
import { labTempDir } from '../support/temp-dirs.ts';
import { kiln, type KilnResult } from '../support/kiln-cli.ts';
import { run } from '../support/exec.ts';

interface RawIndex {
  mediaType: string;
  manifests: { mediaType: string; digest: string; size: number; platform: { os: string; architecture: string; variant?: string } }[];
}

interface RawConfig {
  architecture: string;
  os: string;
  variant?: string;
  config: { Env?: string[]; Labels?: Record<string, string> };
}

/** A CPU with no binfmt_misc entry here, for the no-emulator failure (s390x unless someone registered it). */
function unemulatedPlatform(): string | undefined {
  const candidates: Array<[string, string]> = [['linux/s390x', 's390x'], ['linux/riscv64', 'riscv64'], ['linux/ppc64le', 'ppc64le'], ['linux/mips64le', 'mips64el']];
  return candidates.find(([, cpu]) => !existsSync(`/proc/sys/fs/binfmt_misc/qemu-${cpu}`))?.[0];
}

/** Whether RUN for arm64 can run here: qemu-aarch64 registered, enabled, with the F flag. */
function arm64Emulated(): boolean {
  const entry = '/proc/sys/fs/binfmt_misc/qemu-aarch64';
  if (!existsSync(entry)) return false;
  const text = readFileSync(entry, 'utf8');
  return /^enabled$/m.test(text) && /^flags:.*F/m.test(text);
}

describe('multi-platform kiln build', () => {
  let reg: LabRegistry;
  let other: LabRegistry;
  let work: string;
  let base: string;
  let env: NodeJS.ProcessEnv;

  async function kilnOk(args: string[]): Promise<KilnResult> {
    const result = await kiln(args, { env });
    assert.equal(result.code, 0, `kiln ${args.join(' ')} failed: ${result.stderr}`);
    return result;
  }

  async function raw(ref: string, config = false): Promise<string> {
    return (await run('skopeo', ['inspect', '--raw', ...(config ? ['--config'] : []), '--tls-verify=false', `docker://${ref}`])).stdout;
  }

  async function contextWith(name: string, dockerfile: string): Promise<string> {
    const dir = join(work, name);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'Dockerfile'), dockerfile.replaceAll('BASE_IMAGE', base));
    await writeFile(join(dir, 'hello.txt'), 'hello from the context\n');
    return dir;
  }

  const unpacked = new Map<string, Promise<string>>();

  /** The root filesystem of the image `ref`, unpacked once by umoci after a skopeo copy into a layout. */
  function rootfsOf(ref: string): Promise<string> {
    let dir = unpacked.get(ref);
    if (!dir) {
      const name = createHash('sha256').update(ref).digest('hex').slice(0, 12);
      const layout = join(work, `layout-${name}`);
      const bundle = join(work, `bundle-${name}`);
      dir = (async () => {
        await run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${layout}:x`]);
        await run('umoci', ['unpack', '--image', `${layout}:x`, bundle]);
        return join(bundle, 'rootfs');
      })();
      unpacked.set(ref, dir);
    }
    return dir;
  }

  async function fileIn(ref: string, path: string): Promise<string> {
    return readFile(join(await rootfsOf(ref), path), 'utf8');
  }

  before(async () => {
    [reg, other] = await Promise.all([startRegistry('plain'), startRegistry('plain')]);
    work = await labTempDir('multi-platform');
    env = { ...process.env, DOCKER_CONFIG: join(work, 'no-docker-config') };
    base = await pushBaseImage(reg, 'multiarch');
  });

  after(async () => {
    await Promise.all([reg?.stop(), other?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('builds linux/amd64 and linux/arm64 and pushes an index of both; skopeo copies it whole and each child is its platform\'s', async () => {
    const context = await contextWith('copy-only', [
      'FROM BASE_IMAGE',
      'ARG TARGETPLATFORM',
      'ARG TARGETARCH',
      'ARG BUILDPLATFORM',
      'COPY hello.txt /hello.txt',
      'ENV BUILT_FOR=$TARGETPLATFORM',
      'LABEL arch=$TARGETARCH built-on=$BUILDPLATFORM',
      '',
    ].join('\n'));
    const dest = `${reg.host}/mp/app:1`;
    const digestFile = join(work, 'digest');
    const metadataFile = join(work, 'metadata.json');
    const result = await kilnOk([
      'build', '--context', context, '--custom-platform', 'linux/amd64,linux/arm64', '--destination', dest,
      '--digest-file', digestFile, '--metadata-file', metadataFile,
    ]);
    assert.match(result.stderr, /building for linux\/arm64/);
    assert.match(result.stderr, /\[linux\/arm64 stage-0 5\/7\] COPY hello.txt/);

    const text = await raw(dest);
    const digest = `sha256:${createHash('sha256').update(text).digest('hex')}`;
    const index = JSON.parse(text) as RawIndex;
    assert.equal(index.mediaType, 'application/vnd.oci.image.index.v1+json');
    // linux/arm64 as asked (BuildKit leaves arm64's implied v8 unsaid too).
    assert.deepEqual(index.manifests.map((m) => m.platform), [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }]);
    assert.equal(await readFile(digestFile, 'utf8'), digest);
    const metadata = JSON.parse(await readFile(metadataFile, 'utf8')) as {
      'containerimage.digest': string;
      'containerimage.descriptor': { mediaType: string };
      'kiln.report': { platform: string };
    };
    assert.equal(metadata['containerimage.digest'], digest);
    assert.equal(metadata['containerimage.descriptor'].mediaType, index.mediaType);
    assert.equal(metadata['kiln.report'].platform, 'linux/amd64,linux/arm64');

    for (const child of index.manifests) {
      const ref = `${reg.host}/mp/app@${child.digest}`;
      const config = JSON.parse(await raw(ref, true)) as RawConfig;
      const arch = child.platform.architecture;
      assert.equal(config.architecture, arch);
      assert.equal(config.os, 'linux');
      assert.ok(config.config.Env?.includes(`BUILT_FOR=linux/${arch}`), `Env of the ${arch} child: ${config.config.Env?.join(' ')}`);
      assert.equal(config.config.Labels?.arch, arch);
      assert.equal(config.config.Labels?.['built-on'], 'linux/amd64');
      // The base's own image for the platform: its marker file and, for arm64, an aarch64 busybox.
      assert.equal(await fileIn(ref, 'etc/kiln-lab-platform'), arch === 'arm64' ? 'linux/arm64/v8\n' : 'linux/amd64\n');
      assert.equal(await fileIn(ref, 'hello.txt'), 'hello from the context\n');
      // ELF e_machine: 0x3e x86-64, 0xb7 AArch64.
      const elf = await readFile(join(await rootfsOf(ref), 'bin', 'busybox'));
      assert.equal(elf.readUInt16LE(18), arch === 'arm64' ? 0xb7 : 0x3e, `the ${arch} child's /bin/busybox`);
    }

    await run('skopeo', ['copy', '--quiet', '--all', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${dest}`, `docker://${other.host}/copied/app:1`]);
    assert.equal(await raw(`${other.host}/copied/app:1`), text);
  });

  it('takes repeated --platform flags and writes the index to --oci-layout-path as well', async () => {
    const context = await contextWith('repeated', 'FROM BASE_IMAGE\nARG TARGETARCH\nENV ARCH=$TARGETARCH\n');
    const layout = join(work, 'out-layout');
    await kilnOk(['build', '--context', context, '--platform', 'linux/arm64', '--platform', 'linux/amd64', '--no-push', '--oci-layout-path', layout]);
    const top = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as RawIndex;
    assert.equal(top.manifests.length, 1);
    const [algo, hex] = top.manifests[0].digest.split(':');
    const index = JSON.parse(await readFile(join(layout, 'blobs', algo, hex), 'utf8')) as RawIndex;
    assert.deepEqual(index.manifests.map((m) => m.platform.architecture), ['arm64', 'amd64']);
    await run('skopeo', ['inspect', '--raw', `oci:${layout}:latest`]);
  });

  it('RUN for arm64 runs under the registered emulator', { skip: !arm64Emulated() && 'no qemu-aarch64 binfmt_misc entry with the F flag on this machine (scripts/lab/binfmt-qemu.sh registers one)' }, async () => {
    const context = await contextWith('run-emulated', 'FROM BASE_IMAGE\nRUN uname -m > /arch\n');
    const dest = `${reg.host}/mp/run:1`;
    const result = await kilnOk(['build', '--context', context, '--custom-platform', 'linux/amd64,linux/arm64', '--destination', dest]);
    assert.match(result.stderr, /RUN for linux\/arm64 runs under the emulator/);
    const index = JSON.parse(await raw(dest)) as RawIndex;
    const uname: Record<string, string> = {};
    for (const child of index.manifests) uname[child.platform.architecture] = await fileIn(`${reg.host}/mp/run@${child.digest}`, 'arch');
    assert.deepEqual(uname, { amd64: 'x86_64\n', arm64: 'aarch64\n' });
  });

  it('with --cache, each platform keys its own layers: a rebuild hits every RUN and pushes the same index', { skip: !arm64Emulated() && 'no qemu-aarch64 binfmt_misc entry with the F flag on this machine (scripts/lab/binfmt-qemu.sh registers one)' }, async () => {
    const context = await contextWith('run-cached', 'FROM BASE_IMAGE\nRUN uname -m > /arch\n');
    const dest = `${reg.host}/mp/cached:1`;
    const flags = ['build', '--context', context, '--custom-platform', 'linux/amd64,linux/arm64', '--destination', dest, '--cache', '--cache-repo', `dir:${join(work, 'layer-cache')}`, '--reproducible'];
    const first = await kilnOk(flags);
    assert.doesNotMatch(first.stderr, /using cached layer/);
    const pushed = await raw(dest);
    const index = JSON.parse(pushed) as RawIndex;
    const uname: Record<string, string> = {};
    for (const child of index.manifests) uname[child.platform.architecture] = await fileIn(`${reg.host}/mp/cached@${child.digest}`, 'arch');
    assert.deepEqual(uname, { amd64: 'x86_64\n', arm64: 'aarch64\n' });
    const second = await kilnOk(flags);
    assert.equal(second.stderr.match(/using cached layer/g)?.length, 2, second.stderr);
    assert.doesNotMatch(second.stderr, /runs under the emulator/);
    // --reproducible: the same layers and configs, so the same index bytes.
    assert.equal(await raw(dest), pushed);
  });

  it('a RUN for a CPU with no emulator fails in one line naming the platform and the instruction; nothing is pushed', async () => {
    const platform = unemulatedPlatform();
    assert.ok(platform, 'every candidate CPU has an emulator registered');
    const context = await contextWith('run-foreign', 'FROM scratch\nCOPY hello.txt /\nRUN cat /hello.txt\n');
    const dest = `${reg.host}/mp/foreign:1`;
    const result = await kiln(['build', '--context', context, '--custom-platform', `${platform},linux/amd64`, '--destination', dest], { env });
    assert.equal(result.code, 1);
    const lines = result.stderr.trim().split('\n');
    const last = lines[lines.length - 1];
    assert.match(last, new RegExp(`Dockerfile:3: RUN cat /hello.txt: RUN for ${platform} needs an emulator`));
    assert.doesNotMatch(result.stderr, /exec format error/);
    await assert.rejects(raw(dest));
  });

  it('refuses --tar-path and a platform named twice before building', async () => {
    const context = await contextWith('refused', 'FROM BASE_IMAGE\n');
    const tar = await kiln(['build', '--context', context, '--custom-platform', 'linux/amd64,linux/arm64', '--no-push', '--tar-path', join(work, 'x.tar')], { env });
    assert.equal(tar.code, 2);
    assert.match(tar.stderr, /--tar-path: a docker archive holds one platform, not linux\/amd64,linux\/arm64/);
    const twice = await kiln(['build', '--context', context, '--platform', 'linux/arm64', '--platform', 'linux/arm64/v8', '--no-push'], { env });
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, /--custom-platform: linux\/arm64\/v8 is named twice/);
  });
});
