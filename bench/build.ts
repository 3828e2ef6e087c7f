// Benchmark: the same Dockerfiles built by kiln and by a peer in one run, each pushing to a lab
// registry, each from a cold start (a fresh registry, fresh buildah storage and a fresh HOME for
// kiln per build, so neither has a warm cache), except where one untimed build warms first:
// the rebuilds warm each builder's own layer cache (kiln's --cache-repo in the registry for
// `rebuild` or in a local directory for `rebuild-dir`, buildah's --layers storage); `warm` warms
// only the base (kiln's --base-store, buildah's storage holding the pulled image, no layer cache
// on either side, so the RUN runs again). The peer is buildah, except for `reproducible`, which
// is kiln --reproducible against kiln without it, and checks that builds in fresh workspaces
// give one digest. Prints both times, the ratio next to the target for the scenario, and the
// peak RSS of each (GNU time %M).
//
//   npx tsx bench/build.ts [--runs N] [SCENARIO…]     scenarios: small, debian, manyfiles, warm, rebuild, rebuild-dir, reproducible
//   KILN_BIN=dist/kiln.js npx tsx bench/build.ts       the bundled CLI instead of src/ through tsx
//
// buildah runs as LAB-NOTES measured it: `buildah build --isolation chroot --layers` on the
// overlay driver. Needs /usr/bin/time (Debian package `time`).
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { startRegistry, type LabRegistry } from '../test/support/registry.ts';
import { pushBaseImages, type BaseImageName } from '../test/support/base-images.ts';
import { run } from '../test/support/exec.ts';
import { repoRoot } from '../test/support/lab-dir.ts';
import { removeTree } from '../test/support/mounts.ts';
import { buildahBuildAndPush } from './lib/buildah.ts';
import { fmtMiB, fmtRatio, fmtSeconds, measure, median, requireGnuTime, table, type Measurement } from './lib/measure.ts';

/**
 * What one untimed build leaves for the timed one: the layer caches (kiln's in a registry
 * repository or in `dir:DIR` on the build's file system, buildah's --layers storage), or the base
 * alone (kiln's --base-store on the build's file system; buildah builds without --layers, so its
 * storage keeps the pulled base and nothing it could reuse for the RUN).
 */
type Warm = 'cache-repo' | 'cache-dir' | 'base';

/** Who kiln is measured against: buildah, or kiln itself without the scenario's extra flags. */
type Peer = 'buildah' | 'kiln';

interface Scenario {
  name: string;
  title: string;
  /** The ratio kiln/buildah to stay under; none where the issue set none. */
  target?: number;
  /** Each builder first builds once, untimed, with the same registry and file system; see Warm. */
  warm?: Warm;
  /** Default buildah. */
  peer?: Peer;
  /** Flags only the measured kiln build takes (not a kiln peer). */
  kilnFlags?: string[];
  /** The timed kiln builds (each in a fresh workspace and file system) must all give one digest. */
  sameDigest?: boolean;
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

// The small build without its `tar` step, whose archive holds the mtime COPY gave /src (the
// build's own clock): --reproducible normalizes what kiln writes, not what a RUN computes.
const REPRODUCIBLE_DOCKERFILE = SMALL_DOCKERFILE.replace(/^RUN tar .*\n/m, '');

// apt inside the build's chroot reaches this machine's Debian mirror (LAB-NOTES).
const DEBIAN_DOCKERFILE = `FROM debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
`;

async function smallContext(dir: string): Promise<void> {
  await writeFile(join(dir, 'Dockerfile'), SMALL_DOCKERFILE);
  await mkdir(join(dir, 'src'));
  for (const name of ['a', 'b', 'c', 'd']) await writeFile(join(dir, 'src', `${name}.txt`), `${name}\n`.repeat(200));
  await writeFile(join(dir, 'config.ini'), '[app]\nmode = bench\n');
}

const MANYFILES_DOCKERFILE = `FROM lab/manyfiles
RUN touch /x
`;

const SCENARIOS: Scenario[] = [
  {
    name: 'small',
    title: 'small multi-stage build on busybox',
    target: 0.5,
    bases: ['busybox'],
    context: smallContext,
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
    // Bound by creating the base's files, which both builders pay (issue 14: ≤ 0.5× cold).
    target: 0.5,
    bases: ['manyfiles'],
    context: (dir) => writeFile(join(dir, 'Dockerfile'), MANYFILES_DOCKERFILE),
  },
  {
    name: 'warm',
    title: '100k-file base + RUN touch /x, base on the machine',
    target: 0.3,
    bases: ['manyfiles'],
    warm: 'base',
    context: (dir) => writeFile(join(dir, 'Dockerfile'), MANYFILES_DOCKERFILE),
  },
  {
    name: 'rebuild',
    title: 'cached rebuild with --cache-repo (registry) of the Debian build',
    target: 0.3,
    bases: ['debian'],
    warm: 'cache-repo',
    context: (dir) => writeFile(join(dir, 'Dockerfile'), DEBIAN_DOCKERFILE),
  },
  {
    name: 'rebuild-dir',
    title: 'cached rebuild with --cache-repo dir:DIR of the Debian build',
    target: 0.3,
    bases: ['debian'],
    warm: 'cache-dir',
    context: (dir) => writeFile(join(dir, 'Dockerfile'), DEBIAN_DOCKERFILE),
  },
  {
    name: 'reproducible',
    title: 'small multi-stage build, --reproducible vs without (peer: kiln)',
    target: 1.05,
    bases: ['busybox'],
    peer: 'kiln',
    kilnFlags: ['--reproducible'],
    sameDigest: true,
    context: async (dir) => {
      await smallContext(dir);
      await writeFile(join(dir, 'Dockerfile'), REPRODUCIBLE_DOCKERFILE);
    },
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

function buildahOnce(reg: LabRegistry, ctx: string, tag: string, fs: string, warm: Warm | undefined): Promise<Measurement> {
  return buildahBuildAndPush({ reg, context: ctx, dockerfile: join(ctx, 'Dockerfile'), ref: `${reg.host}/bench/${tag}:buildah`, dir: fs, layers: warm !== 'base', timeoutMs: BUILD_TIMEOUT_MS });
}

function kilnWarmFlags(reg: LabRegistry, tag: string, fs: string, warm: Warm | undefined): string[] {
  if (warm === 'cache-repo') return ['--cache', '--cache-repo', `${reg.host}/bench/${tag}-cache`];
  if (warm === 'cache-dir') return ['--cache', '--cache-repo', `dir:${join(fs, 'kiln-layer-cache')}`];
  if (warm === 'base') return ['--base-store', join(fs, 'kiln-base-store')];
  return [];
}

interface KilnBuild {
  measurement: Measurement;
  digest: string;
}

async function kilnOnce(reg: LabRegistry, ctx: string, tag: string, fs: string, warm: Warm | undefined, extraFlags: string[]): Promise<KilnBuild> {
  // A fresh HOME and XDG cache dir on the build's own file system, so that no blob or layer cache
  // survives from an earlier build; the workspace there too, so the wait for its background
  // removal (below) is easy to watch.
  const home = join(fs, 'home');
  const workdir = join(fs, 'work');
  await mkdir(home, { recursive: true });
  await mkdir(join(fs, 'tmp'), { recursive: true });
  const env = { ...process.env, HOME: home, XDG_CACHE_HOME: join(home, '.cache'), KILN_WORKDIR: workdir, TMPDIR: join(fs, 'tmp') };
  // $KILN_BIN (e.g. dist/kiln.js) measures the bundled CLI; by default the sources run through
  // tsx, whose start-up (transpiling) is counted in kiln's time.
  const entry = process.env.KILN_BIN ? [process.env.KILN_BIN] : ['--import', 'tsx', join(repoRoot, 'src', 'cli', 'main.ts')];
  const digestFile = join(fs, 'kiln-digest');
  const measurement = await measure(process.execPath, [
    ...entry, 'build',
    '--context', ctx, '--dockerfile', join(ctx, 'Dockerfile'),
    '--destination', `${reg.host}/bench/${tag}:kiln`,
    '--registry-mirror', reg.host, '--insecure-registry', reg.host, '--insecure-pull',
    '--digest-file', digestFile,
    ...kilnWarmFlags(reg, tag, fs, warm),
    ...extraFlags,
  ], { env, cwd: repoRoot, timeoutMs: BUILD_TIMEOUT_MS });
  // kiln deletes its workspace in the background after it exits. That is not build time, as
  // buildah's storage removal is not, but it must not run into the next measurement either.
  while ((await readdir(workdir).catch(() => [])).length > 0) await sleep(200);
  const digest = measurement.exitCode === 0 ? (await readFile(digestFile, 'utf8')).trim() : '';
  await rm(digestFile, { force: true });
  return { measurement, digest };
}

interface ScenarioResult {
  scenario: Scenario;
  kiln: Measurement[];
  peer: Measurement[];
  /** Of the timed kiln builds, for sameDigest. */
  digests: string[];
}

async function runScenario(s: Scenario, runs: number, work: string): Promise<ScenarioResult> {
  const ctx = join(work, `${s.name}-context`);
  await mkdir(ctx, { recursive: true });
  await s.context(ctx);
  const result: ScenarioResult = { scenario: s, kiln: [], peer: [], digests: [] };
  const peer = s.peer ?? 'buildah';
  // Two timed kiln builds at least where their digests are compared.
  const rounds = s.sameDigest ? Math.max(runs, 2) : runs;
  for (let i = 0; i < rounds; i++) {
    // Alternate who goes first, so the page cache favours neither.
    const order: Array<'kiln' | 'peer'> = i % 2 === 0 ? ['peer', 'kiln'] : ['kiln', 'peer'];
    for (const who of order) {
      const reg = await freshLab(s.bases);
      const fs = await freshFilesystem(work);
      const label = who === 'kiln' ? 'kiln' : peer === 'kiln' ? 'kiln (peer)' : 'buildah';
      try {
        const once = async (): Promise<KilnBuild> => {
          if (who === 'peer' && peer === 'buildah') return { measurement: await buildahOnce(reg, ctx, s.name, fs.dir, s.warm), digest: '' };
          return kilnOnce(reg, ctx, s.name, fs.dir, s.warm, who === 'kiln' ? (s.kilnFlags ?? []) : []);
        };
        if (s.warm) {
          const warm = (await once()).measurement;
          if (warm.exitCode !== 0) process.stderr.write(`${s.name} run ${i + 1}: ${label} warm-up FAILED\n${warm.outputTail}\n`);
        }
        // Write back what earlier builds and removals left dirty, so it lands in no one's time.
        await run('sync', []);
        const { measurement: m, digest } = await once();
        result[who].push(m);
        if (who === 'kiln' && digest) result.digests.push(digest);
        const status = m.exitCode === 0 ? `${fmtSeconds(m.seconds)}, ${fmtMiB(m.peakRssMiB)}` : `FAILED (exit ${m.exitCode})`;
        process.stderr.write(`${s.name} run ${i + 1}: ${label} ${status}\n`);
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
  const notes: string[] = [];
  const rows = results.map(({ scenario, kiln, peer, digests }) => {
    const ok = (ms: Measurement[]): Measurement[] => ms.filter((m) => m.exitCode === 0);
    const kilnOk = ok(kiln);
    const peerOk = ok(peer);
    const k = kilnOk.length === kiln.length ? median(kilnOk.map((m) => m.seconds)) : Number.NaN;
    const p = peerOk.length === peer.length ? median(peerOk.map((m) => m.seconds)) : Number.NaN;
    const ratio = k / p;
    const distinct = new Set(digests);
    const sameDigest = !scenario.sameDigest || (digests.length === kiln.length && distinct.size === 1);
    if (scenario.sameDigest) notes.push(`${scenario.name}: ${digests.length} builds in fresh workspaces gave ${distinct.size === 1 ? `one digest, ${digests[0]}` : `${distinct.size} digests: ${[...distinct].join(' ')}`}`);
    const met = Number.isFinite(ratio) && sameDigest && (scenario.target === undefined || ratio <= scenario.target);
    if (!met) allMet = false;
    const verdict = !Number.isFinite(k) ? 'kiln failed' : !Number.isFinite(p) ? 'peer failed' : !sameDigest ? 'DIGESTS DIFFER' : scenario.target === undefined ? '-' : met ? 'met' : 'MISSED';
    return [
      scenario.title,
      Number.isFinite(k) ? fmtSeconds(k) : 'failed',
      Number.isFinite(p) ? fmtSeconds(p) : 'failed',
      fmtRatio(ratio),
      scenario.target === undefined ? 'none' : `≤ ${scenario.target}×`,
      verdict,
      fmtMiB(Math.max(...kilnOk.map((m) => m.peakRssMiB))),
      fmtMiB(Math.max(...peerOk.map((m) => m.peakRssMiB))),
    ];
  });
  const text = table(['scenario', 'kiln', 'peer', 'kiln/peer', 'target', 'verdict', 'kiln peak RSS', 'peer peak RSS'], rows);
  return { text: [text, ...notes].join('\n'), allMet };
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
  process.stdout.write(`\nkiln vs ${buildahVersion} (--isolation chroot --layers, overlay), peer buildah unless the scenario names another, median of ${runs} run(s), cold caches (the rebuilds: each builder's layer cache warm; warm: the base on the machine), build + push\n\n${text}\n`);
  process.exitCode = allMet ? 0 : 1;
}

await main();
