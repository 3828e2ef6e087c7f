// Where the time of the Debian + apt build goes: kiln builds it once with --log-timestamp and
// --verbosity debug, and the phases are read off the log's timestamps (start-up, base resolve,
// pull + unpack, chroot setup, the RUN's command, snapshot, layer write, push, exit). An extra
// `RUN true` before the apt step prices a RUN's own setup and teardown (chroot, mounts), so the
// apt step's command time is apt's own work. buildah's total for the bench's Dockerfile (without
// the `RUN true`) is measured in the same run, on a fresh registry each, as bench/build does.
//
//   npx tsx bench/profile.ts                 dist/kiln.js (KILN_BIN= another entry)
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { startRegistry } from '../test/support/registry.ts';
import { pushBaseImages } from '../test/support/base-images.ts';
import { repoRoot } from '../test/support/lab-dir.ts';
import { removeTree } from '../test/support/mounts.ts';
import { buildahBuildAndPush } from './lib/buildah.ts';
import { table } from './lib/measure.ts';

const APT = 'RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*';

interface Line {
  at: number;
  text: string;
}

/** Runs kiln and returns its stderr lines with their timestamps (ms), and the spawn and exit times. */
function runKiln(args: string[], env: NodeJS.ProcessEnv): Promise<{ lines: Line[]; spawned: number; exited: number }> {
  const entry = process.env.KILN_BIN ? resolve(process.env.KILN_BIN) : join(repoRoot, 'dist', 'kiln.js');
  return new Promise((done, fail) => {
    const spawned = Date.now();
    const child = spawn(process.execPath, [entry, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', fail);
    child.on('close', (code) => {
      const exited = Date.now();
      if (code !== 0) return fail(new Error(`kiln exited ${code}:\n${err.slice(-2000)}`));
      const lines = err.split('\n').flatMap((l) => {
        const m = /^(\d{4}-\d\d-\d\dT[\d:.]+Z) (.*)$/.exec(l);
        return m ? [{ at: Date.parse(m[1]), text: m[2] }] : [];
      });
      done({ lines, spawned, exited });
    });
  });
}

function find(lines: Line[], pattern: RegExp, from = 0): { index: number; line: Line; match: RegExpExecArray } {
  for (let i = from; i < lines.length; i++) {
    const match = pattern.exec(lines[i].text);
    if (match) return { index: i, line: lines[i], match };
  }
  throw new Error(`no log line matches ${pattern}`);
}

/** The phases, in seconds, from kiln's log of `FROM debian`, `RUN true`, the apt RUN. */
function phases(lines: Line[], spawned: number, exited: number): Array<[string, number]> {
  const first = lines[0];
  const from = find(lines, /\] FROM /);
  const fromDone = find(lines, /DEBUG \[.*\] done in/, from.index);
  const unpacking = find(lines, /^unpacking /);
  const unpacked = find(lines, /DEBUG unpacked in/, unpacking.index);
  const runTrue = find(lines, /DEBUG command exited after ([\d.]+)s/, unpacked.index);
  const apt = find(lines, /DEBUG command exited after ([\d.]+)s/, runTrue.index + 1);
  const snapshot = find(lines, /DEBUG snapshot .* in ([\d.]+)s/, apt.index);
  const layer = find(lines, /DEBUG layer .* written in ([\d.]+)s/, snapshot.index);
  const lastStep = find(lines, /DEBUG \[.*\] done in/, layer.index);
  const built = find(lines, /^built image /, lastStep.index);
  const s = (ms: number): number => ms / 1000;
  const aptCommand = Number(apt.match[1]);
  return [
    ['start-up (node, bundle, flags, workspace)', s(first.at - spawned)],
    ['resolve the base (manifest, config)', s(fromDone.line.at - from.line.at)],
    ['pull + unpack the base (streamed)', s(unpacked.line.at - unpacking.line.at)],
    ['a RUN\'s setup and teardown (RUN true)', Number(runTrue.match[1])],
    ['apt-get in the chroot (the RUN\'s command)', aptCommand],
    ['snapshot of the RUN (overlay upper)', Number(snapshot.match[1])],
    ['layer tar + gzip + digest', Number(layer.match[1])],
    ['push (config, layers, manifest)', s(built.line.at - lastStep.line.at)],
    ['exit (summary, workspace handed to removal)', s(exited - built.line.at)],
  ];
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'kiln-bench-profile-'));
  try {
    const ctx = join(work, 'context');
    await mkdir(ctx);
    await writeFile(join(ctx, 'Dockerfile'), `FROM debian:bookworm\nRUN true\n${APT}\n`);
    await writeFile(join(ctx, 'Dockerfile.bench'), `FROM debian:bookworm\n${APT}\n`);

    const reg = await startRegistry('plain');
    let kiln;
    try {
      await pushBaseImages(reg, ['debian']);
      const home = join(work, 'home');
      await mkdir(home);
      kiln = await runKiln(
        ['build', '--context', ctx, '--destination', `${reg.host}/profile/apt:kiln`, '--registry-mirror', reg.host, '--insecure-registry', reg.host, '--insecure-pull', '--log-timestamp', '--verbosity', 'debug'],
        { ...process.env, HOME: home, XDG_CACHE_HOME: join(home, '.cache') },
      );
    } finally {
      await reg.stop();
    }

    const reg2 = await startRegistry('plain');
    let buildahSeconds: number;
    try {
      await pushBaseImages(reg2, ['debian']);
      const m = await buildahBuildAndPush({ reg: reg2, context: ctx, dockerfile: join(ctx, 'Dockerfile.bench'), ref: `${reg2.host}/profile/apt:buildah`, dir: join(work, 'buildah') });
      if (m.exitCode !== 0) throw new Error(`buildah failed:\n${m.outputTail}`);
      buildahSeconds = m.seconds;
    } finally {
      await reg2.stop();
    }

    const rows = phases(kiln.lines, kiln.spawned, kiln.exited);
    const total = (kiln.exited - kiln.spawned) / 1000;
    const runTrue = rows[3][1];
    const counted = rows.reduce((sum, [, v]) => sum + v, 0);
    const text = table(
      ['phase', 'seconds', 'share'],
      [...rows, ['(between the phases above)', total - counted] as [string, number]].map(([name, v]) => [name, v.toFixed(2), `${((100 * v) / total).toFixed(0)}%`]),
    );
    process.stdout.write(
      `\nkiln, Debian + apt-get install curl (with an extra RUN true), total ${total.toFixed(2)} s\n\n${text}\n\n` +
        `kiln without the RUN true (≈ total - its setup): ${(total - runTrue).toFixed(2)} s; buildah build + push of the same: ${buildahSeconds.toFixed(2)} s; ` +
        `ratio ${((total - runTrue) / buildahSeconds).toFixed(2)}x\n` +
        `apt's own work is ${((100 * rows[4][1]) / buildahSeconds).toFixed(0)}% of buildah's total: the floor for any builder that runs it\n`,
    );
  } finally {
    await removeTree(work);
  }
}

await main();
