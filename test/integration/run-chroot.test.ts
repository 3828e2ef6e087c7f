// The chroot runner for real: namespaces, mounts, chroot and USER switching on a busybox rootfs.
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { ChrootRunner } from '../../src/run/chroot.ts';
import { createRunner, detectIsolation, RunFailedError, type RunSpec } from '../../src/run/index.ts';
import { isBuilderError } from '../../src/util/errors.ts';
import { redact } from '../../src/util/redact.ts';
import { makeBusyboxRootfs } from '../support/rootfs.ts';

let work: string;
let root: string;
const runner = new ChrootRunner();

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'kiln-run-chroot-'));
  root = join(work, 'rootfs');
  await mkdir(root);
  await makeBusyboxRootfs(root);
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function run(sh: string | string[], over: Partial<RunSpec> = {}): Promise<{ out: string; err: string }> {
  const stdout = new Collect();
  const stderr = new Collect();
  await runner.run({
    rootDir: root,
    argv: typeof sh === 'string' ? ['/bin/sh', '-c', sh] : sh,
    env: [],
    cwd: '/',
    user: '',
    network: 'default',
    mounts: [],
    stdout,
    stderr,
    ...over,
  });
  return { out: stdout.text, err: stderr.text };
}

/** Processes on this machine whose command line is exactly `argv`. */
async function processes(argv: string[]): Promise<number[]> {
  const want = argv.join('\0') + '\0';
  const found: number[] = [];
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd === want) found.push(Number(pid));
  }
  return found;
}

test('as root with namespace rights, the automatic isolation is chroot', async () => {
  assert.equal(await detectIsolation(), 'chroot');
  assert.equal((await createRunner()).isolation, 'chroot');
});

test('USER nobody: id is uid 65534', async () => {
  assert.equal((await run('id', { user: 'nobody' })).out, 'uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n');
});

test('USER 1234:5678, ids that exist nowhere, works', async () => {
  assert.equal((await run('id', { user: '1234:5678' })).out, 'uid=1234 gid=5678 groups=5678\n');
});

test('USER app gets its supplementary groups; app:extra only the group named', async () => {
  assert.equal((await run('id', { user: 'app' })).out, 'uid=1000(app) gid=1000(app) groups=1000(app),2000(extra)\n');
  assert.equal((await run('id', { user: 'app:extra' })).out, 'uid=1000(app) gid=2000(extra) groups=2000(extra)\n');
});

test('a USER name missing from the image is an error naming it', async () => {
  await assert.rejects(run('id', { user: 'ghost' }), (err) => isBuilderError(err, 'BUILD_FAILED') && /ghost/.test(err.message));
});

test('the command gets exactly the given env plus PATH and HOME, and the workdir is created', async () => {
  const { out } = await run(['env'], { env: ['FOO=bar baz', 'EMPTY='], user: 'app', cwd: '/work/dir' });
  assert.deepEqual(out.split('\n').filter(Boolean).sort(), [
    'EMPTY=',
    'FOO=bar baz',
    'HOME=/home/app',
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  ]);
  assert.equal((await run(['/bin/pwd'], { cwd: '/work/dir' })).out, '/work/dir\n');
  assert.ok((await stat(join(root, 'work/dir'))).isDirectory());
});

test('writing /etc/resolv.conf changes neither the host file nor the rootfs; no placeholders stay', async () => {
  const hostBefore = await readFile('/etc/resolv.conf', 'utf8');
  const hostMtime = (await stat('/etc/resolv.conf')).mtimeMs;
  const { out } = await run('echo "nameserver 192.0.2.1" > /etc/resolv.conf && cat /etc/resolv.conf && grep -c localhost /etc/hosts >/dev/null && echo hosts-ok');
  assert.equal(out, 'nameserver 192.0.2.1\nhosts-ok\n');
  assert.equal(await readFile('/etc/resolv.conf', 'utf8'), hostBefore);
  assert.equal((await stat('/etc/resolv.conf')).mtimeMs, hostMtime);
  for (const p of ['etc/resolv.conf', 'etc/hosts', 'proc', 'dev', 'sys', 'run']) {
    await assert.rejects(stat(join(root, p)), { code: 'ENOENT' }, `${p} left in the rootfs`);
  }
});

test('the image\'s own resolv.conf survives a RUN that writes it', async () => {
  await writeFile(join(root, 'etc/resolv.conf'), 'nameserver 198.51.100.7\n');
  try {
    const { out } = await run('cat /etc/resolv.conf; echo "nameserver 192.0.2.1" > /etc/resolv.conf');
    assert.equal(out, await readFile('/etc/resolv.conf', 'utf8'), 'the RUN sees the host resolver');
    assert.equal(await readFile(join(root, 'etc/resolv.conf'), 'utf8'), 'nameserver 198.51.100.7\n');
  } finally {
    await rm(join(root, 'etc/resolv.conf'));
  }
});

test('exit 42 is RUN_FAILED with exitCode 42', async () => {
  await assert.rejects(run('echo before; exit 42'), (err) => {
    assert.ok(err instanceof RunFailedError);
    assert.equal(err.code, 'RUN_FAILED');
    assert.equal(err.exitCode, 42);
    assert.equal(err.message, 'RUN exit 42: the command returned a non-zero code: 42');
    return true;
  });
});

test('a command that is not there exits 127', async () => {
  await assert.rejects(run(['no-such-command']), (err) => err instanceof RunFailedError && err.exitCode === 127);
});

test('a command leaving `sleep 1000 &` behind returns promptly and the sleep does not survive', async () => {
  const started = Date.now();
  const { out } = await run('sleep 1013 & echo started');
  assert.equal(out, 'started\n');
  assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
  assert.deepEqual(await processes(['sleep', '1013']), []);
});

test('the command has its own pid namespace and sees only its own processes', async () => {
  // A glob is expanded by the shell itself, so no other process of ours exists at that moment:
  // pid 1, the namespace holder, and the shell; nothing of the host.
  const { out } = await run('echo /proc/[0-9]*; echo "/proc/1 /proc/$$"');
  const [seen, expected] = out.split('\n');
  assert.equal(seen, expected);
});

test('--network=none sees only lo, and lo is up', async () => {
  const { out } = await run('ls /sys/class/net; cat /sys/class/net/lo/flags', { network: 'none' });
  assert.equal(out, 'lo\n0x9\n');
});

test('root in a RUN has docker\'s default capabilities, not the host\'s', async () => {
  const { out } = await run('grep -E "^Cap(Eff|Bnd)" /proc/self/status');
  assert.equal(out, 'CapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\n');
});

test('a secret is readable at /run/secrets/ID during the RUN and gone afterwards', async () => {
  const secret = { type: 'secret' as const, id: 'token', data: Buffer.from('s3cr3t-value') };
  const { out } = await run('cat /run/secrets/token; echo; stat -c "%a %u" /run/secrets/token', { mounts: [secret] });
  assert.equal(out, 's3cr3t-value\n400 0\n');
  assert.equal(redact('build log: s3cr3t-value'), 'build log: ***', 'kiln\'s own log lines mask the secret');
  await assert.rejects(run('cat /run/secrets/token', { mounts: [secret], user: 'nobody' }), RunFailedError);
  await assert.rejects(stat(join(root, 'run')), { code: 'ENOENT' });
  assert.equal((await run('cat /run/secrets/token 2>&1 || echo absent')).out.trim().split('\n').pop(), 'absent');
});

test('a secret at a custom target with an owner', async () => {
  const secret = { type: 'secret' as const, id: 'npm', data: Buffer.from('tok'), target: '/home/app/.npmrc', uid: 1000, mode: 0o440 };
  assert.equal((await run('cat ~/.npmrc; stat -c " %a %u" ~/.npmrc', { mounts: [secret], user: 'app' })).out, 'tok 440 1000\n');
  await assert.rejects(stat(join(root, 'home/app/.npmrc')), { code: 'ENOENT' });
});

test('a script mounted under /dev/pipes runs, as BuildKit runs a #! heredoc, and leaves nothing', async () => {
  const script = { type: 'secret' as const, id: 'EOF', data: Buffer.from('#!/bin/sh\necho "from heredoc as $(id -u)"\n'), target: '/dev/pipes/EOF', mode: 0o755 };
  assert.equal((await run(['/dev/pipes/EOF'], { mounts: [script], user: 'app' })).out, 'from heredoc as 1000\n');
  await assert.rejects(stat(join(root, 'dev')), { code: 'ENOENT' });
  const cache = { type: 'tmpfs' as const, target: '/dev/scratch/a' };
  assert.equal((await run('touch /dev/scratch/a/x && echo ok', { mounts: [cache] })).out, 'ok\n');
});

test('mount targets in what kiln mounts itself are refused', async () => {
  for (const target of ['/proc/x', '/sys', '/dev', '/dev/fd/3', '/dev/pts/x']) {
    await assert.rejects(
      run('true', { mounts: [{ type: 'tmpfs', target }] }),
      (err) => isBuilderError(err, 'BUILD_FAILED') && err.message.includes(target),
      target,
    );
  }
});

test('cache, tmpfs and bind mounts', async () => {
  const cache = join(work, 'cache');
  const ctx = join(work, 'ctx');
  await mkdir(cache);
  await mkdir(ctx);
  await writeFile(join(ctx, 'in.txt'), 'from context\n');
  const mounts = [
    { type: 'cache' as const, source: cache, target: '/var/cache/apt' },
    { type: 'tmpfs' as const, target: '/scratch', size: 1 << 20 },
    { type: 'bind' as const, source: ctx, target: '/src' },
    { type: 'bind' as const, source: ctx, target: '/src-rw', readWrite: true },
    { type: 'bind' as const, source: join(ctx, 'in.txt'), target: '/one-file', readWrite: true },
  ];
  const { out } = await run(
    'echo kept > /var/cache/apt/f; echo gone > /scratch/f; cat /src/in.txt; ' +
      '(echo x > /src/new) 2>/dev/null || echo ro; echo changed > /src-rw/in.txt; cat /src-rw/in.txt; ' +
      'echo changed too > /one-file; cat /one-file',
    { mounts },
  );
  assert.equal(out, 'from context\nro\nchanged\nchanged too\n');
  assert.equal(await readFile(join(cache, 'f'), 'utf8'), 'kept\n');
  assert.equal(await readFile(join(ctx, 'in.txt'), 'utf8'), 'from context\n');
  assert.deepEqual((await readdir(ctx)).sort(), ['in.txt']);
  for (const p of ['scratch', 'src', 'src-rw', 'one-file', 'var/cache']) {
    await assert.rejects(stat(join(root, p)), { code: 'ENOENT' }, `${p} left in the rootfs`);
  }
});

test('an abort kills the command and everything it started', async () => {
  const ac = new AbortController();
  const started = Date.now();
  setTimeout(() => ac.abort(new Error('cancelled by test')), 300);
  await assert.rejects(run('sleep 1014 & sleep 1015', { signal: ac.signal }), /cancelled by test/);
  assert.ok(Date.now() - started < 3000);
  assert.deepEqual(await processes(['sleep', '1014']), []);
  assert.deepEqual(await processes(['sleep', '1015']), []);
});

test('on an overlay, the upper dir holds what the command wrote and nothing of the runner', async () => {
  // The overlay snapshotter's situation: it mounts the overlay, we run on the merged dir.
  const ov = join(work, 'overlay');
  const [upper, ovWork, merged] = ['upper', 'work', 'merged'].map((d) => join(ov, d));
  for (const d of [upper, ovWork, merged]) await mkdir(d, { recursive: true });
  execFileSync('mount', ['-t', 'overlay', '-o', `lowerdir=${root},upperdir=${upper},workdir=${ovWork}`, 'overlay', merged]);
  try {
    await runner.run({
      rootDir: merged, argv: ['/bin/sh', '-c', 'echo hi > /hello; cat /etc/hosts >/dev/null'], env: [], cwd: '/', user: '',
      network: 'default', mounts: [{ type: 'secret', id: 's', data: Buffer.from('x') }], stdout: new Collect(), stderr: new Collect(),
    });
  } finally {
    execFileSync('umount', [merged]);
  }
  assert.deepEqual((await readdir(upper)).sort(), ['etc', 'hello']);
  // /etc was copied up to hold the hosts placeholder; it is empty again, with its old mtime.
  assert.deepEqual(await readdir(join(upper, 'etc')), []);
  assert.equal((await stat(join(upper, 'etc'), { bigint: true })).mtimeNs, (await stat(join(root, 'etc'), { bigint: true })).mtimeNs);
});

test('mistakes of the caller are reported before anything runs, and leave nothing behind', async () => {
  await assert.rejects(run([]), (err) => isBuilderError(err, 'BUILD_FAILED') && /empty/.test(err.message));
  await assert.rejects(run('true', { rootDir: join(work, 'nope') }), (err) => isBuilderError(err, 'FILE_NOT_FOUND'));
  const missing = { type: 'bind' as const, source: join(work, 'no-such-dir'), target: '/src' };
  await assert.rejects(run('true', { mounts: [missing] }), (err) => isBuilderError(err, 'FILE_NOT_FOUND') && err.message.includes('no-such-dir'));
  for (const p of ['proc', 'dev', 'sys', 'src', 'etc/hosts']) {
    await assert.rejects(stat(join(root, p)), { code: 'ENOENT' }, `${p} left in the rootfs`);
  }
});

test('a relative rootDir works', async () => {
  assert.equal((await run(['/bin/echo', 'ok'], { rootDir: relative(process.cwd(), root) })).out, 'ok\n');
});

test('output streams while the command runs and both streams are kept apart', async () => {
  const { out, err } = await run('echo to-out; echo to-err >&2; echo again');
  assert.equal(out, 'to-out\nagain\n');
  assert.equal(err, 'to-err\n');
});
