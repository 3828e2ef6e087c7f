// ADD: local archives unpacked (plain, gzip, bzip2, xz, zstd), URLs fetched from a real HTTP server on
// 127.0.0.1 (checksums, Last-Modified, 0600), and git repositories cloned from a real
// `git daemon` on 127.0.0.1 (git:// is one of the git URL forms BuildKit accepts) and from a
// static HTTP server (the http(s)://….git form).
import { rejectsWith } from '../../support/assert-error.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { copyFiles, type CopyRequest } from '../../../src/executor/copy/copy.ts';
import { describeTree, dir, file, link, makeTree, type Entry } from '../context/tree.ts';

const run = promisify(execFile);

interface Fixture {
  tmp: string;
  ctx: string;
  rootfs: string;
  add(req: Partial<CopyRequest>): Promise<string[]>;
}

async function fixture(context: Record<string, Entry | string> = {}): Promise<Fixture> {
  const tmp = await mkdtemp(join(tmpdir(), 'kiln-add-test-'));
  const ctx = join(tmp, 'ctx');
  const rootfs = join(tmp, 'rootfs');
  await makeTree(ctx, { '.': { type: 'dir' }, ...context });
  await makeTree(rootfs, { '.': { type: 'dir' }, 'etc/passwd': 'root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/:/bin/sh\n' });
  test.after(() => rm(tmp, { recursive: true, force: true }));
  return {
    tmp,
    ctx,
    rootfs,
    add: (req) =>
      copyFiles({
        instruction: 'ADD',
        location: 'Dockerfile:4',
        sources: [],
        dest: '/',
        from: { dir: ctx, kind: 'context' },
        rootfs,
        workdir: '/',
        tmpDir: tmp,
        ...req,
      }),
  };
}

/** A source tree for archives: owners and modes that must survive the round trip. */
async function archiveSource(tmp: string): Promise<string> {
  const src = join(tmp, 'archive-src');
  await makeTree(src, {
    '.': { type: 'dir' },
    'app': { type: 'dir', mode: 0o750, uid: 1234, gid: 4321 },
    'app/bin': { type: 'file', content: 'BIN', mode: 0o755, uid: 1234, gid: 4321 },
    'app/conf': { type: 'file', content: 'CONF', mode: 0o600 },
    'app/ln': { type: 'symlink', target: 'bin' },
  });
  return src;
}

const ARCHIVED = {
  'd/app': dir(0o750, 1234, 4321),
  'd/app/bin': file('BIN', 0o755, 1234, 4321),
  'd/app/conf': file('CONF', 0o600),
  'd/app/ln': link('bin'),
};

const COMPRESSORS = [['tar', []], ['tar.gz', ['--gzip']], ['tar.bz2', ['--bzip2']], ['tar.xz', ['--xz']], ['tar.zst', ['--zstd']]] as const;

for (const [ext, flags] of COMPRESSORS) {
  test(`ADD of a local .${ext} unpacks it into the destination, keeping the archive's owners and modes`, async () => {
    const f = await fixture();
    const src = await archiveSource(f.tmp);
    await run('tar', ['--numeric-owner', ...flags, '-cf', join(f.ctx, `a.${ext}`), '-C', src, 'app']);
    const written = await f.add({ sources: [`a.${ext}`], dest: '/d' });
    assert.deepEqual(await describeTree(f.rootfs, 'd'), ARCHIVED);
    assert.deepEqual(written, ['d', 'd/app', 'd/app/bin', 'd/app/conf', 'd/app/ln']);
  });
}

test('ADD --chown overrides the archive owners; COPY of the same archive copies the file', async () => {
  const f = await fixture();
  const src = await archiveSource(f.tmp);
  await run('tar', ['--numeric-owner', '-czf', join(f.ctx, 'a.tgz'), '-C', src, 'app']);
  await f.add({ sources: ['a.tgz'], dest: '/o/', chown: 'app' });
  assert.deepEqual((await describeTree(f.rootfs, 'o'))['o/app/bin'], file('BIN', 0o755, 1000, 1001));
  await f.add({ instruction: 'COPY', sources: ['a.tgz'], dest: '/c/' });
  assert.equal((await stat(join(f.rootfs, 'c/a.tgz'))).isFile(), true);
});

test('a file that only looks like an archive is copied as it is', async () => {
  const f = await fixture({ 'fake.tar.gz': 'not really gzip', 'empty.tar': '' });
  await f.add({ sources: ['fake.tar.gz', 'empty.tar'], dest: '/x/' });
  assert.deepEqual(await describeTree(f.rootfs, 'x'), { 'x/empty.tar': file(''), 'x/fake.tar.gz': file('not really gzip') });
});

test('archive entries cannot leave the destination: ../ is refused, links are resolved inside it', async () => {
  const f = await fixture();
  const py = (out: string, body: string): Promise<unknown> =>
    run('python3', ['-c', `import tarfile, io\nt = tarfile.open(${JSON.stringify(out)}, 'w')\n${body}\nt.close()`]);
  const add = (t: string): string =>
    `i = tarfile.TarInfo(${JSON.stringify(t)}); d = b'pwned'; i.size = len(d); t.addfile(i, io.BytesIO(d))`;
  const sym = (name: string, target: string): string =>
    `i = tarfile.TarInfo(${JSON.stringify(name)}); i.type = tarfile.SYMTYPE; i.linkname = ${JSON.stringify(target)}; t.addfile(i)`;
  await py(join(f.ctx, 'dotdot.tar'), add('../../../../../../tmp/kiln-pwned-dotdot'));
  await rejectsWith(f.add({ sources: ['dotdot.tar'], dest: '/x/' }), 'BUILD_FAILED', /dotdot\.tar: archive path \.\.\/.* is outside the extraction root/);
  await py(join(f.ctx, 'links.tar'), [sym('root', '/'), sym('up', '../../../../..'), add('root/tmp/kiln-pwned-abs'), add('up/tmp/kiln-pwned-rel')].join('\n'));
  await f.add({ sources: ['links.tar'], dest: '/y/' });
  const t = await describeTree(f.rootfs, 'y');
  assert.deepEqual(t['y/tmp/kiln-pwned-abs'], file('pwned'));
  assert.deepEqual(t['y/tmp/kiln-pwned-rel'], file('pwned'));
  await assert.rejects(stat('/tmp/kiln-pwned-abs'));
  await assert.rejects(stat('/tmp/kiln-pwned-rel'));
  await assert.rejects(stat('/tmp/kiln-pwned-dotdot'));
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ base: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  test.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no address');
  return { base: `http://127.0.0.1:${addr.port}`, server };
}

test('ADD <url> downloads from an HTTP server: name from the URL, 0600, Last-Modified, --checksum verified', async () => {
  const body = 'payload from the server\n';
  const sum = createHash('sha256').update(body).digest('hex');
  const lastModified = 'Wed, 21 Oct 2015 07:28:00 GMT';
  const { base } = await serve((req, res) => {
    if (req.url === '/files/tool.tar.gz' || req.url === '/') {
      res.writeHead(200, { 'last-modified': lastModified, 'content-type': 'application/octet-stream' });
      res.end(body);
    } else if (req.url === '/moved') {
      res.writeHead(302, { location: '/files/tool.tar.gz' });
      res.end();
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  const f = await fixture();
  const written = await f.add({ sources: [`${base}/files/tool.tar.gz`], dest: '/dl/', checksum: `sha256:${sum}`, chown: 'app' });
  assert.deepEqual(written, ['dl', 'dl/tool.tar.gz']);
  // Never unpacked, even though the name says tar.gz; --chown applies to it and the dir made for it.
  assert.deepEqual(await describeTree(f.rootfs, 'dl'), { 'dl/tool.tar.gz': file(body, 0o600, 1000, 1001) });
  assert.equal((await stat(join(f.rootfs, 'dl/tool.tar.gz'))).mtime.toUTCString(), lastModified);
  await f.add({ sources: [`${base}/moved`], dest: '/named' });
  assert.equal(await readFile(join(f.rootfs, 'named'), 'utf8'), body);
  await f.add({ sources: [`${base}/`], dest: '/root-url/' });
  assert.deepEqual(Object.keys(await describeTree(f.rootfs, 'root-url')), ['root-url/__unnamed__']);
  const wrong = `sha256:${'0'.repeat(64)}`;
  await rejectsWith(
    f.add({ sources: [`${base}/files/tool.tar.gz`], dest: '/bad/', checksum: wrong }),
    'DIGEST_MISMATCH',
    new RegExp(`^Dockerfile:4: ADD ${base}/files/tool.tar.gz: digest mismatch: expected ${wrong}, got sha256:${sum}$`),
  );
  await assert.rejects(stat(join(f.rootfs, 'bad')));
  await rejectsWith(f.add({ sources: [`${base}/missing`], dest: '/m/' }), 'FILE_NOT_FOUND', /missing: invalid response status 404/);
  await rejectsWith(f.add({ sources: [`${base}/x`], dest: '/m/', checksum: 'md5:abc' }), 'DOCKERFILE_PARSE', /ADD --checksum=md5:abc: invalid checksum/);
  await rejectsWith(f.add({ sources: ['local.txt'], dest: '/m/', checksum: `sha256:${sum}` }), 'DOCKERFILE_PARSE', /checksum requires HTTP\(S\) or Git sources/);
});

async function gitRepo(tmp: string): Promise<{ base: string; commit: string; root: string }> {
  const root = join(tmp, 'git-root');
  const repo = join(root, 'repo.git');
  const work = join(tmp, 'git-work');
  const git = (...args: string[]): Promise<{ stdout: string }> =>
    run('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'init.defaultBranch=main', ...args]);
  await makeTree(work, { '.': { type: 'dir' }, 'README': 'v1', 'sub/tool.sh': { type: 'file', content: 'echo hi', mode: 0o755 } });
  await git('-C', work, 'init', '-q');
  await git('-C', work, 'add', '.');
  await git('-C', work, 'commit', '-q', '-m', 'v1');
  await git('-C', work, 'tag', 'v1');
  await writeFile(join(work, 'README'), 'v2');
  await git('-C', work, 'commit', '-q', '-am', 'v2');
  const commit = (await git('-C', work, 'rev-parse', 'HEAD')).stdout.trim();
  await git('clone', '-q', '--bare', work, repo);
  // Lets a static HTTP server serve the repository too (git's "dumb" HTTP protocol).
  await git('-C', repo, 'update-server-info');
  // git daemon on a free port: ask the kernel for one through a throwaway listener.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const daemon = spawn('git', ['daemon', '--reuseaddr', '--export-all', `--base-path=${root}`, '--listen=127.0.0.1', `--port=${port}`, root], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  test.after(() => {
    daemon.kill();
  });
  const base = `git://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    try {
      await run('git', ['ls-remote', `${base}/repo.git`]);
      return { base, commit, root };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error('git daemon did not start');
}

test('ADD of a git URL clones it: default branch, #tag, #ref:subdir, --keep-git-dir, commit checksum', async () => {
  const f = await fixture();
  const { base, commit } = await gitRepo(f.tmp);
  await f.add({ sources: [`${base}/repo.git`], dest: '/src/' });
  assert.deepEqual(await describeTree(f.rootfs, 'src'), {
    'src/README': file('v2'),
    'src/sub': dir(),
    'src/sub/tool.sh': file('echo hi', 0o755),
  });
  await f.add({ sources: [`${base}/repo.git#v1`], dest: '/v1/' });
  assert.equal(await readFile(join(f.rootfs, 'v1/README'), 'utf8'), 'v1');
  await f.add({ sources: [`${base}/repo.git#v1:sub`], dest: '/only-sub' });
  assert.deepEqual(await describeTree(f.rootfs, 'only-sub'), { 'only-sub/tool.sh': file('echo hi', 0o755) });
  await f.add({ sources: [`${base}/repo.git`], dest: '/kept/', keepGitDir: true, checksum: commit.slice(0, 12) });
  assert.equal((await stat(join(f.rootfs, 'kept/.git/HEAD'))).isFile(), true);
  await rejectsWith(f.add({ sources: [`${base}/repo.git`], dest: '/w/', checksum: 'deadbeef' }), 'DIGEST_MISMATCH', /expected commit deadbeef/);
  await rejectsWith(f.add({ sources: [`${base}/nope.git`], dest: '/w/' }), 'BUILD_FAILED', /git fetch failed/);
});

test('ADD of an http(s)://….git URL clones over HTTP', async () => {
  const f = await fixture();
  const { root } = await gitRepo(f.tmp);
  const { base } = await serve((req, res) => {
    const path = join(root, decodeURIComponent((req.url ?? '/').split('?')[0]));
    readFile(path).then(
      (data) => {
        res.writeHead(200);
        res.end(data);
      },
      () => {
        res.writeHead(404);
        res.end();
      },
    );
  });
  await f.add({ sources: [`${base}/repo.git#v1`], dest: '/http-src/' });
  assert.deepEqual(await describeTree(f.rootfs, 'http-src'), {
    'http-src/README': file('v1'),
    'http-src/sub': dir(),
    'http-src/sub/tool.sh': file('echo hi', 0o755),
  });
});
