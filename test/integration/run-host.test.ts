// The host runner for real, but never on this machine's own `/`: each test builds a throwaway
// root (the host's /usr read-only, this repository, a fresh /proc in a new pid namespace, our
// own /etc/passwd), chroots into it and runs a small node program there that uses kiln's host
// runner on what is, for it, `/`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../support/exec.ts';
import { repoRoot } from '../support/lab-dir.ts';
import { GROUP, PASSWD } from '../support/rootfs.ts';

const repo = repoRoot.replace(/\/$/, '');
let work: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'kiln-run-host-'));
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

// Mounts live only in the new mount namespace, so they vanish with it.
const SANDBOX = `
set -eu
t=$1 repo=$2
shift 2
mount --rbind /usr "$t/usr"
mount -o remount,bind,ro "$t/usr"
# /tmp first: a checkout under /tmp (CI clones anywhere) must not be hidden by it.
mount -t tmpfs tmpfs "$t/tmp"
mkdir -p "$t$repo"
mount --bind "$repo" "$t$repo"
mount -o remount,bind,ro "$t$repo"
mount --rbind /dev "$t/dev"
mount -t proc proc "$t/proc"
exec chroot "$t" /usr/bin/env -i -C "$repo" PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"
`;

async function throwawayRoot(name: string, extra: Record<string, string>): Promise<string> {
  const t = join(work, name);
  for (const d of ['usr', 'proc', 'dev', 'tmp', 'etc', 'root', 'work', repo.slice(1)]) await mkdir(join(t, d), { recursive: true });
  for (const [link, target] of [['bin', 'usr/bin'], ['sbin', 'usr/sbin'], ['lib', 'usr/lib'], ['lib64', 'usr/lib64']]) {
    await symlink(target, join(t, link));
  }
  await writeFile(join(t, 'etc/passwd'), PASSWD);
  await writeFile(join(t, 'etc/group'), GROUP);
  for (const [path, content] of Object.entries(extra)) await writeFile(join(t, path), content);
  return t;
}

// Runs inside the throwaway root; prints one JSON line with what it saw.
const DRIVER = `
import { Writable } from 'node:stream';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRunner, detectContainer, hostIgnorePaths } from '${repo}/src/run/index.ts';
import { WalkSnapshotter } from '${repo}/src/snapshot/walk.ts';
import { writeLayer } from '${repo}/src/snapshot/layer-writer.ts';
const out = {};
out.container = await detectContainer();
try {
  await createRunner({ isolation: 'host' });
  out.unforced = 'accepted';
} catch (e) {
  out.unforced = e.code + ': ' + e.message;
}
const runner = await createRunner({ isolation: 'host', force: true });
let text = '';
const sink = new Writable({ write(c, _e, cb) { text += c; cb(); } });
const spec = (argv, over = {}) => ({ rootDir: '/', argv, env: ['GREETING=hi'], cwd: '/work/dir', user: 'nobody',
  network: 'default', mounts: [], stdout: sink, stderr: sink, ...over });
// kaniko's way: the snapshot of a RUN is a walk over / that leaves out the host ignore list.
const walker = WalkSnapshotter.create('/', { mode: 'redo', ignorePaths: await hostIgnorePaths({ ignorePaths: ['/workspace'] }) });
const snap = await walker.begin();
const started = Date.now();
await runner.run(spec(['/bin/sh', '-c', 'id; pwd; echo "$GREETING $HOME"; cat /run/secrets/tok; echo; sleep 1016 &'],
  { mounts: [{ type: 'secret', id: 'tok', data: Buffer.from('hush'), uid: 65534 }] }));
out.elapsedMs = Date.now() - started;
await runner.run(spec(['/bin/sh', '-c', 'echo made > /made-by-run'], { user: '' }));
const changes = await snap.finish();
out.changes = changes.changes.map((c) => c.kind + ' ' + c.path);
const layer = await writeLayer(changes, { blobRoot: '/tmp/blobs' });
out.layerEntries = layer.entries;
out.output = text;
out.secretLeft = existsSync('/run');
out.sleepers = readdirSync('/proc').filter((p) => /^\\d+$/.test(p)).filter((p) => {
  try { return readFileSync('/proc/' + p + '/cmdline', 'utf8') === 'sleep\\u00001016\\u0000'; } catch { return false; }
}).length;
try {
  await runner.run(spec(['/bin/sh', '-c', 'exit 42']));
} catch (e) {
  out.failed = { code: e.code, exitCode: e.exitCode, message: e.message };
}
out.ignore = await hostIgnorePaths({ ignorePaths: ['/workspace'] });
console.log(JSON.stringify(out));
`;

// Runs as an unprivileged user in the throwaway root: what would kiln choose there?
const DETECT = `
import { detectIsolation } from '${repo}/src/run/index.ts';
try {
  console.log(JSON.stringify({ isolation: await detectIsolation() }));
} catch (e) {
  console.log(JSON.stringify({ error: e.code + ': ' + e.message }));
}
`;

interface DriverResult {
  container: { inContainer: boolean; evidence?: string };
  unforced: string;
  elapsedMs: number;
  output: string;
  secretLeft: boolean;
  sleepers: number;
  failed: { code: string; exitCode: number; message: string };
  ignore: string[];
  changes: string[];
  layerEntries: number;
}

async function inRoot<T>(t: string, program: string, prefix: string[] = []): Promise<T> {
  const { stdout } = await run(
    'unshare',
    ['--mount', '--pid', '--fork', '--propagation', 'private', '--', '/bin/sh', '-c', SANDBOX, 'sandbox', t, repo,
      ...prefix, '/usr/bin/node', '--import', 'tsx', '--input-type=module', '-e', program],
    { timeoutMs: 60_000 },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as T;
}

const drive = (t: string) => inRoot<DriverResult>(t, DRIVER);
const asNobody = ['/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];

function assertRan(r: DriverResult): void {
  assert.equal(
    r.output,
    'uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n/work/dir\nhi /nonexistent\nhush\n',
  );
  assert.ok(r.elapsedMs < 3000, `took ${r.elapsedMs} ms`);
  assert.equal(r.sleepers, 0, 'the background sleep survived');
  assert.equal(r.secretLeft, false, '/run/secrets was left behind');
  assert.deepEqual(r.failed, { code: 'RUN_FAILED', exitCode: 42, message: 'RUN exit 42: the command returned a non-zero code: 42' });
  // The walk saw exactly what the RUNs made (the workdir in the existing /work, and a file),
  // nothing of the runner's secret mount or of the ignored paths; the layer holds those three.
  assert.deepEqual(r.changes, ['add made-by-run', 'modify work', 'add work/dir']);
  assert.equal(r.layerEntries, 3);
  for (const p of ['/kiln', '/proc', '/sys', '/dev', '/tmp', '/usr', repo, '/var/run', '/workspace']) {
    assert.ok(r.ignore.includes(p), `${p} missing from the ignore list ${r.ignore.join(' ')}`);
  }
}

test('outside a container the host runner refuses without --force, and runs with it', async () => {
  const t = await throwawayRoot('plain', {});
  const r = await drive(t);
  assert.deepEqual(r.container, { inContainer: false });
  assert.match(r.unforced, /^ISOLATION: --isolation host .*outside a container.*--isolation chroot.*--force/);
  assertRan(r);
  const detected = await inRoot<{ error?: string }>(t, DETECT, asNobody);
  assert.match(detected.error ?? '', /^ISOLATION: cannot isolate RUN commands: .*not running as root.*--isolation chroot.*--isolation host/);
  assert.ok((await stat(join(t, 'work/dir'))).isDirectory(), 'the workdir was made in the throwaway root, not on the host');
});

test('inside a container (/.dockerenv) the host runner runs without --force', async () => {
  const t = await throwawayRoot('docker', { '.dockerenv': '' });
  const r = await drive(t);
  assert.deepEqual(r.container, { inContainer: true, evidence: '/.dockerenv exists' });
  assert.equal(r.unforced, 'accepted');
  assertRan(r);
  assert.deepEqual(await inRoot(t, DETECT, asNobody), { isolation: 'host' });
});
