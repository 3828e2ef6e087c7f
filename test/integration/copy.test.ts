// Acceptance of `kiln copy` (issue 2): the lab images and the two-platform index keep every digest
// across the plain, TLS+basic and token registries and OCI layouts; skopeo and umoci accept every
// copy; same-registry copies mount instead of uploading; faults are survived; corruption is refused.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry, type LabRegistry } from '../support/registry.ts';
import { startFaultProxy } from '../support/fault-proxy.ts';
import { baseImageDigest, pushBaseImages, type BaseImageName } from '../support/base-images.ts';
import { repoRoot } from '../support/lab-dir.ts';
import { run, CommandError } from '../support/exec.ts';
import { RegistryClient } from '../../src/registry/client.ts';
import { DockerKeychain } from '../../src/auth/keychain.ts';
import { parseReference } from '../../src/registry/reference.ts';
import { copy, parseLocation } from '../../src/image/copy.ts';
import { isBuilderError } from '../../src/util/errors.ts';

const IMAGES: BaseImageName[] = ['busybox', 'debian', 'multi'];

interface KilnResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe('kiln copy', () => {
  let plain: LabRegistry;
  let tls: LabRegistry;
  let token: LabRegistry;
  let work: string;
  let refs: Record<string, string>;
  let env: NodeJS.ProcessEnv;
  let certFlags: string[];

  async function kiln(args: string[]): Promise<KilnResult> {
    try {
      const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), ...args, ...certFlags], { env });
      return { code: 0, stdout, stderr };
    } catch (err) {
      if (!(err instanceof CommandError)) throw err;
      return { code: err.exitCode ?? -1, stdout: err.stdout, stderr: err.stderr };
    }
  }

  async function kilnOk(args: string[]): Promise<KilnResult> {
    const result = await kiln(args);
    assert.equal(result.code, 0, `kiln ${args.join(' ')} failed: ${result.stderr}`);
    return result;
  }

  function authArgs(reg: LabRegistry): string[] {
    return reg.authFile ? ['--authfile', reg.authFile] : [];
  }

  /** The digest of the raw manifest skopeo reads at `ref`, after skopeo has inspected it whole. */
  async function skopeoDigest(transportRef: string, reg?: LabRegistry): Promise<string> {
    const auth = reg ? authArgs(reg) : [];
    const tlsArgs = transportRef.startsWith('docker://') ? ['--tls-verify=false'] : [];
    await run('skopeo', ['inspect', ...tlsArgs, ...auth, transportRef]);
    const { stdout } = await run('skopeo', ['inspect', '--raw', ...tlsArgs, ...auth, transportRef]);
    return `sha256:${createHash('sha256').update(stdout).digest('hex')}`;
  }

  before(async () => {
    [plain, tls, token] = await Promise.all([startRegistry('plain'), startRegistry('tls-basic'), startRegistry('token')]);
    refs = await pushBaseImages(plain, IMAGES);
    work = await mkdtemp(join(tmpdir(), 'kiln-copy-test-'));
    // One docker config with the credentials of both authenticated registries.
    const auths = {};
    for (const reg of [tls, token]) Object.assign(auths, JSON.parse(await readFile(reg.authFile!, 'utf8')).auths);
    env = { ...process.env, DOCKER_AUTH_CONFIG: JSON.stringify({ auths }), DOCKER_CONFIG: join(work, 'no-docker-config') };
    certFlags = [`--registry-certificate=${tls.host}=${tls.caFile}`];
  });

  after(async () => {
    await Promise.all([plain?.stop(), tls?.stop(), token?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  for (const name of IMAGES) {
    it(`copies ${name} across plain, TLS+basic and token registries and an OCI layout, keeping its digest`, async () => {
      const expected = await baseImageDigest(name);
      const layout = join(work, `layout-${name}`);
      const hops: Array<[string, string, LabRegistry | undefined]> = [
        [refs[name], `${tls.host}/copies/${name}:v1`, tls],
        [`${tls.host}/copies/${name}:v1`, `${token.host}/copies/${name}:v1`, token],
        [`${token.host}/copies/${name}:v1`, `oci-layout:${layout}:${name}`, undefined],
        [`oci-layout:${layout}:${name}`, `${plain.host}/back/${name}:v1`, plain],
      ];
      for (const [src, dst, reg] of hops) {
        const { stdout } = await kilnOk(['copy', src, dst]);
        assert.equal(stdout.trim(), expected, `kiln copy ${src} ${dst}`);
        const skopeoRef = dst.startsWith('oci-layout:') ? `oci:${dst.slice('oci-layout:'.length)}` : `docker://${dst}`;
        assert.equal(await skopeoDigest(skopeoRef, reg), expected, `skopeo reads ${dst}`);
      }
      assert.equal((await kilnOk(['digest', `${token.host}/copies/${name}:v1`])).stdout.trim(), expected);
    });
  }

  it('umoci unpacks the layout copies (each platform of the index on its own)', async () => {
    for (const name of ['busybox', 'debian'] as const) {
      const bundle = join(work, `bundle-${name}`);
      await run('umoci', ['unpack', '--rootless', '--image', `${join(work, `layout-${name}`)}:${name}`, bundle]);
      assert.ok(existsSync(join(bundle, 'rootfs', 'bin')), `${name} unpacked`);
    }
    for (const arch of ['amd64', 'arm64']) {
      const layout = join(work, 'layout-per-platform');
      await kilnOk(['copy', '--platform', `linux/${arch}`, refs.multi, `oci-layout:${layout}:${arch}`]);
      const bundle = join(work, `bundle-multi-${arch}`);
      await run('umoci', ['unpack', '--rootless', '--image', `${layout}:${arch}`, bundle]);
      const config = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8'));
      assert.ok(config.process, `multi ${arch} unpacked with a runtime config`);
    }
  });

  it('writes a docker archive that skopeo reads, and prints manifest and config', async () => {
    const archive = join(work, 'busybox.tar');
    await kilnOk(['copy', refs.busybox, `docker-archive:${archive}:lab/busybox:saved`]);
    const { stdout } = await run('skopeo', ['inspect', `docker-archive:${archive}`]);
    const config = (await kilnOk(['config', refs.busybox])).stdout;
    const manifest = JSON.parse((await kilnOk(['manifest', refs.busybox])).stdout);
    // skopeo names docker-archive layers by diffId: it decompresses the stored layer files itself.
    assert.deepEqual(JSON.parse(stdout).Layers, JSON.parse(config).rootfs.diff_ids);
    assert.equal(manifest.config.digest, `sha256:${createHash('sha256').update(config).digest('hex')}`);
    assert.equal(JSON.parse(config).os, 'linux');
    // skopeo can also copy the archive's layers out, so it read (and verified) the gzip files too.
    await run('skopeo', ['copy', '--quiet', `docker-archive:${archive}`, `oci:${join(work, 'from-archive')}:x`]);
  });

  it('mounts every blob of debian into another repository of the same registry, uploading nothing', async () => {
    const expected = await baseImageDigest('debian');
    const manifest = JSON.parse((await kilnOk(['manifest', refs.debian])).stdout);
    const blobs = manifest.layers.length + 1;
    const { stdout, stderr } = await kilnOk(['copy', refs.debian, `${plain.host}/elsewhere/debian:mounted`]);
    assert.equal(stdout.trim(), expected);
    assert.match(stderr, new RegExp(`${blobs} blobs mounted, 0 already present, 0 uploaded, 0 bytes uploaded`));
    assert.equal(await skopeoDigest(`docker://${plain.host}/elsewhere/debian:mounted`), expected);
  });

  it('completes through a proxy that answers 500 and 429 and resets connections', async () => {
    const proxy = await startFaultProxy({ target: plain.url, seed: 7, rates: { '500': 0.1, '429': 0.1, reset: 0.08 } });
    try {
      const expected = await baseImageDigest('debian');
      // Source and destination both behind the proxy: pulls and pushes both meet faults.
      const { stdout } = await kilnOk(['copy', `${proxy.host}/library/debian:bookworm`, `${proxy.host}/faulty/debian:v1`]);
      assert.equal(stdout.trim(), expected);
      const second = await kilnOk(['copy', `${proxy.host}/lab/multi:latest`, `${tls.host}/faulty/multi:v1`]);
      assert.equal(second.stdout.trim(), await baseImageDigest('multi'));
      const c = proxy.counters;
      assert.ok(c.injected500 + c.injected429 + c.resets > 5, `faults were injected: ${JSON.stringify(c)}`);
    } finally {
      await proxy.stop();
    }
  });

  it('refuses a corrupted blob with DIGEST_MISMATCH and leaves nothing at the destination', async () => {
    const manifest = JSON.parse((await kilnOk(['manifest', refs.busybox])).stdout);
    const bad = manifest.layers[0].digest as string;
    const proxy = await startFaultProxy({ target: plain.url, corruptDigests: [bad] });
    try {
      const src = `${proxy.host}/library/busybox:latest`;
      // In process, to see the error code itself.
      const client = new RegistryClient({ keychain: new DockerKeychain(env), certificates: { [tls.host]: tls.caFile! } });
      try {
        const layout = join(work, 'corrupt-layout');
        await assert.rejects(copy(parseLocation(src), parseLocation(`oci-layout:${layout}:x`), { client }), (err) => isBuilderError(err, 'DIGEST_MISMATCH'));
        assert.deepEqual(existsSync(layout) ? (await readdir(join(layout, 'blobs', 'sha256'))) : [], []);
        assert.equal(existsSync(join(layout, 'index.json')), false);

        const dst = `${tls.host}/corrupt/busybox:x`;
        await assert.rejects(copy(parseLocation(src), parseLocation(dst), { client }), (err) => isBuilderError(err, 'DIGEST_MISMATCH'));
        assert.equal(await client.headManifest(parseReference(dst)), undefined);
      } finally {
        await client.close();
      }
      // And through the CLI: exit status 1 and a message naming the blob.
      const cli = await kiln(['copy', src, `oci-layout:${join(work, 'corrupt-cli')}:x`]);
      assert.equal(cli.code, 1);
      assert.match(cli.stderr, new RegExp(bad.slice(7, 19)));
    } finally {
      await proxy.stop();
    }
  });
});
