// The filesystem side of --isolation host, run on a throwaway directory standing in for `/`
// (every operation takes the root as a parameter; the build passes `/`), and the checks that
// refuse a host build on a machine laid out like this one.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, link, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { clearing, clearRoot, ignoredPathFilter, keepAside, planHostBuild } from '../../../src/executor/host-root.ts';
import { hostIgnorePaths } from '../../../src/run/ignore.ts';
import { applyLayer } from '../../../src/tar/extract.ts';
import { packTar, type PackEntry } from '../../../src/tar/writer.ts';
import { rejectsWith } from '../../support/assert-error.ts';

// /proc/self/mountinfo of a kaniko-style pod on containerd: overlay root, the kernel's
// filesystems and their masks, kubelet's hosts/hostname/resolv.conf and termination log, an
// emptyDir workspace, a registry secret and the service account token.
const POD_MOUNTINFO = `\
1285 1181 0:226 / / rw,relatime master:344 - overlay overlay rw,lowerdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/51/fs,upperdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/52/fs,workdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/52/work
1286 1285 0:229 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
1287 1285 0:230 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755
1288 1287 0:231 / /dev/pts rw,nosuid,noexec,relatime - devpts devpts rw,gid=5,mode=620,ptmxmode=666
1289 1287 0:215 / /dev/mqueue rw,nosuid,nodev,noexec,relatime - mqueue mqueue rw
1290 1285 0:218 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro
1291 1290 0:29 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup rw,nsdelegate,memory_recursiveprot
1292 1285 254:1 /var/lib/kubelet/pods/5f0c2a4e/volumes/kubernetes.io~empty-dir/workspace /workspace rw,relatime - ext4 /dev/vda1 rw,discard
1293 1285 254:1 /var/lib/kubelet/pods/5f0c2a4e/etc-hosts /etc/hosts rw,relatime - ext4 /dev/vda1 rw,discard
1294 1287 254:1 /var/lib/kubelet/pods/5f0c2a4e/containers/kiln/7d3e1f0a /dev/termination-log rw,relatime - ext4 /dev/vda1 rw,discard
1295 1285 254:1 /var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/9d14c7/hostname /etc/hostname rw,relatime - ext4 /dev/vda1 rw,discard
1296 1285 254:1 /var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/9d14c7/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/vda1 rw,discard
1297 1287 0:214 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=65536k
1298 1285 0:212 / /kiln/.docker ro,relatime - tmpfs tmpfs rw,size=3969704k
1299 1285 0:213 / /var/run/secrets/kubernetes.io/serviceaccount ro,relatime - tmpfs tmpfs rw,size=3969704k
1182 1286 0:229 /bus /proc/bus ro,nosuid,nodev,noexec,relatime - proc proc rw
1183 1286 0:232 / /proc/acpi ro,relatime - tmpfs tmpfs ro
1184 1286 0:230 /null /proc/kcore rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755
`;

describe('what a host build keeps, from a pod\'s mountinfo', () => {
  test('the ignore list: kiln, the kernel\'s filesystems, every mount, /var/run, --ignore-path', async () => {
    const ignored = await hostIgnorePaths({ mountinfo: POD_MOUNTINFO, ignorePaths: ['/cache'] });
    assert.deepEqual(ignored, [
      '/cache', '/dev', '/dev/mqueue', '/dev/pts', '/dev/shm', '/dev/termination-log', '/etc/hostname', '/etc/hosts',
      '/etc/resolv.conf', '/kiln', '/kiln/.docker', '/proc', '/proc/acpi', '/proc/bus', '/proc/kcore', '/sys',
      '/sys/fs/cgroup', '/var/run', '/var/run/secrets/kubernetes.io/serviceaccount', '/workspace',
    ]);
  });

  test('clearing / keeps ignored paths, empties the directories holding one, removes the rest', async () => {
    const decide = clearing(await hostIgnorePaths({ mountinfo: POD_MOUNTINFO }));
    const cases: Array<[string, boolean, string]> = [
      ['kiln', true, 'keep'], ['workspace', true, 'keep'], ['proc', true, 'keep'], ['etc/hosts', false, 'keep'],
      ['var/run', true, 'keep'], ['etc', true, 'descend'], ['var', true, 'descend'], ['etc/passwd', false, 'remove'],
      ['var/lib', true, 'remove'], ['usr', true, 'remove'], ['tmp', true, 'remove'], ['kilnx', true, 'remove'],
      // A link where a holder should be is not followed: it goes.
      ['var', false, 'remove'],
    ];
    for (const [rel, isDir, want] of cases) assert.equal(decide(rel, isDir), want, `/${rel}`);
  });
});

describe('host root operations on a throwaway root', () => {
  let work: string;
  let root: string;
  let outside: string;
  const ignored = ['/etc/hosts', '/kiln', '/var/run', '/workspace'];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'kiln-host-root-'));
  });

  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  /** A root with what a pod's / holds, and a directory outside it that links point at. */
  async function makeRoot(name: string): Promise<void> {
    root = join(work, name, 'root');
    outside = join(work, name, 'outside');
    for (const d of ['kiln/bin', 'etc', 'var/run', 'var/lib', 'usr/bin', 'workspace']) await mkdir(join(root, d), { recursive: true });
    await mkdir(outside);
    const files: Record<string, string> = {
      'kiln/bin/node': 'kiln', 'etc/hosts': 'pod hosts', 'etc/passwd': 'image', 'var/run/pid': '1', 'var/lib/db': 'db',
      'usr/bin/tool': 'tool', 'workspace/Dockerfile': 'FROM scratch',
    };
    for (const [p, text] of Object.entries(files)) await writeFile(join(root, p), text);
    await writeFile(join(outside, 'precious'), 'not the build\'s');
    await symlink(outside, join(root, 'escape'));
    await link(join(root, 'usr/bin/tool'), join(root, 'usr/bin/tool-link'));
    await chmod(join(root, 'etc'), 0o750);
  }

  async function list(dir: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (rel: string): Promise<void> => {
      for (const d of await readdir(join(dir, rel), { withFileTypes: true })) {
        const child = rel ? `${rel}/${d.name}` : d.name;
        out.push(child);
        if (d.isDirectory()) await walk(child);
      }
    };
    await walk('');
    return out.sort();
  }

  const KEPT = ['etc', 'etc/hosts', 'kiln', 'kiln/bin', 'kiln/bin/node', 'var', 'var/run', 'var/run/pid', 'workspace', 'workspace/Dockerfile'];

  test('clearRoot leaves only what is ignored, and follows no link out of the root', async () => {
    await makeRoot('clear');
    await clearRoot(root, ignored);
    assert.deepEqual(await list(root), KEPT);
    assert.equal(await readFile(join(outside, 'precious'), 'utf8'), 'not the build\'s');
  });

  test('keepAside moves the stage\'s tree out (links and hard links intact) and leaves the root cleared', async () => {
    await makeRoot('aside');
    const dest = join(work, 'aside', 'kept');
    await keepAside(root, ignored, dest);
    assert.deepEqual(await list(root), KEPT);
    assert.deepEqual(await list(dest), ['escape', 'etc', 'etc/passwd', 'usr', 'usr/bin', 'usr/bin/tool', 'usr/bin/tool-link', 'var', 'var/lib', 'var/lib/db']);
    assert.equal(await readlink(join(dest, 'escape')), outside);
    assert.equal((await lstat(join(dest, 'usr/bin/tool'))).nlink, 2);
    // A directory that holds an ignored path stays; its copy has its mode.
    assert.equal((await lstat(join(dest, 'etc'))).mode & 0o7777, 0o750);
    assert.equal(await readFile(join(outside, 'precious'), 'utf8'), 'not the build\'s');
  });

  const dir = (name: string): PackEntry => ({ name, type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 1 });
  const file = (name: string, source: string): PackEntry => ({ name, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 1, size: 3, source });
  const marker = (name: string): PackEntry => ({ name, type: 'file', mode: 0, uid: 0, gid: 0, mtime: 1, size: 0 });

  async function applyFiltered(entries: PackEntry[]): Promise<void> {
    await applyLayer(root, Readable.from(packTar(entries)), { image: 'test', digest: 'sha256:test' }, { filter: () => ignoredPathFilter(root, ignored, 'test layer') });
  }

  test('a layer never writes, links to or whites out an ignored path; whiteouts of holders spare it', async () => {
    await makeRoot('layer');
    const body = join(work, 'layer', 'body');
    await writeFile(body, 'new');
    await applyFiltered([
      dir('etc'),
      file('etc/new', body),
      // Opaque etc: its lower contents go, but not etc/hosts (ignored) nor etc/new (this layer's).
      marker('etc/.wh..wh..opq'),
      file('etc/hosts', body),
      file('kiln/bin/node', body),
      file('var/run/other', body),
      { name: 'usr/bin/to-kiln', type: 'hardlink', mode: 0o755, uid: 0, gid: 0, mtime: 1, linkname: 'kiln/bin/node' },
      marker('var/.wh.run'),
      // Whiteout of var, which holds /var/run: everything else of var goes.
      marker('.wh.var'),
      marker('usr/bin/.wh.tool'),
      file('usr/bin/added', body),
    ]);
    assert.deepEqual(await list(root), [
      'escape', 'etc', 'etc/hosts', 'etc/new', 'kiln', 'kiln/bin', 'kiln/bin/node', 'usr', 'usr/bin', 'usr/bin/added', 'usr/bin/tool-link',
      'var', 'var/run', 'var/run/pid', 'workspace', 'workspace/Dockerfile',
    ]);
    assert.equal(await readFile(join(root, 'etc/hosts'), 'utf8'), 'pod hosts');
    assert.equal(await readFile(join(root, 'kiln/bin/node'), 'utf8'), 'kiln');
  });

  test('an opaque root keeps only the layer\'s entries and the ignored paths', async () => {
    await makeRoot('opaque');
    const body = join(work, 'opaque', 'body');
    await writeFile(body, 'new');
    await applyFiltered([file('fresh', body), marker('.wh..wh..opq')]);
    assert.deepEqual(await list(root), [...KEPT, 'fresh'].sort());
    assert.equal(await readFile(join(outside, 'precious'), 'utf8'), 'not the build\'s');
  });

  test('a layer that would replace a directory holding an ignored path is refused', async () => {
    await makeRoot('replace');
    await rejectsWith(
      applyFiltered([{ name: 'var', type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtime: 1, linkname: '/elsewhere' }]),
      'ISOLATION',
      /test layer: entry "var" would replace the directory \/var, which holds \/var\/run that --isolation host must keep/,
    );
    assert.ok((await lstat(join(root, 'var/run'))).isDirectory());
  });
});

describe('planHostBuild on a machine laid out like this one', () => {
  test('without /kiln or KILN_WORKDIR there is no workspace to keep: refused, naming KILN_WORKDIR', async () => {
    await rejectsWith(
      planHostBuild({ ignorePaths: [], ignoreVarRun: true, contextDir: tmpdir(), cacheDir: '/nonexistent', certificates: {} }, {}),
      'ISOLATION',
      /^--isolation host clears \/ for every stage and needs a workspace it keeps: set KILN_WORKDIR .*\(\/kiln does not exist here\)$/,
    );
  });

  test('kiln running from outside an ignored path is refused before anything is deleted', async () => {
    const ws = await mkdtemp(join(tmpdir(), 'kiln-host-plan-'));
    try {
      await rejectsWith(
        planHostBuild({ ignorePaths: [ws], ignoreVarRun: true, contextDir: ws, cacheDir: '/nonexistent', certificates: {} }, { KILN_WORKDIR: ws }),
        'ISOLATION',
        new RegExp(`^--isolation host clears / for every stage, and kiln itself \\(${realpathSync(process.execPath)}\\) is not on an ignored path; put it under /kiln`),
      );
    } finally {
      await rm(ws, { recursive: true, force: true });
    }
  });
});
