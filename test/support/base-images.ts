// Base images made offline from what this machine has (busybox-static, debootstrap against
// the configured apt mirror), written as OCI layouts cached in the lab dir under a hash of
// their inputs, and pushed to lab registries with skopeo.
import { createHash } from 'node:crypto';
import { copyFile, chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { labDir, repoRoot } from './lab-dir.ts';
import { ensureDir } from './once.ts';
import { run } from './exec.ts';
import { removeTree, unmountUnder } from './mounts.ts';
import { labTempDir } from './temp-dirs.ts';
import { walkTree, type TarEntry } from './layer-tar.ts';
import {
  initLayout, writeImage, writeImageIndex, writeLayer, writeLayoutIndex,
  type Descriptor, type LayerDescriptor, type Platform,
} from './oci-layout.ts';
import type { LabRegistry } from './registry.ts';

export type BaseImageName = 'busybox' | 'debian' | 'manyfiles' | 'multi' | 'multiarch';

/** Where each image lands in a lab registry (repository:tag). */
export const BASE_IMAGE_REFS: Record<BaseImageName, string> = {
  busybox: 'library/busybox:latest',
  debian: 'library/debian:bookworm',
  manyfiles: 'lab/manyfiles:latest',
  multi: 'lab/multi:latest',
  multiarch: 'lab/multiarch:latest',
};

// Bump when a recipe changes what it makes, so stale caches are not reused.
const RECIPE = 'base-images-v2';
// Every entry and every config says this time: the date of the apt snapshot the mirror serves.
const EPOCH = new Date('2025-05-20T00:00:00Z');
const CREATED = EPOCH.toISOString().replace('.000Z', 'Z');
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const BUSYBOX = '/bin/busybox';
const MANYFILES_SHAPE = [100, 10, 100] as const;

function hostPlatform(): Platform {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };
  const architecture = arch[process.arch] ?? process.arch;
  return architecture === 'arm64' ? { os: 'linux', architecture, variant: 'v8' } : { os: 'linux', architecture };
}

// ---- rootfs recipes ----

/** A busybox root; `binary` (another CPU's busybox) replaces the host's once the host's has installed the applet links. */
async function makeBusyboxRoot(root: string, binary = BUSYBOX): Promise<void> {
  // The applet installer links into these but does not create them.
  for (const d of ['bin', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'etc', 'root', 'tmp']) await mkdir(join(root, d), { mode: 0o755 });
  await copyFile(BUSYBOX, join(root, 'bin', 'busybox'));
  await chmod(join(root, 'bin', 'busybox'), 0o755);
  // A fixed umask keeps the directories the applet installer creates the same everywhere.
  await run('sh', ['-c', 'umask 022 && exec chroot "$1" /bin/busybox --install -s', 'sh', root]);
  if (binary !== BUSYBOX) await copyFile(binary, join(root, 'bin', 'busybox'));
  await writeFile(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n', { mode: 0o644 });
  await writeFile(join(root, 'etc', 'group'), 'root:x:0:\nnobody:x:65534:\n', { mode: 0o644 });
  await chmod(join(root, 'root'), 0o700);
  await chmod(join(root, 'tmp'), 0o1777);
}

/** The bookworm mirror apt uses here, from deb822 sources or the classic sources.list. */
export async function debianMirror(): Promise<string> {
  const deb822 = '/etc/apt/sources.list.d/debian.sources';
  if (existsSync(deb822)) {
    for (const stanza of (await readFile(deb822, 'utf8')).split(/\n\s*\n/)) {
      const field = (name: string): string[] =>
        (new RegExp(`^${name}:\\s*(.*)$`, 'mi').exec(stanza)?.[1] ?? '').split(/\s+/).filter(Boolean);
      if (field('Suites').includes('bookworm') && field('URIs')[0]) return field('URIs')[0];
    }
  }
  const classic = '/etc/apt/sources.list';
  if (existsSync(classic)) {
    const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/m.exec(await readFile(classic, 'utf8'));
    if (m) return m[1];
  }
  throw new Error('no bookworm mirror found in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list');
}

async function emptyDir(dir: string, keep: string[]): Promise<void> {
  for (const name of await readdir(dir).catch(() => [])) {
    if (!keep.includes(name)) await rm(join(dir, name), { recursive: true, force: true });
  }
}

async function makeDebianRoot(root: string, mirror: string): Promise<void> {
  try {
    await run('debootstrap', ['--variant=minbase', 'bookworm', root, mirror], {
      env: { ...process.env, LANG: 'C', LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive' },
      timeoutMs: 15 * 60_000,
    });
  } finally {
    await unmountUnder(root);
  }
  // The build's runtime provides these; an image must not carry the host's.
  await rm(join(root, 'etc', 'resolv.conf'), { force: true });
  await rm(join(root, 'etc', 'hostname'), { force: true });
  // Like Debian's own images: no package lists or downloaded .debs (builds run apt-get update).
  await emptyDir(join(root, 'var', 'lib', 'apt', 'lists'), ['partial', 'lock']);
  await emptyDir(join(root, 'var', 'cache', 'apt', 'archives'), ['partial', 'lock']);
  await emptyDir(join(root, 'var', 'cache', 'apt'), ['archives']);
}

async function withTempRoot<T>(prefix: string, fn: (root: string) => Promise<T>): Promise<T> {
  const root = await labTempDir(prefix);
  try {
    return await fn(root);
  } finally {
    await removeTree(root);
  }
}

function busyboxLayer(layout: string, binary = BUSYBOX): Promise<LayerDescriptor> {
  return withTempRoot('busybox', async (root) => {
    await makeBusyboxRoot(root, binary);
    return writeLayer(layout, walkTree(root), EPOCH);
  });
}

/** 100 × 10 × 100 small files under /data, generated straight into the tar. */
function* manyFiles(): Generator<TarEntry> {
  const dir = (path: string): TarEntry => ({ path, type: 'Directory', mode: 0o755, uid: 0, gid: 0 });
  const [a, b, c] = MANYFILES_SHAPE;
  yield dir('data');
  for (let i = 0; i < a; i++) {
    const di = `data/d${String(i).padStart(3, '0')}`;
    yield dir(di);
    for (let j = 0; j < b; j++) {
      const dj = `${di}/e${String(j).padStart(2, '0')}`;
      yield dir(dj);
      for (let k = 0; k < c; k++) {
        const path = `${dj}/f${String(k).padStart(3, '0')}`;
        const data = Buffer.from(`${path}\n`);
        yield { path, type: 'File', mode: 0o644, uid: 0, gid: 0, size: data.length, data };
      }
    }
  }
}

function platformMarker(p: Platform): TarEntry[] {
  const data = Buffer.from(`${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}\n`);
  return [
    { path: 'etc', type: 'Directory', mode: 0o755, uid: 0, gid: 0 },
    { path: 'etc/kiln-lab-platform', type: 'File', mode: 0o644, uid: 0, gid: 0, size: data.length, data },
  ];
}

/** Debian's busybox-static for arm64, fetched once into the lab dir by scripts/lab/fetch-arm64-busybox.sh and unpacked. */
async function arm64Busybox(): Promise<string> {
  await mkdir(labDir('cache'), { recursive: true });
  const dir = await ensureDir(labDir('cache', 'busybox-arm64'), async (tmp) => {
    await run('sh', [join(repoRoot, 'scripts', 'lab', 'fetch-arm64-busybox.sh'), join(tmp, 'deb')], { timeoutMs: 5 * 60_000 });
    const deb = (await readdir(join(tmp, 'deb'))).find((f) => f.endsWith('_arm64.deb'));
    if (!deb) throw new Error('fetch-arm64-busybox.sh left no .deb');
    await run('dpkg-deb', ['-x', join(tmp, 'deb', deb), join(tmp, 'root')]);
  });
  return join(dir, 'root', 'bin', 'busybox');
}

// ---- layouts ----

interface Recipe {
  inputs: () => Promise<unknown>;
  build: (layout: string) => Promise<void>;
}

const busyboxHistory = 'kiln lab: /bin/busybox from busybox-static, busybox --install -s, passwd/group with root and nobody';

async function fileHash(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

const RECIPES: Record<BaseImageName, Recipe> = {
  busybox: {
    inputs: async () => ({ busybox: await fileHash(BUSYBOX), platform: hostPlatform() }),
    build: async (layout) => {
      const layer = await busyboxLayer(layout);
      const image = await writeImage(layout, {
        platform: hostPlatform(),
        layers: [layer],
        created: CREATED,
        runConfig: { Env: [PATH_ENV], Cmd: ['sh'] },
        history: [busyboxHistory],
      });
      await writeLayoutIndex(layout, { latest: image });
    },
  },
  debian: {
    inputs: async () => ({
      mirror: await debianMirror(),
      debootstrap: (await run('debootstrap', ['--version'])).stdout.trim(),
      platform: hostPlatform(),
    }),
    build: async (layout) => {
      const mirror = await debianMirror();
      const layer = await withTempRoot('debian', async (root) => {
        await makeDebianRoot(root, mirror);
        return writeLayer(layout, walkTree(root, { emptyDirs: ['dev', 'proc', 'sys'] }), EPOCH);
      });
      const image = await writeImage(layout, {
        platform: hostPlatform(),
        layers: [layer],
        created: CREATED,
        runConfig: { Env: [PATH_ENV], Cmd: ['bash'] },
        history: [`kiln lab: debootstrap --variant=minbase bookworm ${mirror}`],
      });
      await writeLayoutIndex(layout, { bookworm: image });
    },
  },
  manyfiles: {
    inputs: async () => ({ busybox: await fileHash(BUSYBOX), platform: hostPlatform(), shape: MANYFILES_SHAPE }),
    build: async (layout) => {
      const base = await busyboxLayer(layout);
      const files = await writeLayer(layout, manyFiles(), EPOCH);
      const image = await writeImage(layout, {
        platform: hostPlatform(),
        layers: [base, files],
        created: CREATED,
        runConfig: { Env: [PATH_ENV], Cmd: ['sh'] },
        history: [busyboxHistory, `kiln lab: ${MANYFILES_SHAPE.join(' × ')} small files under /data`],
      });
      await writeLayoutIndex(layout, { latest: image });
    },
  },
  multi: {
    inputs: async () => ({ busybox: await fileHash(BUSYBOX) }),
    build: async (layout) => {
      // Both platforms carry the host's busybox (the foreign one cannot run, nor need to);
      // /etc/kiln-lab-platform tells which manifest a client picked.
      const base = await busyboxLayer(layout);
      const manifests: Descriptor[] = [];
      for (const platform of [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }]) {
        const marker = await writeLayer(layout, platformMarker(platform), EPOCH);
        manifests.push(await writeImage(layout, {
          platform,
          layers: [base, marker],
          created: CREATED,
          runConfig: { Env: [PATH_ENV], Cmd: ['sh'] },
          history: [busyboxHistory, 'kiln lab: /etc/kiln-lab-platform'],
        }));
      }
      await writeLayoutIndex(layout, { latest: await writeImageIndex(layout, manifests) });
    },
  },
  multiarch: {
    inputs: async () => ({ busybox: await fileHash(BUSYBOX), arm64: await fileHash(await arm64Busybox()) }),
    build: async (layout) => {
      // A real busybox for each platform (the arm64 one runs only under an emulator);
      // /etc/kiln-lab-platform tells which manifest a client picked.
      if (hostPlatform().architecture !== 'amd64') throw new Error('the multiarch base is made on an x86-64 host');
      const manifests: Descriptor[] = [];
      const platforms: Array<[Platform, string]> = [[{ os: 'linux', architecture: 'amd64' }, BUSYBOX], [{ os: 'linux', architecture: 'arm64', variant: 'v8' }, await arm64Busybox()]];
      for (const [platform, binary] of platforms) {
        const base = await busyboxLayer(layout, binary);
        const marker = await writeLayer(layout, platformMarker(platform), EPOCH);
        manifests.push(await writeImage(layout, {
          platform,
          layers: [base, marker],
          created: CREATED,
          runConfig: { Env: [PATH_ENV], Cmd: ['sh'] },
          history: [`${busyboxHistory} (${platform.architecture})`, 'kiln lab: /etc/kiln-lab-platform'],
        }));
      }
      await writeLayoutIndex(layout, { latest: await writeImageIndex(layout, manifests) });
    },
  },
};

const layouts = new Map<BaseImageName, Promise<string>>();

/** Path of the cached OCI layout of `name`, made on first use; its one tag is the tag in BASE_IMAGE_REFS. */
export function baseImageLayout(name: BaseImageName): Promise<string> {
  let made = layouts.get(name);
  if (!made) {
    made = (async () => {
      const recipe = RECIPES[name];
      const key = createHash('sha256').update(JSON.stringify({ RECIPE, name, inputs: await recipe.inputs() })).digest('hex');
      await mkdir(labDir('cache'), { recursive: true });
      const current = `${name}-${key.slice(0, 16)}`;
      return ensureDir(labDir('cache', current), async (tmp) => {
        await initLayout(tmp);
        await recipe.build(tmp);
        // Layouts of older recipes or inputs would only take disk space from now on.
        for (const entry of await readdir(labDir('cache'))) {
          if (entry !== current && new RegExp(`^${name}-[0-9a-f]{16}$`).test(entry)) {
            await rm(labDir('cache', entry), { recursive: true, force: true });
          }
        }
      });
    })();
    // A failed make is not cached, so the next call tries again.
    made.catch(() => layouts.delete(name));
    layouts.set(name, made);
  }
  return made;
}

function tagOf(name: BaseImageName): string {
  const ref = BASE_IMAGE_REFS[name];
  return ref.slice(ref.lastIndexOf(':') + 1);
}

export interface PushOptions {
  /** `oci` (default) keeps the layout's manifests and digests; `v2s2` converts to Docker schema 2. */
  format?: 'oci' | 'v2s2';
  /** "repository:tag" in the registry instead of the one in BASE_IMAGE_REFS. */
  ref?: string;
}

/** Copies a cached layout to `reg`; returns the full reference. */
export async function pushBaseImage(reg: LabRegistry, name: BaseImageName, opts: PushOptions = {}): Promise<string> {
  const layout = await baseImageLayout(name);
  const ref = `${reg.host}/${opts.ref ?? BASE_IMAGE_REFS[name]}`;
  // Unconverted, the registry serves exactly the layout's bytes, so baseImageDigest() holds there.
  const format = opts.format === 'v2s2' ? ['--format', 'v2s2'] : ['--preserve-digests'];
  await run('skopeo', [
    'copy', '--quiet', ...format, '--dest-tls-verify=false',
    ...(reg.authFile ? ['--dest-authfile', reg.authFile] : []),
    ...(name === 'multi' || name === 'multiarch' ? ['--all'] : []),
    `oci:${layout}:${tagOf(name)}`, `docker://${ref}`,
  ]);
  return ref;
}

/** Pushes the named base images (default busybox and multi) to `reg`; returns name -> full reference. */
export async function pushBaseImages(
  reg: LabRegistry,
  which: BaseImageName[] = ['busybox', 'multi'],
  opts: Omit<PushOptions, 'ref'> = {},
): Promise<Record<string, string>> {
  const refs = await Promise.all(which.map((name) => pushBaseImage(reg, name, opts)));
  return Object.fromEntries(which.map((name, i) => [name, refs[i]]));
}

/** The digest of the manifest (or index) a cached layout's tag points at: what a registry will serve. */
export async function baseImageDigest(name: BaseImageName): Promise<string> {
  const index = JSON.parse(await readFile(join(await baseImageLayout(name), 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const entry = index.manifests[0];
  if (!entry) throw new Error(`layout of ${name} has no manifest`);
  return entry.digest;
}
