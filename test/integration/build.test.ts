// kiln build end to end against the lab's real registry: pushes that skopeo and umoci accept,
// every output, failures that exit non-zero with one clear line, and secrets that leave no trace.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { startRegistry, type LabRegistry } from '../support/registry.ts';
import { pushBaseImages } from '../support/base-images.ts';
import { run } from '../support/exec.ts';
import { kiln } from '../support/kiln-cli.ts';
import { openBuildLab, type BuildLab } from '../support/build-lab.ts';
import { podmanRun } from '../support/podman.ts';
import { repoRoot } from '../support/lab-dir.ts';

let reg: LabRegistry;
let busybox: string;
let work: string;

let lab: BuildLab | undefined;

before(async () => {
  lab = await openBuildLab('kiln-build-test-');
  ({ reg, busybox, work } = lab);
});

after(() => lab?.close());

async function contextWith(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text.replaceAll('BASE_IMAGE', busybox));
  }
  return dir;
}

function registryFlags(): string[] {
  return ['--insecure-registry', reg.host];
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

describe('kiln build', () => {
  test('the multi-stage example builds, pushes, and skopeo and umoci accept it; its CMD prints the greeting as nobody, unpacked and under podman run', async () => {
    const dest = `${reg.host}/build/hello:1`;
    const layout = join(work, 'hello-oci');
    const digestFile = join(work, 'hello.digest');
    const res = await kiln([
      'build', '--context', join(repoRoot, 'examples/hello'), '--build-arg', `BASE=${busybox}`,
      '--destination', dest, ...registryFlags(), '--oci-layout-path', layout, '--digest-file', digestFile,
    ]);
    assert.equal(res.code, 0, res.stderr);
    const digest = (await readFile(digestFile, 'utf8')).trim();
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    assert.match(res.stderr, new RegExp(`pushed ${reg.host}/build/hello:1@${digest}`));
    const inspected = JSON.parse((await run('skopeo', ['inspect', '--tls-verify=false', `docker://${dest}`])).stdout) as { Digest: string; Layers: string[] };
    assert.equal(inspected.Digest, digest);
    // busybox's one layer, then COPY --from and COPY: ENV, USER and CMD make none.
    assert.equal(inspected.Layers.length, 3);
    const bundle = join(work, 'hello-bundle');
    await run('umoci', ['unpack', '--image', `${layout}:1`, bundle]);
    const hello = await run('chroot', ['--userspec=65534:65534', join(bundle, 'rootfs'), '/usr/local/bin/hello']);
    assert.equal(hello.stdout, 'Hello, kiln from nobody\n');
    assert.equal((await podmanRun(reg, dest)).stdout, 'Hello, kiln from nobody\n');
    const config = JSON.parse((await kiln(['config', ...registryFlags(), dest])).stdout) as { config: { User: string; Cmd: string[]; Env: string[] } };
    assert.equal(config.config.User, 'nobody');
    assert.deepEqual(config.config.Cmd, ['/usr/local/bin/hello']);
    assert.ok(config.config.Env.includes('GREETING_DIR=/usr/share/hello'));
  });

  test('every output: two destinations, a docker archive, an OCI layout and the three digest files agree', async () => {
    const dir = await contextWith('outputs', { Dockerfile: 'FROM BASE_IMAGE\nRUN echo built > /built\n' });
    const a = `${reg.host}/out/a:v1`;
    const b = `${reg.host}/out/b:v2`;
    const files = { digest: join(work, 'o.digest'), name: join(work, 'o.name'), tag: join(work, 'o.tag') };
    const tarPath = join(work, 'o.tar');
    const res = await kiln([
      'build', '--context', dir, '--destination', a, '--destination', b, ...registryFlags(), '--tar-path', tarPath,
      '--oci-layout-path', join(work, 'o-oci'), '--digest-file', files.digest,
      '--image-name-with-digest-file', files.name, '--image-name-tag-with-digest-file', files.tag,
    ]);
    assert.equal(res.code, 0, res.stderr);
    const digest = (await readFile(files.digest, 'utf8')).trim();
    assert.equal(await readFile(files.name, 'utf8'), `${reg.host}/out/a@${digest}\n${reg.host}/out/b@${digest}\n`);
    assert.equal(await readFile(files.tag, 'utf8'), `${reg.host}/out/a:v1@${digest}\n${reg.host}/out/b:v2@${digest}\n`);
    for (const ref of [a, b]) {
      const inspected = JSON.parse((await run('skopeo', ['inspect', '--tls-verify=false', `docker://${ref}`])).stdout) as { Digest: string };
      assert.equal(inspected.Digest, digest);
    }
    const listing = (await run('tar', ['-tf', tarPath])).stdout.split('\n');
    assert.ok(listing.includes('manifest.json'));
    const archiveManifest = JSON.parse((await run('tar', ['-xOf', tarPath, 'manifest.json'])).stdout) as Array<{ RepoTags: string[] }>;
    assert.deepEqual(archiveManifest[0].RepoTags, [a, b]);
    const layoutInspect = JSON.parse((await run('skopeo', ['inspect', `oci:${join(work, 'o-oci')}:v1`])).stdout) as { Digest: string };
    assert.equal(layoutInspect.Digest, digest);
  });

  test("the target stage's layers are sent while they are written, and the push finds them there", async () => {
    const dir = await contextWith('early-upload', {
      Dockerfile: 'FROM BASE_IMAGE AS build\nRUN head -c 1048576 /dev/urandom > /junk\nFROM BASE_IMAGE\nCOPY --from=build /junk /junk\nRUN head -c 3145728 /dev/urandom > /big\n',
    });
    const dest = `${reg.host}/early/app:1`;
    const res = await kiln(['build', '--context', dir, '--destination', dest, ...registryFlags(), '--verbosity', 'debug']);
    assert.equal(res.code, 0, res.stderr);
    // COPY's layer and RUN's: the builder stage's layer is not pushed, so it is not sent early.
    assert.equal(res.stderr.match(/DEBUG sent sha256:[0-9a-f]{64} to \S+\/early\/app while writing it/g)?.length, 2, res.stderr);
    assert.match(res.stderr, new RegExp(`pushed ${reg.host}/early/app@sha256:[0-9a-f]{64}: 1 blobs mounted, 2 already present, 1 uploaded`));
    // skopeo checks every blob against its digest as it copies.
    await run('skopeo', ['copy', '--src-tls-verify=false', `docker://${dest}`, `oci:${join(work, 'early-oci')}:1`]);
  });

  test('without --destination or --no-push it fails as kaniko does, before any work', async () => {
    const dir = await contextWith('nodest', { Dockerfile: 'FROM BASE_IMAGE\n' });
    const res = await kiln(['build', '--context', dir]);
    assert.equal(res.code, 2);
    assert.equal(res.stderr.trim(), 'kiln build: you must provide --destination, or use --no-push');
  });

  test('RUN exit 42 fails the build naming the line and the code, and moves no tag', async () => {
    const dir = await contextWith('exit42', { Dockerfile: 'FROM BASE_IMAGE\nRUN echo before\nRUN exit 42\n' });
    const dest = `${reg.host}/fail/exit42:latest`;
    const res = await kiln(['build', '--context', dir, '--destination', dest, ...registryFlags()]);
    assert.equal(res.code, 1);
    const last = res.stderr.trim().split('\n').pop() as string;
    assert.match(last, /^kiln build: Dockerfile:3: RUN exit 42: .*42/);
    await assert.rejects(run('skopeo', ['inspect', '--tls-verify=false', `docker://${dest}`]));
  });

  test('a Dockerfile error exits 1 with Dockerfile:LINE:COL and nothing else', async () => {
    const dir = await contextWith('bad', { Dockerfile: 'FROM BASE_IMAGE\nCOPPY a b\n' });
    const res = await kiln(['build', '--context', dir, '--no-push']);
    assert.equal(res.code, 1);
    assert.match(res.stderr.trim(), /^kiln build: Dockerfile:2:1: .*COPPY.*did you mean COPY/);
    assert.doesNotMatch(res.stderr, /\n\s+at /);
  });

  test('a secret mounted in one RUN is never in a layer, the config, the history or the log', async () => {
    const secret = 'kiln-s3cr3t-value-91f2';
    const secretFile = join(work, 'token.txt');
    await writeFile(secretFile, secret);
    const dir = await contextWith('secret', {
      Dockerfile: [
        'FROM BASE_IMAGE',
        'RUN --mount=type=secret,id=token md5sum < /run/secrets/token | cut -c1-32 > /sum && wc -c < /run/secrets/token > /length',
        'RUN --mount=type=secret,id=fromenv,target=/tmp/env-secret wc -c < /tmp/env-secret > /envlength',
        '',
      ].join('\n'),
    });
    const layout = join(work, 'secret-oci');
    const res = await kiln(
      ['build', '--context', dir, '--destination', `${reg.host}/secret/app:1`, ...registryFlags(), '--oci-layout-path', layout,
        '--secret', `id=token,src=${secretFile}`, '--secret', 'id=fromenv,env=KILN_TEST_SECRET', '--verbosity', 'trace'],
      { env: { ...process.env, KILN_TEST_SECRET: secret } },
    );
    assert.equal(res.code, 0, res.stderr);
    assert.ok(!res.stderr.includes(secret) && !res.stdout.includes(secret), 'the build log holds the secret');
    let blobs = 0;
    for (const name of await readdir(join(layout, 'blobs/sha256'))) {
      const bytes = await readFile(join(layout, 'blobs/sha256', name));
      const plain = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
      assert.ok(!plain.includes(secret), `blob ${name} holds the secret`);
      blobs++;
    }
    assert.ok(blobs >= 4);
    const bundle = join(work, 'secret-bundle');
    await run('umoci', ['unpack', '--image', `${layout}:1`, bundle]);
    assert.equal((await readFile(join(bundle, 'rootfs/length'), 'utf8')).trim(), String(secret.length));
    assert.equal((await readFile(join(bundle, 'rootfs/sum'), 'utf8')).trim(), createHash('md5').update(secret).digest('hex'));
    assert.equal((await readFile(join(bundle, 'rootfs/envlength'), 'utf8')).trim(), String(secret.length));
    assert.equal(await exists(join(bundle, 'rootfs/run/secrets')), false);
  });

  test('a RUN that writes /etc/resolv.conf leaves neither its file nor the host\'s in the image', async () => {
    const dir = await contextWith('resolv', { Dockerfile: 'FROM BASE_IMAGE\nRUN echo "nameserver 192.0.2.1" > /etc/resolv.conf && cat /etc/resolv.conf\nRUN echo ok > /ok\n' });
    const layout = join(work, 'resolv-oci');
    const res = await kiln(['build', '--context', dir, '--no-push', '--oci-layout-path', layout]);
    assert.equal(res.code, 0, res.stderr);
    const bundle = join(work, 'resolv-bundle');
    await run('umoci', ['unpack', '--image', layout, bundle]);
    assert.equal(await exists(join(bundle, 'rootfs/etc/resolv.conf')), false);
    assert.equal(await exists(join(bundle, 'rootfs/etc/hosts')), false);
    assert.equal((await readFile(join(bundle, 'rootfs/ok'), 'utf8')), 'ok\n');
  });

  test('--cache: a rebuild takes every RUN and COPY layer from the cache repository and gives the same image', async () => {
    const dir = await contextWith('cached', {
      Dockerfile: 'FROM BASE_IMAGE\nRUN date +%s%N > /stamp\nCOPY data.txt /data.txt\nRUN cat /data.txt /stamp > /both\n',
      'data.txt': 'cached data\n',
    });
    const dest = `${reg.host}/cached/app:1`;
    const flags = ['build', '--context', dir, '--destination', dest, ...registryFlags(), '--cache', '--cache-copy-layers', '--reproducible'];
    const first = await kiln(flags);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, new RegExp(`cached 3 layers in ${reg.host}/cached/app/cache`));
    assert.equal(first.stderr.match(/unpacking /g)?.length, 1, 'the base is unpacked for the first RUN');
    const tags = JSON.parse((await run('skopeo', ['list-tags', '--tls-verify=false', `docker://${reg.host}/cached/app/cache`])).stdout) as { Tags: string[] };
    assert.equal(tags.Tags.length, 3);
    const second = await kiln(flags);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stderr.match(/using cached layer/g)?.length, 3);
    // Every step came from the cache: nothing needed the files, so nothing was unpacked (kaniko's rule).
    assert.doesNotMatch(second.stderr, /unpacking /);
    const digestOf = (out: string): string => (/built image (sha256:[0-9a-f]{64})/.exec(out) as RegExpExecArray)[1];
    // /stamp came from the cache, so even a timestamp-writing RUN gives the same digest.
    assert.equal(digestOf(second.stderr), digestOf(first.stderr));
  });

  test('a base is unpacked only when a step needs its files: metadata-only stages skip it, COPY --from unpacks on demand', async () => {
    const dir = await contextWith('lazy', {
      Dockerfile: [
        'FROM BASE_IMAGE AS tools',
        'LABEL stage=tools',
        'FROM BASE_IMAGE AS unused-by-files',
        'ENV X=1',
        'FROM BASE_IMAGE',
        'COPY --from=tools /bin/busybox /copied-busybox',
        'LABEL final=yes',
        '',
      ].join('\n'),
    });
    const layout = join(work, 'lazy-oci');
    const res = await kiln(['build', '--context', dir, '--no-push', '--oci-layout-path', layout, ...registryFlags()]);
    assert.equal(res.code, 0, res.stderr);
    // The final stage's base (for its COPY) and the tools stage (read by COPY --from); never the ENV-only stage.
    assert.equal(res.stderr.match(/unpacking /g)?.length, 2, res.stderr);
    const bundle = join(work, 'lazy-bundle');
    await run('umoci', ['unpack', '--image', `${layout}:latest`, bundle]);
    const copied = await readFile(join(bundle, 'rootfs', 'copied-busybox'));
    assert.deepEqual(copied, await readFile(join(bundle, 'rootfs', 'bin', 'busybox')));

    const metaOnly = await contextWith('meta-only', { Dockerfile: 'FROM BASE_IMAGE\nLABEL only=metadata\nCMD ["true"]\n' });
    const meta = await kiln(['build', '--context', metaOnly, '--destination', `${reg.host}/lazy/meta:1`, ...registryFlags()]);
    assert.equal(meta.code, 0, meta.stderr);
    assert.doesNotMatch(meta.stderr, /unpacking /);
    const inspected = JSON.parse((await run('skopeo', ['inspect', '--tls-verify=false', `docker://${reg.host}/lazy/meta:1`])).stdout) as { Layers: string[]; Labels: Record<string, string> };
    const base = JSON.parse((await run('skopeo', ['inspect', '--tls-verify=false', `docker://${busybox}`])).stdout) as { Layers: string[] };
    assert.deepEqual(inspected.Layers, base.Layers);
    assert.equal(inspected.Labels.only, 'metadata');
  });

  test('--cache-dir: a base image warmed by kiln warm is read from the cache, even once its registry is gone', async () => {
    const other = await startRegistry('plain');
    const { busybox: base } = await pushBaseImages(other, ['busybox']);
    const cacheDir = join(work, 'warm-cache');
    const warm = await kiln(['warm', '--image', base, '--cache-dir', cacheDir]);
    assert.equal(warm.code, 0, warm.stderr);
    const dir = join(work, 'warmed');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'Dockerfile'), `FROM ${base}\nRUN echo warmed > /warmed\n`);
    const online = await kiln(['build', '--context', dir, '--no-push', '--cache-dir', cacheDir]);
    assert.equal(online.code, 0, online.stderr);
    assert.match(online.stderr, /using sha256:[0-9a-f]{64} from the base-image cache/);
    await other.stop();
    const offline = await kiln(['build', '--context', dir, '--no-push', '--cache-dir', cacheDir, '--oci-layout-path', join(work, 'warmed-oci')]);
    assert.equal(offline.code, 0, offline.stderr);
    const bundle = join(work, 'warmed-bundle');
    await run('umoci', ['unpack', '--image', join(work, 'warmed-oci'), bundle]);
    assert.equal(await readFile(join(bundle, 'rootfs/warmed'), 'utf8'), 'warmed\n');
  });
});

