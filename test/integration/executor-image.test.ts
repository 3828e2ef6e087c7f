// The executor image as kiln builds it (scripts/executor-image.sh), run the way a kaniko pod runs
// kaniko's: `podman run` with the default capabilities (no CAP_SYS_ADMIN, so no namespaces), the
// context mounted read-only at /workspace, and nothing but kaniko's argv. kiln must find out on
// its own that it is in a container and build with --isolation host on the container's `/`; the
// image it pushes must be accepted by skopeo and umoci, hold nothing of the executor (kiln, the
// mounts podman puts in), and run.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openBuildLab, type BuildLab } from '../support/build-lab.ts';
import { run } from '../support/exec.ts';
import { repoRoot } from '../support/lab-dir.ts';
import { podmanRun } from '../support/podman.ts';

let lab: BuildLab;
let executor: string;

before(async () => {
  lab = await openBuildLab('kiln-executor-image-');
  executor = `${lab.reg.host}/kiln/executor:test`;
  await run(join(repoRoot, 'scripts/executor-image.sh'), [`--destination=${executor}`], { timeoutMs: 300_000 });
});

after(async () => {
  await lab?.close();
});

interface ImageConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  User?: string;
  WorkingDir?: string;
  Env?: string[];
}

async function inspect(ref: string): Promise<{ Layers: string[]; config: ImageConfig }> {
  const skopeo = (raw: string[]) => run('skopeo', ['inspect', '--tls-verify=false', ...raw, `docker://${ref}`]);
  const { Layers } = JSON.parse((await skopeo([])).stdout) as { Layers: string[] };
  const { config } = JSON.parse((await skopeo(['--config'])).stdout) as { config: ImageConfig };
  return { Layers, config };
}

// A name nothing else uses: the RUN that makes it must change the container's /, not this machine's.
const MARKER = `/kiln-executor-image-test-${process.pid}`;

describe('the executor image, built by kiln and run like a kaniko pod', () => {
  test('kiln under /kiln behind kaniko\'s entrypoint, workdir and docker config', async () => {
    const { config } = await inspect(executor);
    assert.deepEqual(config.Entrypoint, ['/kiln/executor']);
    assert.equal(config.WorkingDir, '/workspace');
    assert.ok(config.Env?.includes('DOCKER_CONFIG=/kaniko/.docker/'), String(config.Env));
    assert.ok(config.Env?.includes('SSL_CERT_DIR=/kaniko/ssl/certs'), String(config.Env));
    assert.ok(config.Env?.includes('PATH=/kiln/bin'), String(config.Env));
  });

  test('podman run with kaniko\'s argv builds RUN, COPY, USER and COPY --from in host isolation and pushes an image that runs', async () => {
    const context = join(lab.work, 'context');
    await mkdir(context);
    await writeFile(join(context, 'hello.txt'), 'hello from the context\n');
    await writeFile(join(context, 'Dockerfile'), [
      `FROM ${lab.busybox} AS build`,
      'RUN mkdir /out && echo built > /out/artifact && rm /bin/vi',
      `FROM ${lab.busybox}`,
      'COPY --from=build /out /app',
      'COPY hello.txt /hello.txt',
      `RUN echo made > ${MARKER} && rm /bin/vi`,
      'USER nobody',
      'RUN id -u > /tmp/uid',
      `CMD ["sh", "-c", "cat /hello.txt /app/artifact /tmp/uid ${MARKER}"]`,
      '',
    ].join('\n'));

    const app = `${lab.reg.host}/app:1`;
    const build = await podmanRun(lab.reg, executor, [
      '--context=dir:///workspace', '--dockerfile=Dockerfile', `--destination=${app}`, `--insecure-registry=${lab.reg.host}`, '--verbosity=debug',
    ], ['--network=host', '-v', `${context}:/workspace:ro`]);
    // Chosen, not forced: chroot's namespaces are refused, and podman's /run/.containerenv says where we are.
    assert.match(build.stderr, /host isolation: in a container \(\/run\/\.containerenv exists\)/);
    assert.doesNotMatch(build.stderr, /forced outside a container/);
    assert.match(build.stderr, /pushed 127\.0\.0\.1:\d+\/app:1@sha256:/);

    assert.equal(existsSync(MARKER), false, `${MARKER} was written on this machine`);
    assert.deepEqual((await readdir(context)).sort(), ['Dockerfile', 'hello.txt']);

    const { Layers, config } = await inspect(app);
    // busybox, COPY --from, COPY, and the two RUNs.
    assert.equal(Layers.length, 5);
    assert.equal(config.User, 'nobody');

    const layout = join(lab.work, 'app-oci');
    await run('skopeo', ['copy', '--src-tls-verify=false', `docker://${app}`, `oci:${layout}:1`]);
    const rootfs = join(lab.work, 'app-bundle/rootfs');
    await run('umoci', ['unpack', '--image', `${layout}:1`, join(lab.work, 'app-bundle')]);
    // Nothing of the executor (kiln, the workspace, podman's /etc/hosts, resolv.conf, hostname,
    // /run/.containerenv) reached the image, and the RUN that deleted /bin/vi left a whiteout.
    assert.deepEqual((await readdir(rootfs)).sort(), ['app', 'bin', 'etc', 'hello.txt', 'linuxrc', MARKER.slice(1), 'root', 'sbin', 'tmp', 'usr'].sort());
    assert.deepEqual((await readdir(join(rootfs, 'etc'))).sort(), ['group', 'passwd']);
    assert.equal(existsSync(join(rootfs, 'bin/vi')), false);
    assert.equal(await readFile(join(rootfs, 'app/artifact'), 'utf8'), 'built\n');

    assert.equal((await podmanRun(lab.reg, app)).stdout, 'hello from the context\nbuilt\n65534\nmade\n');
  });
});
