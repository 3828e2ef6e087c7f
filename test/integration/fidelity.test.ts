// Issue 14, filesystem fidelity: the layer a RUN makes must say what buildah's layer says for the
// same Dockerfile on the same base: the same paths, the same hardlink groups, the same owners,
// modes and contents, the same extended attributes (security.capability included). Both of
// kiln's snapshotters are held to it. Only the last layer is compared: it is the one under test,
// and the steps before it only set the stage.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import { createReadStream, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { readTar } from '../../src/tar/reader.ts';
import { BUILDAH_PLACEHOLDERS, RUNTIME_DIRS } from '../conformance/tree.ts';
import { openBuildLab, type BuildLab } from '../support/build-lab.ts';
import { buildahBuildToLayout, type BuildahStorageDriver } from '../support/buildah.ts';
import { kiln } from '../support/kiln-cli.ts';

/** What a layer says about one path; mtimes differ between any two builds and are left out. */
interface LayerEntry {
  type: string;
  mode: string;
  owner: string;
  /** sha256 and size of a file, a symlink's target. */
  content: string;
  xattrs: Record<string, string>;
}

interface LayerView {
  entries: Map<string, LayerEntry>;
  /** Names that are one inode: each group sorted, groups sorted. */
  hardlinks: string[][];
}

async function lastLayerOf(layout: string): Promise<string> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  const blob = (digest: string): string => join(layout, 'blobs', ...digest.split(':'));
  const manifest = JSON.parse(await readFile(blob(index.manifests[0].digest), 'utf8')) as { layers: Array<{ digest: string }> };
  return blob(manifest.layers[manifest.layers.length - 1].digest);
}

async function readLayer(blobPath: string): Promise<LayerView> {
  const entries = new Map<string, LayerEntry>();
  const groups = new Map<string, string[]>();
  for await (const e of readTar(createReadStream(blobPath).pipe(createGunzip()), blobPath)) {
    const name = e.name.replace(/^\.?\//, '').replace(/\/$/, '');
    let content = e.type === 'symlink' ? e.linkname : '';
    if (e.type === 'file') {
      const hash = createHash('sha256');
      for await (const chunk of e.body()) hash.update(chunk);
      content = `${e.size} ${hash.digest('hex').slice(0, 16)}`;
    }
    if (e.type === 'hardlink') {
      const target = e.linkname.replace(/^\.?\//, '');
      const group = groups.get(target) ?? [target];
      group.push(name);
      groups.set(target, group);
    }
    const xattrs = Object.fromEntries([...e.xattrs].map(([k, v]) => [k, v.toString('hex')]).sort());
    entries.set(name, { type: e.type === 'hardlink' ? 'file' : e.type, mode: (e.mode & 0o7777).toString(8), owner: `${e.uid}:${e.gid}`, content, xattrs });
  }
  // A hardlink entry says nothing of its own: it is its target's inode.
  for (const group of groups.values()) for (const name of group.slice(1)) entries.set(name, entries.get(group[0]) as LayerEntry);
  const hardlinks = [...groups.values()].map((g) => [...g].sort()).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return { entries, hardlinks };
}

/**
 * buildah's side without its chroot leftovers: the runtime directories and the empty mount
 * placeholders it leaves after a RUN (docker leaves none), and a directory that is in the layer
 * only as their parent.
 */
function withoutBuildahLeftovers(view: LayerView): LayerView {
  const leftovers = new Set<string>([...RUNTIME_DIRS, ...BUILDAH_PLACEHOLDERS].map((p) => p.slice(1)));
  const entries = new Map([...view.entries].filter(([name]) => !leftovers.has(name) && ![...leftovers].some((l) => name.startsWith(`${l}/`))));
  for (const placeholder of BUILDAH_PLACEHOLDERS) {
    const parent = dirname(placeholder).slice(1);
    if (![...entries.keys()].some((n) => n.startsWith(`${parent}/`))) entries.delete(parent);
  }
  return { entries, hardlinks: view.hardlinks };
}

function describeView(view: LayerView): { entries: Record<string, LayerEntry>; hardlinks: string[][] } {
  return { entries: Object.fromEntries([...view.entries].sort(([a], [b]) => (a < b ? -1 : 1))), hardlinks: view.hardlinks };
}

/** setcap and setfattr with the libraries they load, at the host's paths, for `COPY tools/ /`. */
async function hostTools(dir: string): Promise<void> {
  for (const tool of ['/usr/sbin/setcap', '/usr/bin/setfattr']) {
    const libs = execFileSync('ldd', [tool], { encoding: 'utf8' }).split('\n').map((l) => /(\/\S+) \(0x/.exec(l)?.[1]).filter((l): l is string => l !== undefined);
    for (const file of [tool, ...libs]) {
      await mkdir(join(dir, dirname(file)), { recursive: true });
      await copyFile(await realpath(file), join(dir, file));
    }
  }
}

interface FidelityCase {
  name: string;
  /** Dockerfile lines after `FROM <busybox>`; the last one is the layer under test. */
  steps: string[];
  /**
   * buildah's storage driver whose semantics kiln's walk snapshotter shares for this case
   * (overlay by default). A write to one name of a base hardlink goes through the shared inode
   * in place (walk; buildah's vfs) but to a copied-up inode under overlayfs with index=off
   * (kiln's overlay snapshotter; buildah's and docker's overlay): each layer says what its RUN saw.
   */
  walkReference?: BuildahStorageDriver;
  /** What the layer under test must hold (beyond agreeing with buildah), per snapshotter; `blobBytes` is its compressed size. */
  check(view: LayerView, snapshotter: Snapshotter, blobBytes: number): void;
}

type Snapshotter = 'overlay' | 'walk';

const CASES: FidelityCase[] = [
  {
    name: 'hardlinks: a base pair one RUN modifies, a pair it only reads, a new pair',
    steps: [
      'RUN echo shared > /a && ln /a /b && mkdir /d && ln /a /d/c && echo read > /r && ln /r /r2',
      'RUN echo more >> /a && cat /r /r2 >/dev/null && echo new > /n1 && ln /n1 /n2',
    ],
    walkReference: 'vfs',
    check(view, snapshotter) {
      assert.ok(view.entries.has('a'), 'the modified name is in the layer');
      const group = view.hardlinks.find((g) => g.includes('a'));
      if (snapshotter === 'walk') assert.deepEqual(group, ['a', 'b', 'd/c'], 'every name of the written inode, as tar hardlinks');
      else assert.ok(!view.entries.has('b') && group === undefined, 'overlay copied up the one name written');
      assert.ok(!view.entries.has('r') && !view.entries.has('r2'), 'a pair only read stays out of the layer');
      assert.deepEqual(view.hardlinks.filter((g) => g.includes('n1')), [['n1', 'n2']], 'two new names of one file are a tar hardlink');
    },
  },
  {
    name: 'xattrs added, changed and removed on files and directories; security.capability from setcap',
    steps: [
      'COPY tools/ /',
      'RUN touch /f /g && mkdir /dx && setfattr -n user.a -v 1 /f && setfattr -n user.b -v 2 /f && setfattr -n user.only -v o /g' +
        ' && setfattr -n user.d -v 1 /dx && setfattr -n user.e -v 2 /dx',
      'RUN setfattr -x user.a /f && setfattr -n user.b -v 3 /f && setfattr -x user.only /g && setfattr -x user.d /dx' +
        ' && touch /h && setfattr -n user.new -v n /h && cp /bin/busybox /ping && setcap cap_net_raw+ep /ping',
    ],
    check(view) {
      assert.deepEqual(view.entries.get('f')?.xattrs, { 'user.b': Buffer.from('3').toString('hex') });
      assert.deepEqual(view.entries.get('g')?.xattrs, {});
      assert.deepEqual(view.entries.get('dx')?.xattrs, { 'user.e': Buffer.from('2').toString('hex') });
      assert.ok(view.entries.get('ping')?.xattrs['security.capability'], 'setcap leaves security.capability in the layer');
    },
  },
  {
    name: 'sparse files: a 128 MiB hole with data at its end, a file that is all hole',
    steps: ['RUN truncate -s 128M /sparse && echo end >> /sparse && truncate -s 32M /hole'],
    check(view, _snapshotter, blobBytes) {
      assert.equal(view.entries.get('sparse')?.content.split(' ')[0], String(128 * 1024 * 1024 + 4));
      assert.equal(view.entries.get('hole')?.content.split(' ')[0], String(32 * 1024 * 1024));
      // A tar has no holes, so they travel as zeros; compressed, 160 MiB of zeros is about 0.2 MiB.
      assert.ok(blobBytes < 1024 * 1024, `the layer is ${blobBytes} bytes`);
    },
  },
];

describe('filesystem fidelity: kiln layer = buildah layer', () => {
  let lab: BuildLab;
  const references = new Map<string, LayerView>();

  /** buildah's last layer for a case, built once per driver. */
  async function reference(c: FidelityCase, ctx: string, driver: BuildahStorageDriver): Promise<LayerView> {
    const key = `${c.name} ${driver}`;
    let view = references.get(key);
    if (!view) {
      const layout = await buildahBuildToLayout(ctx, 'Dockerfile', join(lab.work, `buildah-${references.size}`), lab.reg, { driver });
      view = withoutBuildahLeftovers(await readLayer(await lastLayerOf(layout)));
      references.set(key, view);
    }
    return view;
  }

  before(async () => {
    lab = await openBuildLab('kiln-fidelity-');
  });
  after(() => lab?.close());

  for (const [i, c] of CASES.entries()) {
    for (const snapshotter of ['overlay', 'walk'] as const) {
      it(`${c.name} (${snapshotter})`, async () => {
        const ctx = join(lab.work, `case-${i}`);
        if (!existsSync(ctx)) {
          await mkdir(ctx, { recursive: true });
          await hostTools(join(ctx, 'tools'));
          await writeFile(join(ctx, 'Dockerfile'), [`FROM ${lab.busybox}`, ...c.steps, ''].join('\n'));
        }
        const expected = await reference(c, ctx, snapshotter === 'walk' ? (c.walkReference ?? 'overlay') : 'overlay');
        const layout = join(lab.work, `kiln-${i}-${snapshotter}`);
        const res = await kiln(['build', '--context', ctx, '--no-push', '--oci-layout-path', layout, '--insecure-registry', lab.reg.host], {
          env: { ...process.env, KILN_SNAPSHOTTER: snapshotter },
        });
        assert.equal(res.code, 0, res.stderr);
        const blob = await lastLayerOf(layout);
        const mine = await readLayer(blob);
        assert.deepEqual(describeView(mine), describeView(expected));
        c.check(mine, snapshotter, (await stat(blob)).size);
      });
    }
  }
});
