// COPY semantics against real temp dirs: each case builds a context and a rootfs, runs one COPY
// and compares the whole resulting subtree (types, modes, owners, link targets, contents).
import { rejectsWith } from '../../support/assert-error.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { lstat, mkdtemp, readFile, rm, stat, link as hardlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { copyFiles, type CopyRequest } from '../../../src/executor/copy/copy.ts';
import { DockerignoreMatcher } from '../../../src/context/dockerignore.ts';
import { describeTree, dir, file, link, makeTree, setTime, type Entry } from '../context/tree.ts';

const execFileAsync = promisify(execFile);

const ROOTFS: Record<string, Entry | string> = {
  etc: { type: 'dir' },
  'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n',
  'etc/group': 'root:x:0:\nstaff:x:50:\nappgrp:x:1001:\n',
};

interface Fixture {
  ctx: string;
  rootfs: string;
  copy(req: Partial<CopyRequest>): Promise<string[]>;
  tree(under: string): Promise<Record<string, Entry>>;
}

async function fixture(context: Record<string, Entry | string>, rootfs: Record<string, Entry | string> = {}): Promise<Fixture> {
  const tmp = await mkdtemp(join(tmpdir(), 'kiln-copy-instr-test-'));
  const ctx = join(tmp, 'ctx');
  const root = join(tmp, 'rootfs');
  await makeTree(ctx, { '.': { type: 'dir' }, ...context });
  // An override replaces a base entry and everything under it (a symlinked /etc has no children).
  const base = Object.fromEntries(Object.entries(ROOTFS).filter(([p]) => !Object.keys(rootfs).some((o) => p.startsWith(`${o}/`))));
  await makeTree(root, { '.': { type: 'dir' }, ...base, ...rootfs });
  test.after(() => rm(tmp, { recursive: true, force: true }));
  return {
    ctx,
    rootfs: root,
    copy: (req) =>
      copyFiles({
        instruction: 'COPY',
        location: 'Dockerfile:3',
        sources: [],
        dest: '/',
        from: { dir: ctx, kind: 'context' },
        rootfs: root,
        workdir: '/',
        tmpDir: tmp,
        ...req,
      }),
    tree: (under) => describeTree(root, under),
  };
}

test('a file into a directory keeps mode and mtime, becomes 0:0, and parents are created 0755 root', async () => {
  const f = await fixture({ 'a.txt': { type: 'file', content: 'A', mode: 0o640, uid: 1234, gid: 99 } });
  await setTime(join(f.ctx, 'a.txt'), 1_000_000);
  const written = await f.copy({ sources: ['a.txt'], dest: '/app/sub/' });
  assert.deepEqual(await f.tree('app'), {
    'app/sub': dir(),
    'app/sub/a.txt': file('A', 0o640),
  });
  assert.equal((await stat(join(f.rootfs, 'app/sub/a.txt'))).mtimeMs, 1_000_000_000);
  assert.deepEqual(written, ['app', 'app/sub', 'app/sub/a.txt']);
});

test('a file to a path without a trailing slash is written under that name', async () => {
  const f = await fixture({ 'a.txt': 'A' });
  await f.copy({ sources: ['a.txt'], dest: '/app/b.txt' });
  assert.deepEqual(await f.tree('app'), { 'app/b.txt': file('A') });
});

test('a file onto an existing directory without a slash goes inside it', async () => {
  const f = await fixture({ 'a.txt': 'A' }, { app: { type: 'dir', mode: 0o700, uid: 5, gid: 5 } });
  await f.copy({ sources: ['a.txt'], dest: '/app' });
  assert.deepEqual(await f.tree('app'), { 'app/a.txt': file('A') });
  assert.deepEqual((await describeTree(f.rootfs))['app'], dir(0o700, 5, 5));
});

test('a directory source copies its contents, with modes, links and nested dirs', async () => {
  const f = await fixture({
    src: { type: 'dir', mode: 0o750 },
    'src/x': 'X',
    'src/sub': { type: 'dir', mode: 0o700 },
    'src/sub/y': { type: 'file', content: 'Y', mode: 0o755 },
    'src/ln': { type: 'symlink', target: 'sub/y' },
  });
  await setTime(join(f.ctx, 'src'), 2_000_000);
  await f.copy({ sources: ['src'], dest: '/dst' });
  assert.deepEqual(await f.tree('dst'), {
    'dst/ln': link('sub/y'),
    'dst/sub': dir(0o700),
    'dst/sub/y': file('Y', 0o755),
    'dst/x': file('X'),
  });
  // The destination directory is made 0755 and takes the source directory's time.
  const st = await stat(join(f.rootfs, 'dst'));
  assert.equal(st.mode & 0o7777, 0o755);
  assert.equal(st.mtimeMs, 2_000_000_000);
});

test('a relative destination is relative to WORKDIR; `.` means the directory', async () => {
  const f = await fixture({ 'a.txt': 'A', 'b.txt': 'B' });
  await f.copy({ sources: ['a.txt', 'b.txt'], dest: '.', workdir: '/work/dir' });
  await f.copy({ sources: ['a.txt'], dest: 'rel/c.txt', workdir: '/work/dir' });
  assert.deepEqual(await f.tree('work'), {
    'work/dir': dir(),
    'work/dir/a.txt': file('A'),
    'work/dir/b.txt': file('B'),
    'work/dir/rel': dir(),
    'work/dir/rel/c.txt': file('A'),
  });
});

test('several sources, or a wildcard matching several, need a destination ending in /', async () => {
  const f = await fixture({ 'a.txt': 'A', 'b.txt': 'B', 'c.md': 'C' });
  const msg = /^Dockerfile:3: COPY: When using COPY with more than one source file, the destination must be a directory and end with a \/$/;
  await rejectsWith(f.copy({ sources: ['a.txt', 'b.txt'], dest: '/x' }), 'DOCKERFILE_PARSE', msg);
  await rejectsWith(f.copy({ sources: ['*.txt'], dest: '/x' }), 'DOCKERFILE_PARSE', msg);
  // One match is one source.
  await f.copy({ sources: ['*.md'], dest: '/one' });
  assert.deepEqual((await describeTree(f.rootfs))['one'], file('C'));
});

test('wildcards follow Go filepath.Match: *, ?, classes, negation, escapes, several levels', async () => {
  const f = await fixture({
    'a1.txt': '1',
    'a2.txt': '2',
    'ab.txt': 'b',
    'b1.txt': 'x',
    'star*.txt': 's',
    'starX.txt': 'X',
    'd1/f1': 'df1',
    'd1/g1': 'dg1',
    'd2/f2': 'df2',
    'e/f3': 'ef3',
  });
  const cases: Array<[string, string[]]> = [
    ['a?.txt', ['a1.txt', 'a2.txt', 'ab.txt']],
    ['a[12].txt', ['a1.txt', 'a2.txt']],
    ['a[^1].txt', ['a2.txt', 'ab.txt']],
    ['[a-b]1.txt', ['a1.txt', 'b1.txt']],
    // An escape only means something in a pattern: a source without wildcards is taken literally.
    ['st[a]r\\*.txt', ['star*.txt']],
    ['d*/f*', ['f1', 'f2']],
  ];
  for (const [pattern, names] of cases) {
    const dest = `/out-${names.length}-${Buffer.from(pattern).toString('hex')}/`;
    await f.copy({ sources: [pattern], dest });
    const got = Object.keys(await f.tree(dest.slice(1, -1))).map((p) => p.split('/').pop());
    assert.deepEqual(got, names, pattern);
  }
});

test('a missing source, or one hidden by .dockerignore, is FILE_NOT_FOUND; a wildcard matching nothing copies nothing', async () => {
  const f = await fixture({ 'a.txt': 'A', 'secret.env': 'S', 'keep/x': 'X', 'keep/y.log': 'Y' });
  const ignore = new DockerignoreMatcher(['*.env', '**/*.log']);
  const from = { dir: f.ctx, kind: 'context' as const, ignore };
  await rejectsWith(
    f.copy({ sources: ['missing.txt'], dest: '/x/', from }),
    'FILE_NOT_FOUND',
    /^Dockerfile:3: COPY failed: file not found in build context or excluded by \.dockerignore: stat missing\.txt: file does not exist$/,
  );
  await rejectsWith(f.copy({ sources: ['secret.env'], dest: '/x/', from }), 'FILE_NOT_FOUND', /stat secret\.env/);
  assert.deepEqual(await f.copy({ sources: ['*.env'], dest: '/none/', from }), []);
  await f.copy({ sources: ['.'], dest: '/all/', from });
  assert.deepEqual(await f.tree('all'), {
    'all/a.txt': file('A'),
    'all/keep': dir(),
    'all/keep/x': file('X'),
  });
});

test('symlinks inside a source are copied as links; the named source itself is followed', async () => {
  const f = await fixture({
    'real.txt': { type: 'file', content: 'R', mode: 0o600 },
    'top-link': { type: 'symlink', target: 'real.txt' },
    'd/out-rel': { type: 'symlink', target: '../../../../etc/passwd' },
    'd/out-abs': { type: 'symlink', target: '/etc/shadow' },
  });
  await f.copy({ sources: ['top-link', 'd'], dest: '/c/' });
  assert.deepEqual(await f.tree('c'), {
    'c/out-abs': link('/etc/shadow'),
    'c/out-rel': link('../../../../etc/passwd'),
    'c/top-link': file('R', 0o600),
  });
});

test('a source link pointing out of the context resolves inside it, never to the host', async () => {
  const f = await fixture({
    'abs-escape': { type: 'symlink', target: '/etc/passwd' },
    'rel-escape': { type: 'symlink', target: '../../../../../../etc/hostname' },
    etc: { type: 'dir' },
    'etc/passwd': 'context passwd',
  });
  await f.copy({ sources: ['abs-escape'], dest: '/out/p' });
  assert.equal(await readFile(join(f.rootfs, 'out/p'), 'utf8'), 'context passwd');
  await rejectsWith(f.copy({ sources: ['rel-escape'], dest: '/out/h' }), 'FILE_NOT_FOUND', /rel-escape/);
  await rejectsWith(f.copy({ sources: ['../../etc/hostname'], dest: '/out/h' }), 'FILE_NOT_FOUND', /etc\/hostname/);
});

test('hardlinks within a source stay hardlinks', async () => {
  const f = await fixture({ 'h/a': 'same', 'h/z': 'other' });
  await hardlink(join(f.ctx, 'h/a'), join(f.ctx, 'h/b'));
  await f.copy({ sources: ['h'], dest: '/h/' });
  const a = await lstat(join(f.rootfs, 'h/a'));
  const b = await lstat(join(f.rootfs, 'h/b'));
  assert.equal(a.ino, b.ino);
  assert.equal(a.nlink, 2);
  assert.notEqual((await lstat(join(f.rootfs, 'h/z'))).ino, a.ino);
});

test('--chown resolves names in the destination stage, numbers without entries, and owns created parents', async () => {
  const f = await fixture({ 'a.txt': 'A', 'd/x': 'X' });
  await f.copy({ sources: ['a.txt'], dest: '/o1/deep/', chown: 'app' });
  await f.copy({ sources: ['a.txt'], dest: '/o2/', chown: 'app:staff' });
  await f.copy({ sources: ['a.txt'], dest: '/o3/', chown: '4242' });
  await f.copy({ sources: ['d'], dest: '/o4/', chown: '7:appgrp' });
  assert.deepEqual(await f.tree('o1'), { 'o1/deep': dir(0o755, 1000, 1001), 'o1/deep/a.txt': file('A', 0o644, 1000, 1001) });
  assert.deepEqual((await describeTree(f.rootfs))['o1'], dir(0o755, 1000, 1001));
  assert.deepEqual(await f.tree('o2'), { 'o2/a.txt': file('A', 0o644, 1000, 50) });
  assert.deepEqual(await f.tree('o3'), { 'o3/a.txt': file('A', 0o644, 4242, 4242) });
  assert.deepEqual(await f.tree('o4'), { 'o4/x': file('X', 0o644, 7, 1001) });
  await rejectsWith(f.copy({ sources: ['a.txt'], dest: '/o5/', chown: 'nobody' }), 'BUILD_FAILED', /--chown=nobody: no user nobody in the stage's \/etc\/passwd/);
  await rejectsWith(f.copy({ sources: ['a.txt'], dest: '/o5/', chown: 'app:wheel' }), 'BUILD_FAILED', /no group wheel/);
});

test('--chown reads /etc/passwd through the rootfs: a symlinked /etc cannot reach the host', async () => {
  const f = await fixture({ 'a.txt': 'A' }, { etc: { type: 'symlink', target: '../../../../../../usr/etc' } });
  // Resolved inside the rootfs, the link leads to a missing /usr/etc: host users such as root are unknown.
  await rejectsWith(f.copy({ sources: ['a.txt'], dest: '/o/', chown: 'root' }), 'BUILD_FAILED', /no user root/);
});

test('--chmod: octal (set-id bits too) applies to files and directories; symbolic modes apply per entry', async () => {
  const f = await fixture({
    'd/x': { type: 'file', content: 'X', mode: 0o644 },
    'd/run': { type: 'file', content: 'R', mode: 0o754 },
    'd/sub': { type: 'dir', mode: 0o700 },
  });
  await f.copy({ sources: ['d'], dest: '/m1/', chmod: '4755' });
  assert.deepEqual(await f.tree('m1'), {
    'm1/run': file('R', 0o4755),
    'm1/sub': dir(0o4755),
    'm1/x': file('X', 0o4755),
  });
  await f.copy({ sources: ['d'], dest: '/m2/', chmod: 'u+x,g-w,o=' });
  assert.deepEqual(await f.tree('m2'), {
    'm2/run': file('R', 0o750),
    'm2/sub': dir(0o700),
    'm2/x': file('X', 0o740),
  });
  await f.copy({ sources: ['d'], dest: '/m3/', chmod: 'a=rX' });
  assert.deepEqual(await f.tree('m3'), {
    'm3/run': file('R', 0o555),
    'm3/sub': dir(0o555),
    'm3/x': file('X', 0o444),
  });
  await rejectsWith(f.copy({ sources: ['d'], dest: '/m4/', chmod: '0999' }), 'DOCKERFILE_PARSE', /invalid chmod parameter: '0999'. it should be octal string and between 0 and 07777/);
  await rejectsWith(f.copy({ sources: ['d'], dest: '/m4/', chmod: '17777' }), 'DOCKERFILE_PARSE', /between 0 and 07777/);
  await rejectsWith(f.copy({ sources: ['d'], dest: '/m4/', chmod: 'u+q' }), 'DOCKERFILE_PARSE', /invalid chmod parameter: 'u\+q'/);
});

test('the destination is resolved like a chroot: links to /, ../.. or absolute paths stay in the rootfs', async () => {
  const f = await fixture(
    { 'a.txt': 'A', d: { type: 'dir' }, 'd/x': 'X' },
    {
      'to-root': { type: 'symlink', target: '/' },
      'up': { type: 'symlink', target: '../../../../..' },
      'to-tmp': { type: 'symlink', target: '/tmp' },
      'to-file': { type: 'symlink', target: '/etc/hostname' },
    },
  );
  const hostTmpBefore = await stat('/tmp');
  await f.copy({ sources: ['a.txt'], dest: '/to-root/a1.txt' });
  await f.copy({ sources: ['a.txt'], dest: '/up/up2/a2.txt' });
  await f.copy({ sources: ['d'], dest: '/to-tmp/' });
  await f.copy({ sources: ['a.txt'], dest: '/to-file' });
  const t = await describeTree(f.rootfs);
  assert.deepEqual(t['a1.txt'], file('A'));
  assert.deepEqual(t['up2/a2.txt'], file('A'));
  assert.deepEqual(t['tmp/x'], file('X'));
  assert.deepEqual(t['etc/hostname'], file('A'));
  assert.deepEqual(t['to-file'], link('/etc/hostname'));
  assert.equal((await stat('/tmp')).ino, hostTmpBefore.ino);
  await assert.rejects(stat('/up2/a2.txt'));
});

test('a file replaces a file or link; a directory never replaces a file; a file never replaces a directory', async () => {
  const f = await fixture({ 'a.txt': 'new', d: { type: 'dir' }, 'd/x': 'X' }, { 'o/old': 'old', 'o/ln': { type: 'symlink', target: '/etc/passwd' }, 'o/dirhere': { type: 'dir' } });
  await f.copy({ sources: ['a.txt'], dest: '/o/old' });
  await f.copy({ sources: ['a.txt'], dest: '/o/ln2' });
  assert.equal(await readFile(join(f.rootfs, 'o/old'), 'utf8'), 'new');
  await rejectsWith(f.copy({ sources: ['d'], dest: '/o/old' }), 'BUILD_FAILED', /cannot copy to non-directory: \/o\/old/);
  await f.copy({ sources: ['a.txt'], dest: '/o/dirhere' });
  assert.deepEqual((await describeTree(f.rootfs))['o/dirhere/a.txt'], file('new'));
});

test('--exclude patterns (relative to each source) leave paths out; `!` re-includes', async () => {
  const f = await fixture({ 'src/a.txt': 'A', 'src/b.md': 'B', 'src/deep/c.txt': 'C', 'src/deep/keep.txt': 'K', 'src/node_modules/m': 'M' });
  await f.copy({ sources: ['src'], dest: '/e/', exclude: ['**/*.txt', '!deep/keep.txt', 'node_modules'] });
  assert.deepEqual(await f.tree('e'), {
    'e/b.md': file('B'),
    'e/deep': dir(),
    'e/deep/keep.txt': file('K'),
  });
});

test('--parents keeps the source path below the destination, or the part after /./', async () => {
  const f = await fixture({
    'a/b/c.txt': 'C',
    'a/b/d.txt': 'D',
    'a/e/c.txt': 'E',
    'x/y/z.txt': 'Z',
  });
  await f.copy({ sources: ['a/*/c.txt'], dest: '/p/', parents: true });
  assert.deepEqual(await f.tree('p'), {
    'p/a': dir(),
    'p/a/b': dir(),
    'p/a/b/c.txt': file('C'),
    'p/a/e': dir(),
    'p/a/e/c.txt': file('E'),
  });
  await f.copy({ sources: ['x/./y/z.txt'], dest: '/q/', parents: true });
  assert.deepEqual(await f.tree('q'), { 'q/y': dir(), 'q/y/z.txt': file('Z') });
  await rejectsWith(f.copy({ sources: ['a/none.txt'], dest: '/r/', parents: true }), 'FILE_NOT_FOUND', /a\/none\.txt/);
});

test('--from a stage keeps owners and modes; nothing is ignored there', async () => {
  const f = await fixture({});
  const stage = join(f.ctx, '..', 'stage');
  await makeTree(stage, { '.': { type: 'dir' }, 'opt/bin/tool': { type: 'file', content: 'T', mode: 0o750, uid: 1000, gid: 1001 } });
  await f.copy({ sources: ['/opt/bin/tool'], dest: '/usr/local/bin/', from: { dir: stage, kind: 'stage', name: 'builder' } });
  assert.deepEqual(await f.tree('usr'), {
    'usr/local': dir(),
    'usr/local/bin': dir(),
    'usr/local/bin/tool': file('T', 0o750, 1000, 1001),
  });
  await rejectsWith(
    f.copy({ sources: ['/nope'], dest: '/x/', from: { dir: stage, kind: 'stage', name: 'builder' } }),
    'FILE_NOT_FOUND',
    /file not found in stage builder: stat \/nope/,
  );
});

test('heredocs become 0644 files named after the heredoc; --chown and --chmod apply', async () => {
  const f = await fixture({});
  await f.copy({ heredocs: [{ name: 'EOF', content: 'hello\n' }], dest: '/h/' });
  await f.copy({ heredocs: [{ name: 'EOF', content: '#!/bin/sh\n' }], dest: '/h/run.sh', chmod: '0755', chown: 'app' });
  assert.deepEqual(await f.tree('h'), {
    'h/EOF': file('hello\n'),
    'h/run.sh': file('#!/bin/sh\n', 0o755, 1000, 1001),
  });
});

test('--link copies onto scratch: a symlink on the destination path is replaced by a real directory', async () => {
  const f = await fixture({ 'a.txt': 'A' }, { real: { type: 'dir' }, 'real/old': 'old', via: { type: 'symlink', target: 'real' } });
  const written = await f.copy({ sources: ['a.txt'], dest: '/via/', link: true });
  const t = await describeTree(f.rootfs);
  assert.deepEqual(t['via'], dir());
  assert.deepEqual(t['via/a.txt'], file('A'));
  assert.deepEqual(t['real/old'], file('old'));
  assert.equal(t['real/a.txt'], undefined);
  assert.deepEqual(written, ['via', 'via/a.txt']);
  // Without --link the same copy follows the link.
  await f.copy({ sources: ['a.txt'], dest: '/real2/', link: false });
});

test('COPY refuses URLs and git refs; ADD-only flags are refused for COPY', async () => {
  const f = await fixture({ 'a.txt': 'A' });
  await rejectsWith(f.copy({ sources: ['http://127.0.0.1:1/x'], dest: '/x/' }), 'DOCKERFILE_PARSE', /source can't be a URL for COPY/);
  await rejectsWith(f.copy({ sources: ['https://example.com/r.git'], dest: '/x/' }), 'DOCKERFILE_PARSE', /source can't be a git ref for COPY/);
  await rejectsWith(f.copy({ sources: ['a.txt'], dest: '/x/', checksum: 'sha256:00' }), 'DOCKERFILE_PARSE', /checksum can't be specified for COPY/);
});

test('an ignored directory with a `!` exception inside is walked: only the re-included path arrives', async () => {
  const f = await fixture({ 'build/out.o': 'O', 'build/keep/me.txt': 'K', 'build/keep/not.o': 'N', 'src/a.c': 'A' });
  const ignore = new DockerignoreMatcher(['build', '!build/keep/me.txt']);
  const written = await f.copy({ sources: ['.'], dest: '/w/', from: { dir: f.ctx, kind: 'context', ignore } });
  assert.deepEqual(await f.tree('w'), {
    'w/build': dir(),
    'w/build/keep': dir(),
    'w/build/keep/me.txt': file('K'),
    'w/src': dir(),
    'w/src/a.c': file('A'),
  });
  assert.deepEqual(written, ['w', 'w/build', 'w/build/keep', 'w/build/keep/me.txt', 'w/src', 'w/src/a.c']);
  // Named directly, the ignored directory still exists as the parent of what is kept.
  await f.copy({ sources: ['build'], dest: '/b/', from: { dir: f.ctx, kind: 'context', ignore } });
  assert.deepEqual(await f.tree('b'), { 'b/keep': dir(), 'b/keep/me.txt': file('K') });
});

test('fifos and device nodes are recreated, with their numbers, modes and owners', async () => {
  const f = await fixture({});
  const stage = join(f.ctx, '..', 'dev-stage');
  await makeTree(stage, { '.': { type: 'dir' }, dev: { type: 'dir' } });
  await execFileAsync('mknod', ['-m', '0666', join(stage, 'dev/null'), 'c', '1', '3']);
  await execFileAsync('mknod', ['-m', '0660', join(stage, 'dev/loop7'), 'b', '7', '7']);
  await execFileAsync('mkfifo', ['-m', '0600', join(stage, 'dev/pipe')]);
  await f.copy({ sources: ['/dev'], dest: '/dev/', from: { dir: stage, kind: 'stage', name: 'devs' } });
  const nul = await lstat(join(f.rootfs, 'dev/null'));
  const loop = await lstat(join(f.rootfs, 'dev/loop7'));
  const pipe = await lstat(join(f.rootfs, 'dev/pipe'));
  assert.ok(nul.isCharacterDevice());
  assert.equal(nul.rdev, (await lstat(join(stage, 'dev/null'))).rdev);
  assert.equal(nul.mode & 0o7777, 0o666);
  assert.ok(loop.isBlockDevice());
  assert.equal(loop.rdev, (await lstat(join(stage, 'dev/loop7'))).rdev);
  assert.ok(pipe.isFIFO());
  assert.equal(pipe.mode & 0o7777, 0o600);
});
