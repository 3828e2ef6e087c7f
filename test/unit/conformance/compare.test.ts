// The conformance comparer must see every kind of difference a builder can make, and none
// where two trees mean the same image: tested on real directory trees made on disk.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, chown, link, mkdir, mkdtemp, rm, symlink, unlink, writeFile, cp } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareTrees, describeTree, treeFromJson, treeToJson, withoutRuntimePaths, type TreeDescription } from '../../conformance/tree.ts';
import { compareConfigs, pickRunConfig } from '../../conformance/config.ts';
import { compareOutcomes, expectedResult, formatDiffs, MAX_DIFFS_SHOWN } from '../../conformance/harness.ts';
import type { ConformanceCase } from '../../conformance/cases.ts';

const isRoot = process.getuid?.() === 0;

async function makeRootfs(dir: string): Promise<void> {
  await mkdir(join(dir, 'etc'), { recursive: true });
  await writeFile(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  await mkdir(join(dir, 'tmp'));
  await chmod(join(dir, 'tmp'), 0o1777);
  await mkdir(join(dir, 'bin'));
  await writeFile(join(dir, 'bin', 'tool'), 'tool\n');
  await chmod(join(dir, 'bin', 'tool'), 0o4755);
  await symlink('tool', join(dir, 'bin', 'rel-link'));
  await symlink('/bin/tool', join(dir, 'bin', 'abs-link'));
  await writeFile(join(dir, 'h1'), 'shared\n');
  await link(join(dir, 'h1'), join(dir, 'h2'));
  await mkdir(join(dir, 'empty'));
  await writeFile(join(dir, 'ünïcødé name.txt'), 'x');
}

describe('conformance tree comparer', () => {
  let base: string;
  let reference: TreeDescription;

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'kiln-compare-test-'));
    await makeRootfs(join(base, 'ref'));
    reference = await describeTree(join(base, 'ref'));
  });
  after(() => rm(base, { recursive: true, force: true }));

  /** A copy of the reference tree with one change applied, described. */
  async function altered(name: string, change: (root: string) => Promise<void>): Promise<TreeDescription> {
    const root = join(base, name);
    await cp(join(base, 'ref'), root, { recursive: true, verbatimSymlinks: true });
    // cp copies hardlinked files as separate files: restore the link.
    await unlink(join(root, 'h2'));
    await link(join(root, 'h1'), join(root, 'h2'));
    await change(root);
    return describeTree(root);
  }

  it('describes types, modes, links and hardlink groups', () => {
    assert.equal(reference.entries.get('/tmp')?.mode, 0o1777);
    assert.equal(reference.entries.get('/bin/tool')?.mode, 0o4755);
    assert.equal(reference.entries.get('/bin/rel-link')?.target, 'tool');
    assert.equal(reference.entries.get('/bin/abs-link')?.type, 'symlink');
    assert.equal(reference.entries.get('/empty')?.type, 'dir');
    assert.equal(reference.entries.get('/h1')?.sha256, createHash('sha256').update('shared\n').digest('hex'));
    assert.equal(reference.entries.get('/h1')?.size, 7);
    assert.deepEqual(reference.hardlinks, [['/h1', '/h2']]);
    assert.ok(reference.entries.has('/ünïcødé name.txt'));
  });

  it('finds no difference between a tree and an identical copy', async () => {
    const same = await altered('same', async () => {});
    assert.deepEqual(compareTrees(reference, same), []);
  });

  it('survives a round trip through its cache form', () => {
    const back = treeFromJson(JSON.parse(JSON.stringify(treeToJson(reference))));
    assert.deepEqual(compareTrees(reference, back), []);
  });

  it('reports a changed mode, including a lost setuid bit', async () => {
    const got = await altered('mode', (root) => chmod(join(root, 'bin', 'tool'), 0o755));
    assert.deepEqual(compareTrees(reference, got), ['/bin/tool: mode 00755, expected 04755']);
  });

  it('reports a lost sticky bit', async () => {
    const got = await altered('sticky', (root) => chmod(join(root, 'tmp'), 0o777));
    assert.deepEqual(compareTrees(reference, got), ['/tmp: mode 00777, expected 01777']);
  });

  it('reports changed content', async () => {
    const got = await altered('content', (root) => writeFile(join(root, 'etc', 'passwd'), 'root:x:0:0::/:/bin/sh\n'));
    const diffs = compareTrees(reference, got);
    assert.equal(diffs.length, 1);
    assert.match(diffs[0], /^\/etc\/passwd: content \d+ bytes sha256:[0-9a-f]{12}, expected \d+ bytes/);
  });

  it('reports missing and unexpected paths', async () => {
    const got = await altered('paths', async (root) => {
      await rm(join(root, 'empty'), { recursive: true });
      await writeFile(join(root, 'extra'), 'x');
    });
    assert.deepEqual(compareTrees(reference, got), [
      '/empty: missing (expected dir 00755 0:0)'.replace('0:0', `${process.getuid?.()}:${process.getgid?.()}`),
      `/extra: unexpected (file 00644 ${process.getuid?.()}:${process.getgid?.()} 1 bytes sha256:2d711642b726)`,
    ]);
  });

  it('reports a changed type and a changed link target', async () => {
    const got = await altered('types', async (root) => {
      await rm(join(root, 'empty'), { recursive: true });
      await writeFile(join(root, 'empty'), '');
      await unlink(join(root, 'bin', 'rel-link'));
      await symlink('./tool', join(root, 'bin', 'rel-link'));
    });
    assert.deepEqual(compareTrees(reference, got), [
      '/bin/rel-link: link target "./tool", expected "tool"',
      '/empty: type file, expected dir',
    ]);
  });

  it('reports a broken hardlink group even when contents agree', async () => {
    const got = await altered('hardlink', async (root) => {
      await unlink(join(root, 'h2'));
      await writeFile(join(root, 'h2'), 'shared\n');
    });
    assert.deepEqual(compareTrees(reference, got), ['hardlink group missing: /h1 = /h2']);
  });

  it('reports a changed owner', { skip: isRoot ? false : 'chown needs root' }, async () => {
    const got = await altered('owner', (root) => chown(join(root, 'etc', 'passwd'), 1234, 5678));
    assert.deepEqual(compareTrees(reference, got), ['/etc/passwd: owner 1234:5678, expected 0:0']);
  });

  it('leaves out runtime dirs and buildah placeholders unless a case keeps them', async () => {
    const got = await altered('runtime', async (root) => {
      await mkdir(join(root, 'proc'));
      await mkdir(join(root, 'run', 'lock'), { recursive: true });
      await writeFile(join(root, 'etc', 'hosts'), '');
      await writeFile(join(root, 'etc', 'resolv.conf'), '');
      // The root's own mode comes from the unpacker, not the image.
      await chmod(root, 0o555);
    });
    assert.deepEqual(compareTrees(reference, got).filter((d) => d.startsWith('/:')), ['/: mode 00555, expected 00755']);
    assert.deepEqual(compareTrees(withoutRuntimePaths(reference), withoutRuntimePaths(got)), []);
    assert.deepEqual(compareTrees(withoutRuntimePaths(reference, { keep: ['/etc/hosts'] }), withoutRuntimePaths(got, { keep: ['/etc/hosts'] })), [
      `/etc/hosts: unexpected (file 00644 ${process.getuid?.()}:${process.getgid?.()} 0 bytes sha256:e3b0c44298fc)`,
    ]);
  });
});

describe('conformance config comparer', () => {
  it('treats null, empty lists and empty maps as unset, and drops buildah labels', () => {
    const buildah = pickRunConfig({ Env: ['A=1'], Entrypoint: [], Volumes: {}, Labels: { 'io.buildah.version': '1.28.2' }, Cmd: ['sh'], Hostname: 'x' });
    const docker = pickRunConfig({ Env: ['A=1'], Entrypoint: null, Volumes: null, Labels: null, Cmd: ['sh'] });
    assert.deepEqual(buildah, { Env: ['A=1'], Cmd: ['sh'] });
    assert.deepEqual(compareConfigs(buildah, docker), []);
  });

  it('reports each differing field', () => {
    const diffs = compareConfigs(
      pickRunConfig({ Cmd: ['sh'], User: 'nobody', ExposedPorts: { '80/tcp': {} } }),
      pickRunConfig({ Cmd: ['/bin/sh', '-c', 'sh'], ExposedPorts: { '80/udp': {} } }),
    );
    assert.deepEqual(diffs, [
      'config Cmd: ["/bin/sh","-c","sh"], expected ["sh"]',
      'config User: (unset), expected "nobody"',
      'config ExposedPorts: {"80/udp":{}}, expected {"80/tcp":{}}',
    ]);
  });

  it('drops zero healthcheck durations, which docker omits', () => {
    assert.deepEqual(pickRunConfig({ Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 5e9, Timeout: 0, Retries: 0 } }), {
      Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 5e9 },
    });
  });
});

describe('conformance outcomes', () => {
  const tree = (entries: Array<[string, { type: 'file' | 'dir'; mode: number; uid: number; gid: number }]>): ReturnType<typeof treeToJson> => ({ entries, hardlinks: [] });
  const kase = (spec: ConformanceCase['spec']): ConformanceCase => ({ name: 't', dir: '/nonexistent', spec });

  it('lays docker expectations over the reference', () => {
    const c = kase({ docker: { files: { '/etc/hosts': null, '/owned': { uid: 7, gid: 8 } }, config: { User: 'app', Cmd: null } } });
    const ref = { tree: treeFromJson(tree([['/etc/hosts', { type: 'file', mode: 0o644, uid: 0, gid: 0 }], ['/owned', { type: 'dir', mode: 0o755, uid: 0, gid: 0 }]])), config: { Cmd: ['sh'] } };
    const want = expectedResult(c, ref);
    assert.equal(want.tree.entries.has('/etc/hosts'), false);
    assert.deepEqual(want.tree.entries.get('/owned'), { type: 'dir', mode: 0o755, uid: 7, gid: 8 });
    assert.deepEqual(want.config, { User: 'app' });
  });

  it('fails a candidate that builds what docker rejects, and passes one that fails', () => {
    const c = kase({ expectFailure: { note: 'no such user', kilnStderr: 'nosuchuser' } });
    const rejected = { ok: false as const, error: 'unknown user nosuchuser' };
    assert.deepEqual(compareOutcomes(c, rejected, rejected, 'kiln'), []);
    const built = { ok: true as const, tree: tree([]), config: {} };
    assert.equal(compareOutcomes(c, rejected, built, 'kiln').length, 1);
    assert.match(compareOutcomes(c, rejected, { ok: false, error: 'other' }, 'kiln')[0], /does not match/);
  });

  it('reports a candidate failure and a config difference', () => {
    const c = kase({});
    const ok = { ok: true as const, tree: tree([['/x', { type: 'file', mode: 0o644, uid: 0, gid: 0 }]]), config: { Cmd: ['sh'] } };
    assert.match(compareOutcomes(c, ok, { ok: false, error: 'boom' }, 'kiln')[0], /^kiln failed: boom/);
    assert.deepEqual(compareOutcomes(c, ok, { ...ok, config: {} }, 'kiln'), ['config Cmd: (unset), expected ["sh"]']);
  });

  it('shows at most the first differences', () => {
    const text = formatDiffs('many', Array.from({ length: 30 }, (_, i) => `d${i}`));
    assert.equal(text.split('\n').filter((l) => l.startsWith('  - ')).length, MAX_DIFFS_SHOWN);
    assert.match(text, /… and 10 more/);
  });
});
