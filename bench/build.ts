// Benchmark: the same Dockerfiles built by kiln and by buildah in one run, each pushing to a lab
// registry, each from a cold start (a fresh registry, fresh buildah storage and a fresh HOME for
// kiln per build, so neither has a warm cache), except the rebuilds, where each builder's own
// layer cache is warmed by one untimed build first: kiln's --cache-repo in the registry
// (`rebuild`) or in a local directory (`rebuild-dir`), buildah's --layers storage. Prints both
// times, the ratio kiln/buildah next to the target for the scenario, and the peak RSS of each
// (GNU time %M).
//
//   npx tsx bench/build.ts [--runs N] [SCENARIO…]     scenarios: small, debian, manyfiles, rebuild, rebuild-dir
//   KILN_BIN=dist/kiln.js npx tsx bench/build.ts       the bundled CLI instead of src/ through tsx
//
// buildah runs as LAB-NOTES measured it: `buildah build --isolation chroot --layers` on the
// overlay driver. Needs /usr/bin/time (Debian package `time`).
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { startRegistry, type LabRegistry } from '../test/support/registry.ts';
import { pushBaseImages, type BaseImageName } from '../test/support/base-images.ts';
import { buildahEnv } from '../test/support/buildah.ts';
import { run } from '../test/support/exec.ts';
import { repoRoot } from '../test/support/lab-dir.ts';
import { removeTree } from '../test/support/mounts.ts';
import { fmtMiB, fmtRatio, fmtSeconds, measure, median, requireGnuTime, table, type Measurement } from './lib/measure.ts';

/** Where kiln's layer cache lives in a rebuild: a registry repository, or `dir:DIR` on the build's file system. */
type KilnCache = 'repo' | 'dir';

interface Scenario {
  name: string;
  title: string;
  /** The ratio kiln/buildah to stay under; none where the issue set none. */
  target?: number;
  /**
   * A rebuild: each builder first builds once, untimed, with the same registry and its own cache
   * (kiln's --cache-repo of this kind, buildah's --layers storage), then the timed build changes nothing.
   */
  rebuild?: KilnCache;
  bases: BaseImageName[];
  /** Writes the build context (Dockerfile and files) into `dir`. */
  context: (dir: string) => Promise<void>;
}

const SMALL_DOCKERFILE = `FROM busybox AS build
COPY src/ /src/
RUN mkdir -p /out && for f in /src/*.txt; do sed 's/^/built: /' "$f" > "/out/$(basename "$f")"; done
RUN tar -cf /out/bundle.tar -C /src .

FROM busybox
COPY --from=build /out /app
COPY config.ini /etc/app/config.ini
WORKDIR /app
ENV APP_MODE=bench
USER nobody
CMD ["cat", "/app/a.txt"]
`;

// apt inside the build's chroot reaches this machine's Debian mirror (LAB-NOTES).
const DEBIAN_DOCKERFILE = `FROM debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
`;

const MANYFILES_DOCKERFILE = `FROM lab/manyfiles
RUN touch /x
`;

const SCENARIOS: Scenario[] = [
  {
    name: 'small',
    title: 'small multi-stage build on busybox',
    target: 0.5,
    bases: ['busybox'],
    context: async (dir) => {
      await writeFile(join(dir, 'Dockerfile'), SMALL_DOCKERFILE);
      await mkdir(join(dir, 'src'));
      for (const name of ['a', 'b', 'c', 'd']) await writeFile(join(dir, 'src', `${name}.txt`), `${name}\n`.repeat(200));
      await writeFile(join(dir, 'config.ini'), '[app]\nmode = bench\n');
    },
  },
  {
    name: 'debian',
    title: 'Debian + apt-get install curl',
    target: 0.8,
    bases: ['debian'],
    context: (dir) => writeFile(join(dir, 'Dockerfile'), DEBIAN_DOCKERFILE),
  },
  {
    name: 'manyfiles',
    title: '100k-file base + RUN touch /x',
    target: 0.3,
    bases: ['manyfiles'],
    context: (dir) => writeFile(join(dir, 'Dockerfile'), MANYFILES_DOCKERFILE),
  },
  {
    name: 'rebuild',
    title: 'cached rebuild with --cache-repo (registry) of the Debian build',
    target: 0.3,
    bases: ['debian'],
    rebuild: 'repo',
    context: (dir) => writeFile(join(dir, 'Dockerfile'), DEBIAN_DOCKERFILE),
  },
  {
    name: 'rebuild-dir',
    title: 'cached rebuild with --cache-repo dir:DIR of the Debian build',
    target: 0.3,
    bases: ['debian'],
    rebuild: 'dir',
    context: (dir) => writeFile(join(dir, 'Dockerfile'), DEBIAN_DOCKERFILE),
  },
];

const BUILD_TIMEOUT_MS = 15 * 60_000;

/**
 * A new ext4 file system (a sparse image on a loop device) for one measured build: everything the
 * builder writes goes there. On the machine's own ext4, files created within minutes of a large
 * delete cost several times more (the inode allocator skips recently deleted inodes one by one),
 * so whoever ran after the other's cleanup was slowed; a new file system per build treats both
 * builders alike. Inode tables are written at mkfs time, not by a background thread mid-build.
 */
async function freshFilesystem(work: string): Promise<{ dir: string; release: () => Promise<void> }> {
  const dir = await mkdtemp(join(work, 'fs-'));
  const image = `${dir}.img`;
  await run('truncate', ['-s', '16G', image]);
  await run('mkfs.ext4', ['-q', '-F', '-E', 'lazy_itable_init=0,lazy_journal_init=0', image]);
  await run('mount', ['-o', 'loop', image, dir]);
  return {
    dir,
    release: async () => {
      // Lazy: an overlay buildah's storage still holds must not keep the image file in use.
      await run('umount', ['-l', dir]);
      await rm(dir, { recursive: true, force: true });
      await rm(image, { force: true });
    },
  };
}

/** A fresh registry holding the scenario's base images. */
async function freshLab(bases: BaseImageName[]): Promise<LabRegistry> {
  const reg = await startRegistry('plain');
  await pushBaseImages(reg, bases);
  return reg;
}

async function buildahOnce(reg: LabRegistry, ctx: string, tag: string, fs: string): Promise<Measurement> {
  // The lab's registries.conf, with storage and temp files on the build's own file system.
  const storageConf = join(fs, 'storage.conf');
  await writeFile(storageConf, `[storage]\ndriver = "overlay"\ngraphroot = "${join(fs, 'graph')}"\nrunroot = "${join(fs, 'run')}"\n`);
  await mkdir(join(fs, 'tmp'), { recursive: true });
  const env = { ...(await buildahEnv(reg, 'overlay')), CONTAINERS_STORAGE_CONF: storageConf, TMPDIR: join(fs, 'tmp') };
  const ref = `${reg.host}/bench/${tag}:buildah`;
  const common = ['--storage-driver', 'overlay'];
  // One shell so that build and push are timed together, as kiln's build includes its push.
  const script = 'buildah build "$@" && buildah push --quiet --storage-driver overlay --tls-verify=false "$REF" "docker://$REF"';
  return measure('sh', [
    '-c', script, 'sh',
    ...common, '--isolation', 'chroot', '--layers', '--tls-verify=false', '--quiet', '-f', join(ctx, 'Dockerfile'), '-t', ref, ctx,
  ], { env: { ...env, REF: ref }, timeoutMs: BUILD_TIMEOUT_MS });
}

function kilnCacheFlags(reg: LabRegistry, tag: string, fs: string, cache: KilnCache | undefined): string[] {
  if (cache === 'repo') return ['--cache', '--cache-repo', `${reg.host}/bench/${tag}-cache`];
  if (cache === 'dir') return ['--cache', '--cache-repo', `dir:${join(fs, 'kiln-layer-cache')}`];
  return [];
}

async function kilnOnce(reg: LabRegistry, ctx: string, tag: string, fs: string, cache: KilnCache | undefined): Promise<Measurement> {
  // A fresh HOME and XDG cache dir on the build's own file system, so that no blob or layer cache
  // survives from an earlier build; the workspace there too, so the wait for its background
  // removal (below) is easy to watch.
  const home = join(fs, 'home');
  const workdir = join(fs, 'work');
  await mkdir(home, { recursive: true });
  const env = { ...process.env, HOME: home, XDG_CACHE_HOME: join(home, '.cache'), KILN_WORKDIR: workdir, TMPDIR: workdir };
  // $KILN_BIN (e.g. dist/kiln.js) measures the bundled CLI; by default the sources run through
  // tsx, whose start-up (transpiling) is counted in kiln's time.
  const entry = process.env.KILN_BIN ? [process.env.KILN_BIN] : ['--import', 'tsx', join(repoRoot, 'src', 'cli', 'main.ts')];
  const m = await measure(process.execPath, [
    ...entry, 'build',
    '--context', ctx, '--dockerfile', join(ctx, 'Dockerfile'),
    '--destination', `${reg.host}/bench/${tag}:kiln`,
    '--registry-mirror', reg.host, '--insecure-registry', reg.host, '--insecure-pull',
    ...kilnCacheFlags(reg, tag, fs, cache),
  ], { env, cwd: repoRoot, timeoutMs: BUILD_TIMEOUT_MS });
  // kiln deletes its workspace in the background after it exits. That is not build time, as
  // buildah's storage removal is not, but it must not run into the next measurement either.
  while ((await readdir(workdir).catch(() => [])).length > 0) await sleep(200);
  return m;
}

interface ScenarioResult {
  scenario: Scenario;
  kiln: Measurement[];
  buildah: Measurement[];
}

async function runScenario(s: Scenario, runs: number, work: string): Promise<ScenarioResult> {
  const ctx = join(work, `${s.name}-context`);
  await mkdir(ctx, { recursive: true });
  await s.context(ctx);
  const result: ScenarioResult = { scenario: s, kiln: [], buildah: [] };
  for (let i = 0; i < runs; i++) {
    // Alternate who goes first, so the page cache favours neither.
    const order: Array<'kiln' | 'buildah'> = i % 2 === 0 ? ['buildah', 'kiln'] : ['kiln', 'buildah'];
    for (const who of order) {
      const reg = await freshLab(s.bases);
      const fs = await freshFilesystem(work);
      try {
        const once = (): Promise<Measurement> => (who === 'kiln' ? kilnOnce(reg, ctx, s.name, fs.dir, s.rebuild) : buildahOnce(reg, ctx, s.name, fs.dir));
        if (s.rebuild) {
          const warm = await once();
          if (warm.exitCode !== 0) process.stderr.write(`${s.name} run ${i + 1}: ${who} warm-up FAILED\n${warm.outputTail}\n`);
        }
        // Write back what earlier builds and removals left dirty, so it lands in no one's time.
        await run('sync', []);
        const m = await once();
        result[who].push(m);
        const status = m.exitCode === 0 ? `${fmtSeconds(m.seconds)}, ${fmtMiB(m.peakRssMiB)}` : `FAILED (exit ${m.exitCode})`;
        process.stderr.write(`${s.name} run ${i + 1}: ${who} ${status}\n`);
        if (m.exitCode !== 0) process.stderr.write(`${m.outputTail.replace(/^/gm, '    ')}\n`);
      } finally {
        await reg.stop();
        await fs.release();
      }
    }
  }
  return result;
}

function summarize(results: ScenarioResult[]): { text: string; allMet: boolean } {
  let allMet = true;
  const rows = results.map(({ scenario, kiln, buildah }) => {
    const ok = (ms: Measurement[]): Measurement[] => ms.filter((m) => m.exitCode === 0);
    const kilnOk = ok(kiln);
    const buildahOk = ok(buildah);
    const k = kilnOk.length === kiln.length ? median(kilnOk.map((m) => m.seconds)) : Number.NaN;
    const b = buildahOk.length === buildah.length ? median(buildahOk.map((m) => m.seconds)) : Number.NaN;
    const ratio = k / b;
    const met = Number.isFinite(ratio) && (scenario.target === undefined || ratio <= scenario.target);
    if (!met) allMet = false;
    const verdict = !Number.isFinite(k) ? 'kiln failed' : !Number.isFinite(b) ? 'buildah failed' : scenario.target === undefined ? '-' : met ? 'met' : 'MISSED';
    return [
      scenario.title,
      Number.isFinite(k) ? fmtSeconds(k) : 'failed',
      Number.isFinite(b) ? fmtSeconds(b) : 'failed',
      fmtRatio(ratio),
      scenario.target === undefined ? 'none' : `≤ ${scenario.target}×`,
      verdict,
      fmtMiB(Math.max(...kilnOk.map((m) => m.peakRssMiB))),
      fmtMiB(Math.max(...buildahOk.map((m) => m.peakRssMiB))),
    ];
  });
  const text = table(['scenario', 'kiln', 'buildah', 'kiln/buildah', 'target', 'verdict', 'kiln peak RSS', 'buildah peak RSS'], rows);
  return { text, allMet };
}

async function main(): Promise<void> {
  requireGnuTime();
  const argv = process.argv.slice(2);
  let runs = 1;
  const runsAt = argv.indexOf('--runs');
  if (runsAt >= 0) {
    runs = Number(argv[runsAt + 1]);
    argv.splice(runsAt, 2);
    if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive integer');
  }
  for (const name of argv) if (!SCENARIOS.some((s) => s.name === name)) throw new Error(`unknown scenario ${name} (${SCENARIOS.map((s) => s.name).join(', ')})`);
  const chosen = argv.length ? SCENARIOS.filter((s) => argv.includes(s.name)) : SCENARIOS;

  const work = await mkdtemp(join(tmpdir(), 'kiln-bench-build-'));
  const results: ScenarioResult[] = [];
  try {
    for (const s of chosen) results.push(await runScenario(s, runs, work));
  } finally {
    // Homes and contexts only; registries (and buildah's storage inside them) are already gone.
    for (const name of await readdir(work).catch(() => [])) await removeTree(join(work, name));
    await removeTree(work);
  }
  const { text, allMet } = summarize(results);
  const buildahVersion = (await run('buildah', ['--version'])).stdout.trim();
  process.stdout.write(`\nkiln vs ${buildahVersion} (--isolation chroot --layers, overlay), median of ${runs} run(s), cold caches (the rebuilds: each builder's layer cache warm), build + push\n\n${text}\n`);
  process.exitCode = allMet ? 0 : 1;
}

await main();
