// The executor image as kiln builds it (scripts/executor-image.sh), run the way a kaniko pod runs
// kaniko's: `podman run` with the default capabilities (no CAP_SYS_ADMIN, so no namespaces), the
// context mounted read-only at /workspace, and nothing but kaniko's argv. kiln must find out on
// its own that it is in a container and build with --isolation host on the container's `/`; the
// image it pushes must be accepted by skopeo and umoci, hold nothing of the executor (kiln, the
// mounts podman puts in), and run. The same image also runs the Buildkite plugin as
// agent-stack-k8s would: its own hooks under /kiln/hooks, its busybox /bin/sh, the agent's OIDC token.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openBuildLab, type BuildLab } from '../support/build-lab.ts';
import { fakeBuildkiteAgent } from '../support/buildkite-agent.ts';
import { run } from '../support/exec.ts';
import { repoRoot } from '../support/lab-dir.ts';
import { startOidcIssuer } from '../support/oidc-issuer.ts';
import { podmanRun } from '../support/podman.ts';
import { startRegistry } from '../support/registry.ts';

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

  test('the plugin\'s hooks from /kiln/hooks with the image\'s busybox sh: OIDC token, push, meta-data, annotation, job dir removed', async () => {
    const issuer = await startOidcIssuer();
    const audience = 'https://packages.buildkite.com/kiln-lab/images';
    // A Buildkite Packages-shaped registry: user buildkite, the agent's token for its audience as the password.
    const packages = await startRegistry('token', {
      tls: true,
      anonymous: 'none',
      authenticate: async (user, password) => (user === 'buildkite' && (await issuer.verify(password, audience).catch(() => undefined)) ? 'buildkite-packages' : undefined),
    });
    try {
      const agent = await fakeBuildkiteAgent({ tokenUrl: issuer.buildkiteTokenUrl });
      // The stand-in agent is a sh script; the image has no ls, wc, tr, cat or wget of its own.
      const tools = join(lab.work, 'agent-tools');
      await mkdir(tools);
      await copyFile('/bin/busybox', join(tools, 'busybox'));
      for (const applet of ['ls', 'wc', 'tr', 'cat', 'wget']) await symlink('busybox', join(tools, applet));

      const workspace = join(lab.work, 'bk-workspace');
      await mkdir(join(workspace, 'ctx'), { recursive: true });
      await writeFile(join(workspace, 'ctx/hello.txt'), 'hello from the plugin\n');
      await writeFile(join(workspace, 'ctx/Dockerfile'), `FROM ${lab.busybox}\nCOPY hello.txt /hello.txt\nRUN cat /hello.txt > /copy.txt\n`);

      const image = 'packages.buildkite.com/kiln-lab/images/app:1';
      const config = {
        context: 'ctx',
        tags: [image],
        auth: [{ registry: 'packages.buildkite.com/kiln-lab/images', provider: 'buildkite-packages' }],
        'extra-args': [`--registry-address=packages.buildkite.com=${packages.host}`, `--insecure-registry=${lab.reg.host}`],
      };
      // The agent's part: each hook run by the image's sh, pre-exit whatever the build did.
      const script = 'cd /workspace && sh /kiln/hooks/environment && sh /kiln/hooks/pre-command && sh /kiln/hooks/command; status=$?; sh /kiln/hooks/pre-exit; echo "left in /kiln/tmp: $(ls -A /kiln/tmp)"; exit $status';
      const env = {
        PATH: `${agent.binDir}:/kiln/bin:${tools}`,
        BUILDKITE_JOB_ID: `job-${process.pid}`,
        BUILDKITE_STEP_KEY: 'image',
        BUILDKITE_COMMAND: '',
        BUILDKITE_PLUGIN_CONFIGURATION: JSON.stringify(config),
      };
      const res = await podmanRun(lab.reg, executor, ['-c', script], [
        '--network=host', '--entrypoint=/bin/sh',
        ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
        '-v', `${workspace}:/workspace`, '-v', `${agent.dir}:${agent.dir}`, '-v', `${tools}:${tools}:ro`,
        // Where a pod mounts extra CAs for kaniko's image.
        '-v', `${packages.caFile!}:/kaniko/ssl/certs/lab-ca.pem:ro`,
      ]);
      assert.match(res.stderr, /host isolation: in a container/);
      assert.match(res.stdout, /^left in \/kiln\/tmp: $/m);

      const calls = (await agent.calls()).map((c) => c.args.join(' '));
      // environment's --version, then the token, masked before anything uses it.
      assert.equal(calls[0], '--version');
      assert.ok(calls[1]?.startsWith(`oidc request-token --audience ${audience}`), calls[1]);
      assert.equal(calls[2], 'redactor add');
      const token = (await agent.calls())[2]!.stdin;
      const skopeoEnv = { ...process.env, SSL_CERT_FILE: packages.caFile! };
      const digest = (await run('skopeo', ['inspect', '--creds', `buildkite:${token}`, '--format', '{{.Digest}}', `docker://${packages.host}/kiln-lab/images/app:1`], { env: skopeoEnv })).stdout.trim();
      assert.match(digest, /^sha256:[0-9a-f]{64}$/);
      assert.equal(await readFile(join(agent.dir, 'meta/kiln-digest'), 'utf8'), digest);
      const annotation = (await agent.calls()).find((c) => c.args[0] === 'annotate');
      assert.ok(annotation?.args.includes('success'), String(annotation?.args));
      assert.ok(annotation!.stdin.includes(`${image}@${digest}`), annotation!.stdin);
    } finally {
      await packages.stop();
      await issuer.stop();
    }
  });
});
