// Snapshot cost against the size of the base: trees of 1k, 10k, 100k and 500k small files, the
// same one-file change in each (a file written into the run root, as `RUN touch /x` leaves it;
// the chroot runner is not part of this measurement), then the layer written from the change
// set, then the step settled onto the rootfs (the next step's first cost; overlay's layer is read
// from its upper dir before that). The overlay snapshotter (chroot builds where overlayfs mounts) only looks at what the RUN
// wrote, so its curve must be flat: the verdict compares its 500k figure with its 1k figure. The
// walk snapshotter (--snapshot-mode) is printed beside it for the record; it indexes the whole
// tree once per stage (setup) and walks it again per RUN, so it grows with the base.
//
//   npx tsx bench/snapshot.ts [--runs N] [--sizes 1000,10000,...] [--modes full,redo,time]
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeLayer } from '../src/snapshot/layer-writer.ts';
import { OverlaySnapshotter, overlaySupported } from '../src/snapshot/overlay.ts';
import type { Snapshotter } from '../src/snapshot/types.ts';
import { WalkSnapshotter } from '../src/snapshot/walk.ts';
import type { SnapshotMode } from '../src/executor/options.ts';
import { median, table } from './lib/measure.ts';

// Flat within noise: the 500k figure at most this much above the 1k one, or within this many seconds of it.
const FLAT_RATIO = 1.5;
const FLAT_SLACK_S = 0.02;
const FILES_PER_DIR = 1000;

function option(argv: string[], name: string, fallback: string): string {
  const at = argv.indexOf(name);
  if (at < 0) return fallback;
  const value = argv[at + 1];
  if (value === undefined) throw new Error(`${name} takes a value`);
  return value;
}

function seconds(start: number): number {
  return (performance.now() - start) / 1000;
}

function cpuSeconds(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
}

/** A base of `files` small files, FILES_PER_DIR to a directory, as an image's rootfs holds them. */
async function makeTree(root: string, files: number): Promise<void> {
  for (let d = 0; d * FILES_PER_DIR < files; d++) {
    const dir = join(root, 'data', String(d));
    await mkdir(dir, { recursive: true });
    const writes: Array<Promise<void>> = [];
    for (let f = d * FILES_PER_DIR; f < Math.min(files, (d + 1) * FILES_PER_DIR); f++) writes.push(writeFile(join(dir, `f${f}`), `${f}\n`));
    await Promise.all(writes);
  }
}

interface Row {
  size: number;
  name: string;
  /** Once per stage: the walk's index of the tree; nothing for overlay. */
  setup: number;
  snapshot: number;
  /** CPU seconds (user + system) of this process for the snapshot: the figure load elsewhere does not inflate. */
  snapshotCpu: number;
  layer: number;
  /** Putting the step's result onto the rootfs, which the next step that reads it pays. */
  settle: number;
  changes: number;
}

async function measure(size: number, name: string, top: string, runs: number, make: () => Promise<Snapshotter> | Snapshotter): Promise<Row> {
  const t0 = performance.now();
  const snap = await make();
  const setup = seconds(t0);
  const snaps: number[] = [];
  const cpus: number[] = [];
  const layers: number[] = [];
  const settles: number[] = [];
  let changes = 0;
  for (let i = 0; i < runs; i++) {
    const step = await snap.begin();
    await writeFile(join(step.runRoot, `x-${name.replace(/\W/g, '')}-${i}`), '');
    const t1 = performance.now();
    const c1 = process.cpuUsage();
    const set = await step.finish();
    snaps.push(seconds(t1));
    cpus.push(cpuSeconds(c1));
    const t2 = performance.now();
    await writeLayer(set, { blobRoot: join(top, 'blobs') });
    layers.push(seconds(t2));
    const t3 = performance.now();
    await snap.settle();
    settles.push(seconds(t3));
    changes = set.changes.length;
  }
  return { size, name, setup, snapshot: median(snaps), snapshotCpu: median(cpus), layer: median(layers), settle: median(settles), changes };
}

/** What a one-file RUN costs beyond its command: finding the change, its layer, putting it in place. */
function cost(r: Row): number {
  return r.snapshot + r.layer + r.settle;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const runs = Number(option(argv, '--runs', '5'));
  const sizes = option(argv, '--sizes', '1000,10000,100000,500000').split(',').map(Number);
  const modes = option(argv, '--modes', 'full').split(',') as SnapshotMode[];
  if (!Number.isInteger(runs) || runs < 1 || sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--runs and --sizes take positive integers');
  const top = await mkdtemp(join(tmpdir(), 'kiln-bench-snapshot-'));
  const rows: Row[] = [];
  try {
    const overlay = await overlaySupported(top);
    if (!overlay) console.log('overlay: overlayfs does not mount here, skipped');
    for (const size of sizes) {
      const rootfs = join(top, `rootfs-${size}`);
      const t0 = performance.now();
      await makeTree(rootfs, size);
      console.error(`base of ${size} files made in ${seconds(t0).toFixed(1)} s`);
      if (overlay) rows.push(await measure(size, 'overlay', top, runs, () => new OverlaySnapshotter(rootfs)));
      for (const mode of modes) rows.push(await measure(size, `walk ${mode}`, top, runs, () => WalkSnapshotter.create(rootfs, { mode })));
      await rm(rootfs, { recursive: true, force: true });
    }
  } finally {
    await rm(top, { recursive: true, force: true });
  }
  console.log(`\nmedian of ${runs} runs; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${availableParallelism()} cores`);
  console.log(
    table(
      ['base files', 'snapshotter', 'setup s', 'snapshot s', 'snapshot cpu s', 'layer s', 'settle s', 'snapshot+layer+settle s', 'changes'],
      rows.map((r) => [String(r.size), r.name, r.setup.toFixed(3), r.snapshot.toFixed(3), r.snapshotCpu.toFixed(3), r.layer.toFixed(3), r.settle.toFixed(3), cost(r).toFixed(3), String(r.changes)]),
    ),
  );
  const overlayRows = rows.filter((r) => r.name === 'overlay');
  if (overlayRows.length < 2) return;
  const first = overlayRows[0];
  const last = overlayRows[overlayRows.length - 1];
  const flat = cost(last) <= cost(first) * FLAT_RATIO || cost(last) - cost(first) <= FLAT_SLACK_S;
  console.log(
    `\noverlay snapshot+layer+settle at ${last.size} files / at ${first.size} files: ${(cost(last) / cost(first)).toFixed(2)}× ` +
      `(${cost(last).toFixed(3)} s vs ${cost(first).toFixed(3)} s); flat (≤ ${FLAT_RATIO}× or ≤ ${FLAT_SLACK_S * 1000} ms more): ${flat ? 'met' : 'MISSED'}`,
  );
  process.exitCode = flat ? 0 : 1;
}

await main();
