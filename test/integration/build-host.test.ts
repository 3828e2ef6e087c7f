// kiln build --isolation host for real, the way kaniko runs in an unprivileged pod, but never on
// this machine's own `/`: scripts/executor-root.sh assembles a throwaway root holding only /kiln
// (node and the tools kiln runs, with their own loader and libraries, and dist/), and each build
// runs chrooted into a copy of it in new mount and pid namespaces, with a fresh /proc, a /dev of
// a few device nodes, and the context mounted read-only at /workspace. For that kiln, `/` is the
// copy: it clears it, extracts bases onto it and runs RUN commands in it. The registry is the
// lab's, reached over the shared network namespace. The images it pushes must be accepted by
// skopeo and umoci and hold the same tree as the same Dockerfile built with --isolation chroot.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { startRegistry, type LabRegistry } from '../support/registry.ts';
import { pushBaseImages } from '../support/base-images.ts';
import { CommandError, run } from '../support/exec.ts';
import { kiln } from '../support/kiln-cli.ts';
import { repoRoot } from '../support/lab-dir.ts';
import { removeTree } from '../support/mounts.ts';
import { compareTrees, describeTree, withoutRuntimePaths, type TreeDescription } from '../conformance/tree.ts';
import { compareConfigs, pickRunConfig } from '../conformance/config.ts';
import { layoutRunConfig } from '../conformance/harness.ts';

let reg: LabRegistry;
let busybox: string;
let work: string;
let template: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'kiln-build-host-'));
  template = join(work, 'executor-root');
  await run(join(repoRoot, 'scripts/executor-root.sh'), [template], { timeoutMs: 120_000 });
  reg = await startRegistry('plain');
  ({ busybox } = await pushBaseImages(reg, ['busybox']));
});

after(async () => {
  await reg?.stop();
  // Every mount of a sandbox lived in its own namespace; removeTree unmounts anything left anyway.
  if (work) await removeTree(work);
});

// Runs as pid 1 of the new pid namespace, in a new mount namespace whose mounts vanish with it.
// The device nodes are binds of the host's harmless ones onto files of a fresh tmpfs, so a RUN
// that writes under /dev writes there, not into the host's /dev.
const SANDBOX = `
set -eu
t=$1 ctx=$2
shift 2
mount -t proc proc "$t/proc"
mount -t tmpfs -o mode=755,size=16m tmpfs "$t/dev"
for n in null zero full random urandom; do
  : > "$t/dev/$n"
  mount --bind "/dev/$n" "$t/dev/$n"
done
mkdir -p "$t/workspace"
mount --bind "$ctx" "$t/workspace"
mount -o remount,bind,ro "$t/workspace"
/usr/bin/env -i "$@"
`;

let roots = 0;

/** A fresh copy of the executor root; /kiln's files are hard links, since nothing writes them. */
async function executorRoot(): Promise<string> {
  const root = join(work, `root-${++roots}`);
  await run('cp', ['-al', '--', template, root]);
  return root;
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** `kiln build --isolation=host ARGS` chrooted into `root`, the context at /workspace. */
async function hostBuild(root: string, context: string, args: string[], env: Record<string, string> = {}): Promise<Result> {
  const vars = Object.entries({ PATH: '/kiln/bin', HOME: '/root', ...env }).map(([k, v]) => `${k}=${v}`);
  const argv = [
    '--mount', '--pid', '--fork', '--propagation', 'private', '--', '/bin/sh', '-c', SANDBOX, 'sandbox', root, context,
    ...vars, '/usr/bin/unshare', `--root=${root}`, '--wd=/',
    '/kiln/bin/node', '/kiln/dist/kiln.js', 'build', '--isolation=host', '--context=dir:///workspace', ...args,
  ];
  try {
    const { stdout, stderr } = await run('unshare', argv, { timeoutMs: 180_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    return { code: err.exitCode ?? 1, stdout: err.stdout, stderr: err.stderr };
  }
}

async function contextWith(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(work, name);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text.replaceAll('BASE_IMAGE', busybox));
  }
  return dir;
}

interface Pulled {
  layout: string;
  tree: TreeDescription;
  /** Every blob of the image, decompressed. */
  blobs: Buffer[];
}

/** The pushed image as skopeo copies it and umoci unpacks it. */
async function pull(ref: string, name: string): Promise<Pulled> {
  const layout = join(work, `${name}-oci`);
  await run('skopeo', ['copy', '--src-tls-verify=false', `docker://${ref}`, `oci:${layout}:img`]);
  const bundle = join(work, `${name}-bundle`);
  await run('umoci', ['unpack', '--image', `${layout}:img`, bundle]);
  const blobs: Buffer[] = [];
  for (const file of await readdir(join(layout, 'blobs/sha256'))) {
    const bytes = await readFile(join(layout, 'blobs/sha256', file));
    blobs.push(bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes);
  }
  return { layout, tree: withoutRuntimePaths(await describeTree(join(bundle, 'rootfs'))), blobs };
}

/** The layer tars' entry names, in order, from an OCI layout's manifest. */
async function layerEntries(layout: string): Promise<string[][]> {
  const blob = async (digest: string) => readFile(join(layout, 'blobs', ...digest.split(':')));
  const index = JSON.parse((await blob(JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')).manifests[0].digest)).toString()) as {
    layers: Array<{ digest: string }>;
  };
  const out: string[][] = [];
  for (const l of index.layers) {
    const tar = join(work, 'layer.tar');
    const bytes = await blob(l.digest);
    await writeFile(tar, bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes);
    out.push((await run('tar', ['-tf', tar])).stdout.split('\n').filter(Boolean));
  }
  return out;
}

/** Builds `context` with --isolation chroot on this machine, the reference for the host build. */
async function chrootBuild(context: string, ref: string, args: string[] = [], env: Record<string, string> = {}): Promise<void> {
  const res = await kiln(['build', '--isolation=chroot', '--context', context, '--destination', ref, ...args], { env: { ...process.env, ...env } });
  assert.equal(res.code, 0, res.stderr);
}

async function assertSameAsChroot(host: Pulled, reference: Pulled): Promise<void> {
  assert.deepEqual(compareTrees(reference.tree, host.tree), []);
  const configs = [reference, host].map(async (p) => pickRunConfig(await layoutRunConfig(p.layout)));
  const [want, got] = await Promise.all(configs);
  assert.deepEqual(compareConfigs(want, got), []);
}

/** The last line of stderr, the one a failing build explains itself with. */
function lastLine(r: Result): string {
  return r.stderr.trim().split('\n').pop() as string;
}

describe('kiln build --isolation host in a throwaway executor root', () => {
  test('one stage: RUNs that add and delete files become layers with whiteouts, the same tree as chroot', async () => {
    const ctx = await contextWith('single', {
      Dockerfile: [
        'FROM BASE_IMAGE',
        'RUN mkdir -p /data/sub && echo one > /data/sub/file && echo keep > /data/keep && ln -s sub/file /data/link',
        'RUN rm -rf /data/sub /etc/group /bin/vi && echo two > /data/keep && mkdir /data/new',
        'COPY hello.txt /data/hello.txt',
        'WORKDIR /app/deep',
        'RUN pwd > where',
        'CMD ["/bin/sh"]',
        '',
      ].join('\n'),
      'hello.txt': 'hello from the context\n',
    });
    const root = await executorRoot();
    const res = await hostBuild(root, ctx, ['--force', '--destination', `${reg.host}/host/single:1`]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /host isolation forced outside a container/);
    await chrootBuild(ctx, `${reg.host}/host/single:chroot`);

    const inspected = JSON.parse((await run('skopeo', ['inspect', '--tls-verify=false', `docker://${reg.host}/host/single:1`])).stdout) as { Layers: string[] };
    // busybox, three RUNs, COPY and WORKDIR.
    assert.equal(inspected.Layers.length, 6);
    const host = await pull(`${reg.host}/host/single:1`, 'single-host');
    await assertSameAsChroot(host, await pull(`${reg.host}/host/single:chroot`, 'single-chroot'));

    const layers = await layerEntries(host.layout);
    assert.deepEqual(layers[2].sort(), ['bin/', 'bin/.wh.vi', 'data/', 'data/.wh.sub', 'data/keep', 'data/new/', 'etc/', 'etc/.wh.group']);
    // Nothing of the executor (kiln, the mounts, the kernel's filesystems) reached a layer.
    for (const entries of layers.slice(1)) {
      assert.deepEqual(entries.filter((e) => /^(kiln|workspace|proc|dev|sys)(\/|$)/.test(e)), []);
    }
    // The final stage stays in / (as with kaniko), beside what kiln keeps, which is intact.
    assert.deepEqual((await readdir(root)).sort(), ['app', 'bin', 'data', 'dev', 'etc', 'kiln', 'linuxrc', 'proc', 'root', 'sbin', 'sys', 'tmp', 'usr', 'workspace']);
    assert.equal(await readFile(join(root, 'app/deep/where'), 'utf8'), '/app/deep\n');
    assert.ok((await stat(join(root, 'kiln/bin/node'))).isFile());
  });

  test('stages: FROM stage, COPY --from and mount from= read kept trees; bind, tmpfs and secret mounts leave nothing; USER; the same tree as chroot', async () => {
    const secret = 'kiln-host-s3cr3t-5c1e';
    const ctx = await contextWith('multi', {
      Dockerfile: [
        'FROM BASE_IMAGE AS build',
        'RUN mkdir /out && echo built > /out/artifact && chown 65534:65534 /out/artifact && chmod 0640 /out/artifact',
        'FROM build AS derived',
        'RUN echo derived >> /out/artifact && rm /bin/vi && ln /out/artifact /out/hardlink',
        'FROM BASE_IMAGE AS unused',
        'RUN echo unused > /unused',
        'FROM BASE_IMAGE',
        'COPY --from=build /out /app',
        'COPY --from=derived /out /derived',
        'RUN --mount=type=bind,from=build,source=/out,target=/mnt/build cat /mnt/build/artifact > /from-mount',
        'RUN --mount=type=bind,source=note.txt,target=/etc/note --mount=type=tmpfs,target=/scratch cp /etc/note /scratch/n && cp /scratch/n /noted',
        'RUN --mount=type=secret,id=token wc -c < /run/secrets/token > /secret-length && md5sum < /run/secrets/token | cut -c1-32 > /secret-sum',
        'USER nobody',
        'RUN id > /tmp/id && touch /tmp/by-nobody',
        '',
      ].join('\n'),
      'note.txt': 'from the context\n',
    });
    const root = await executorRoot();
    const dest = `${reg.host}/host/multi:1`;
    const res = await hostBuild(root, ctx, ['--force', '--destination', dest, '--secret', 'id=token,env=KILN_TEST_SECRET'], { KILN_TEST_SECRET: secret });
    assert.equal(res.code, 0, res.stderr);
    assert.ok(!res.stderr.includes(secret) && !res.stdout.includes(secret), 'the build log holds the secret');
    const host = await pull(dest, 'multi-host');
    await chrootBuild(ctx, `${reg.host}/host/multi:chroot`, ['--secret', 'id=token,env=KILN_TEST_SECRET'], { KILN_TEST_SECRET: secret });
    await assertSameAsChroot(host, await pull(`${reg.host}/host/multi:chroot`, 'multi-chroot'));

    for (const blob of host.blobs) assert.ok(!blob.includes(secret), 'a blob of the image holds the secret');
    const at = (p: string) => readFile(join(work, 'multi-host-bundle/rootfs', p), 'utf8');
    assert.equal(await at('app/artifact'), 'built\n');
    assert.equal(await at('derived/artifact'), 'built\nderived\n');
    assert.equal(await at('from-mount'), 'built\n');
    assert.equal(await at('noted'), 'from the context\n');
    assert.equal((await at('secret-length')).trim(), String(secret.length));
    assert.equal((await at('secret-sum')).trim(), createHash('md5').update(secret).digest('hex'));
    assert.equal(await at('tmp/id'), 'uid=65534(nobody) gid=65534(nobody) groups=65534(nobody)\n');
    assert.equal(host.tree.entries.get('/tmp/by-nobody')?.uid, 65534);
    assert.equal(host.tree.entries.get('/app/artifact')?.mode, 0o640);
    for (const gone of ['/unused', '/run', '/mnt', '/scratch', '/etc/note']) assert.equal(host.tree.entries.has(gone), false, `${gone} is in the image`);
  });

  test('outside a container without --force it refuses before touching /, as kaniko does', async () => {
    const ctx = await contextWith('unforced', { Dockerfile: 'FROM BASE_IMAGE\nRUN touch /made\n' });
    const root = await executorRoot();
    const res = await hostBuild(root, ctx, ['--no-push']);
    assert.equal(res.code, 1);
    assert.match(lastLine(res), /^kiln build: --isolation host runs RUN commands directly on this machine's \/ and refuses to outside a container .*--force/);
    assert.deepEqual((await readdir(root)).sort(), ['bin', 'dev', 'kiln', 'proc', 'sys', 'workspace']);
  });

  test('refusals name what cannot be done: a workspace that / would take with it, a cache mount', async () => {
    const ctx = await contextWith('refused', {
      Dockerfile: 'FROM BASE_IMAGE\nRUN --mount=type=cache,target=/var/cache/x true\n',
    });
    const root = await executorRoot();
    const workdir = await hostBuild(root, ctx, ['--force', '--no-push'], { KILN_WORKDIR: '/build-space' });
    assert.equal(workdir.code, 1);
    assert.match(lastLine(workdir), /^kiln build: --isolation host clears \/ for every stage, and KILN_WORKDIR=\/build-space is not on an ignored path; put it under \/kiln/);
    assert.deepEqual((await readdir(root)).sort(), ['bin', 'dev', 'kiln', 'proc', 'sys', 'workspace']);

    const cache = await hostBuild(root, ctx, ['--force', '--no-push']);
    assert.equal(cache.code, 1);
    assert.match(lastLine(cache), /^kiln build: RUN --mount=type=cache,target=\/var\/cache\/x needs mount rights .*--isolation chroot$/);
    assert.doesNotMatch(cache.stderr, /\n\s+at /);
  });
});
