// Snapshot cost on the lab's 100k-file image: one `RUN touch /x` equivalent (a file written into
// the run root; the chroot runner is not part of this measurement) with the overlay snapshotter
// and with walk in each --snapshot-mode, then the layer written from the change set.
// Run: npx tsx bench/snapshot.ts [runs]
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLayout } from '../src/image/layout.ts';
import { writeLayer } from '../src/snapshot/layer-writer.ts';
import { OverlaySnapshotter, overlaySupported } from '../src/snapshot/overlay.ts';
import type { Snapshotter } from '../src/snapshot/types.ts';
import { WalkSnapshotter } from '../src/snapshot/walk.ts';
import { extractImage } from '../src/tar/extract.ts';
import { baseImageLayout } from '../test/support/base-images.ts';

const runs = Number(process.argv[2] ?? 5);

function seconds(start: number): number {
  return (performance.now() - start) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

interface Row {
  name: string;
  setup: number;
  snapshot: number;
  /** CPU seconds (user + system) of this process for the snapshot: the figure load elsewhere does not inflate. */
  snapshotCpu: number;
  layer: number;
  changes: number;
}

function cpuSeconds(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
}

async function measure(name: string, top: string, make: () => Snapshotter): Promise<Row> {
  const t0 = performance.now();
  const snap = make();
  const setup = seconds(t0);
  const snaps: number[] = [];
  const cpus: number[] = [];
  const layers: number[] = [];
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
    changes = set.changes.length;
  }
  return { name, setup, snapshot: median(snaps), snapshotCpu: median(cpus), layer: median(layers), changes };
}

async function main(): Promise<void> {
  const layout = await baseImageLayout('manyfiles');
  const read = await readLayout(layout, 'latest');
  if (read.kind !== 'image') throw new Error('manyfiles layout is not a single image');
  const top = await mkdtemp(join(tmpdir(), 'kiln-bench-snapshot-'));
  try {
    const rootfs = join(top, 'rootfs');
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const stats = await extractImage(rootfs, await read.image.layers(), { image: 'lab/manyfiles' });
    console.log(`extract: ${stats.entries} entries in ${seconds(t0).toFixed(2)} s (cpu ${cpuSeconds(c0).toFixed(2)} s)`);
    const rows: Row[] = [];
    if (await overlaySupported(top)) rows.push(await measure('overlay', top, () => new OverlaySnapshotter(rootfs)));
    else console.log('overlay: overlayfs does not mount here, skipped');
    for (const mode of ['redo', 'time', 'full'] as const) rows.push(await measure(`walk ${mode}`, top, () => WalkSnapshotter.create(rootfs, { mode })));
    console.log(`median of ${runs} runs; setup = index (walk) or nothing (overlay), once per stage`);
    console.log(`load average: ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${availableParallelism()} cores`);
    console.log('snapshotter   setup s  snapshot s  snapshot cpu s  layer s  snapshot+layer s  changes');
    for (const r of rows) {
      const cols = [r.setup.toFixed(3).padStart(7), r.snapshot.toFixed(3).padStart(10), r.snapshotCpu.toFixed(3).padStart(14), r.layer.toFixed(3).padStart(7), (r.snapshot + r.layer).toFixed(3).padStart(16), String(r.changes).padStart(7)];
      console.log(`${r.name.padEnd(12)}  ${cols.join('  ')}`);
    }
  } finally {
    await rm(top, { recursive: true, force: true });
  }
}

await main();
