// Benchmark: copy a 1 GiB image (4 layers of incompressible data) between two lab registries with
// `kiln copy` and with `skopeo copy`, in the same run, and print both times, their ratio and the
// peak RSS of each; then the same copy into another repository of the source registry, where the
// blobs can be mounted instead of sent. Run with `npx tsx bench/copy.ts [runs]` (default 3 runs
// each, alternating; medians are reported). The image is generated once and cached under .lab/cache.
import { createWriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import { randomFillSync, createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { loadavg } from 'node:os';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { Header } from 'tar';
import { labDir, repoRoot } from '../test/support/lab-dir.ts';
import { ensureDir } from '../test/support/once.ts';
import { initLayout, writeImage, writeLayoutIndex, OCI_LAYER_GZIP, type LayerDescriptor } from '../test/support/oci-layout.ts';
import { startRegistry } from '../test/support/registry.ts';
import { run } from '../test/support/exec.ts';
import { median } from './lib/measure.ts';

const LAYERS = 4;
const LAYER_BYTES = 256 * 1024 * 1024;
const CHUNK = 1024 * 1024;
const TAG = 'bench';

/** The tar of one layer: a single file of pseudo-random bytes (incompressible). */
async function* layerTar(index: number): AsyncGenerator<Buffer> {
  const header = new Header({ path: `data/blob-${index}.bin`, mode: 0o644, size: LAYER_BYTES, mtime: new Date(0), type: 'File', uid: 0, gid: 0 });
  header.encode();
  yield header.block!;
  for (let done = 0; done < LAYER_BYTES; done += CHUNK) yield randomFillSync(Buffer.allocUnsafe(CHUNK));
  yield Buffer.alloc(1024);
}

class Tap extends Transform {
  private readonly hash = createHash('sha256');
  size = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    done(null, chunk);
  }
  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

async function writeRandomLayer(dir: string, index: number): Promise<LayerDescriptor> {
  const tmp = join(dir, 'blobs', 'sha256', `.layer-${index}`);
  const tarTap = new Tap();
  const gzTap = new Tap();
  await pipeline(Readable.from(layerTar(index)), tarTap, createGzip({ level: 1 }), gzTap, createWriteStream(tmp));
  const digest = gzTap.digest();
  await rename(tmp, join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)));
  return { mediaType: OCI_LAYER_GZIP, digest, size: gzTap.size, diffId: tarTap.digest() };
}

function benchLayout(): Promise<string> {
  return ensureDir(labDir('cache', 'bench-copy-1g-v1'), async (dir) => {
    process.stderr.write('generating the 1 GiB bench image (once)...\n');
    await initLayout(dir);
    const layers = await Promise.all(Array.from({ length: LAYERS }, (_, i) => writeRandomLayer(dir, i)));
    const created = new Date(0).toISOString();
    const desc = await writeImage(dir, {
      platform: { os: 'linux', architecture: 'amd64' },
      layers,
      created,
      runConfig: { Cmd: ['/bin/true'] },
      history: layers.map((_, i) => `bench layer ${i}`),
    });
    await writeLayoutIndex(dir, { [TAG]: desc });
  });
}

/** kiln as it ships: the committed bundle (its split chunks included), or $KILN_BIN. */
function kilnEntry(): string {
  return process.env.KILN_BIN ? resolve(process.env.KILN_BIN) : join(repoRoot, 'dist', 'kiln.js');
}

interface Measured {
  seconds: number;
  cpuSeconds: number;
  peakRssMiB: number;
}

/** Runs a command under GNU time and reads its wall clock and peak RSS. */
async function timed(command: string, args: string[]): Promise<Measured> {
  const { stderr } = await run('/usr/bin/time', ['-v', command, ...args], { cwd: repoRoot });
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(stderr);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  const user = /User time \(seconds\): ([\d.]+)/.exec(stderr);
  const sys = /System time \(seconds\): ([\d.]+)/.exec(stderr);
  if (!wall || !rss || !user || !sys) throw new Error(`could not read /usr/bin/time output:\n${stderr.slice(-1500)}`);
  const seconds = Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]);
  return { seconds, cpuSeconds: Number(user[1]) + Number(sys[1]), peakRssMiB: Number(rss[1]) / 1024 };
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 3);
  const layout = await benchLayout();
  const kilnBundle = kilnEntry();
  const from = await startRegistry('plain');
  try {
    const source = `${from.host}/bench/image:1g`;
    await run('skopeo', ['copy', '--quiet', '--preserve-digests', '--dest-tls-verify=false', `oci:${layout}:${TAG}`, `docker://${source}`]);
    const kiln: Measured[] = [];
    const skopeo: Measured[] = [];
    // A fresh destination registry for every copy: nothing to skip, and nothing for skopeo to
    // mount (its blob-info cache remembers where it put a blob before and mounts from there).
    const into = async <T>(work: (host: string) => Promise<T>): Promise<T> => {
      const to = await startRegistry('plain');
      try {
        return await work(to.host);
      } finally {
        await to.stop();
      }
    };
    for (let i = 0; i < runs; i++) {
      kiln.push(await into((host) => timed(process.execPath, [kilnBundle, 'copy', source, `${host}/kiln/image:1g`])));
      skopeo.push(
        await into((host) => timed('skopeo', ['copy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${source}`, `docker://${host}/skopeo/image:1g`])),
      );
      process.stderr.write(`run ${i + 1}: kiln ${kiln[i].seconds.toFixed(2)} s, skopeo ${skopeo[i].seconds.toFixed(2)} s\n`);
    }
    // Into new repositories of the source registry: each blob is one mount request.
    const kilnMount: Measured[] = [];
    const skopeoMount: Measured[] = [];
    for (let i = 0; i < runs; i++) {
      kilnMount.push(await timed(process.execPath, [kilnBundle, 'copy', source, `${from.host}/kiln-mount-${i}/image:1g`]));
      skopeoMount.push(await timed('skopeo', ['copy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${source}`, `docker://${from.host}/skopeo-mount-${i}/image:1g`]));
      process.stderr.write(`same registry, run ${i + 1}: kiln ${kilnMount[i].seconds.toFixed(2)} s, skopeo ${skopeoMount[i].seconds.toFixed(2)} s\n`);
    }
    const summary = (all: Measured[]): string =>
      `${median(all.map((m) => m.seconds)).toFixed(2)} s (runs: ${all.map((m) => m.seconds.toFixed(2)).join(', ')}), CPU ${median(all.map((m) => m.cpuSeconds)).toFixed(2)} s, ` +
      `peak RSS ${Math.max(...all.map((m) => m.peakRssMiB)).toFixed(0)} MiB`;
    const ratio = (a: Measured[], b: Measured[]): number => median(a.map((m) => m.seconds)) / median(b.map((m) => m.seconds));
    const rss = Math.max(...kiln.map((m) => m.peakRssMiB), ...kilnMount.map((m) => m.peakRssMiB));
    const met = ratio(kiln, skopeo) <= 1.0 && rss <= 200;
    const lines = [
      `copy of a 1 GiB image (${LAYERS} layers) on loopback, median of ${runs} runs (load average ${loadavg()[0].toFixed(1)})`,
      `between registries:`,
      `  kiln copy:   ${summary(kiln)}`,
      `  skopeo copy: ${summary(skopeo)}`,
      `  ratio kiln/skopeo: ${ratio(kiln, skopeo).toFixed(2)}x`,
      `into another repository of the same registry (cross-repo mount):`,
      `  kiln copy:   ${summary(kilnMount)}`,
      `  skopeo copy: ${summary(skopeoMount)}`,
      `  ratio kiln/skopeo: ${ratio(kilnMount, skopeoMount).toFixed(2)}x`,
      `target: kiln/skopeo <= 1.0x between registries and kiln peak RSS <= 200 MiB: ${met ? 'met' : 'MISSED'}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    process.exitCode = met ? 0 : 1;
  } finally {
    await from.stop();
  }
}

await main();
