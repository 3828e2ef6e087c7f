// Build contexts: directories, dir://, tar:// files (plain and compressed), tar://stdin through
// a real child process, --context-sub-path, the Dockerfile and .dockerignore lookup, and errors.
import { rejectsWith } from '../../support/assert-error.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { openContext } from '../../../src/context/open.ts';
import { describeTree, dir, file, link, makeTree } from './tree.ts';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../../', import.meta.url));

async function tempDir(): Promise<string> {
  const tmp = await mkdtemp(join(tmpdir(), 'kiln-ctx-test-'));
  test.after(() => rm(tmp, { recursive: true, force: true }));
  return tmp;
}

async function sampleContext(tmp: string): Promise<string> {
  const ctx = join(tmp, 'ctx');
  await makeTree(ctx, {
    '.': { type: 'dir' },
    Dockerfile: 'FROM scratch\n',
    '.dockerignore': '**/*.log\n',
    'app/main.js': 'main',
    'app/debug.log': 'log',
    'app/Dockerfile.dev': 'FROM dev\n',
    'app/Dockerfile.dev.dockerignore': 'main.js\n',
    'to-root': { type: 'symlink', target: '/' },
  });
  return ctx;
}

test('a directory, as a plain path or dir://, with its Dockerfile and .dockerignore', async () => {
  const ctx = await sampleContext(await tempDir());
  for (const spec of [ctx, `dir://${ctx}`]) {
    const c = await openContext(spec);
    assert.equal(c.dir, ctx);
    assert.equal(c.dockerfile, join(ctx, 'Dockerfile'));
    assert.equal(c.ignore.ignored('app/debug.log', false), true);
    assert.equal(c.ignore.ignored('app/main.js', false), false);
    await c.cleanup();
    assert.equal((await stat(ctx)).isDirectory(), true, 'cleanup leaves a local directory alone');
  }
});

test('--context-sub-path narrows the context; the Dockerfile is relative to it; <Dockerfile>.dockerignore wins', async () => {
  const ctx = await sampleContext(await tempDir());
  const c = await openContext(ctx, { subPath: 'app', dockerfilePath: 'Dockerfile.dev' });
  assert.equal(c.dir, join(ctx, 'app'));
  assert.equal(c.dockerfile, join(ctx, 'app/Dockerfile.dev'));
  assert.equal(c.ignore.ignored('main.js', false), true);
  assert.equal(c.ignore.ignored('debug.log', false), false);
  const abs = await openContext(ctx, { dockerfilePath: join(ctx, 'app/Dockerfile.dev') });
  assert.equal(abs.dockerfile, join(ctx, 'app/Dockerfile.dev'));
  assert.equal((await openContext(ctx, { dockerfilePath: '-' })).dockerfile, '-');
});

test('a sub-path cannot leave the context, through .. or a symlink', async () => {
  const ctx = await sampleContext(await tempDir());
  // `to-root` points at `/`, which inside the context is the context itself.
  assert.equal((await openContext(ctx, { subPath: 'to-root/app', dockerfilePath: '-' })).dir, join(ctx, 'app'));
  await rejectsWith(openContext(ctx, { subPath: '../../../etc' }), 'CONTEXT_NOT_FOUND', /--context-sub-path=\.\.\/\.\.\/\.\.\/etc: no such directory/);
  await rejectsWith(openContext(ctx, { subPath: 'Dockerfile' }), 'CONTEXT_INVALID', /not a directory/);
});

test('errors name the context, the flag or the scheme', async () => {
  const tmp = await tempDir();
  const ctx = await sampleContext(tmp);
  await rejectsWith(openContext(join(tmp, 'nope')), 'CONTEXT_NOT_FOUND', /build context directory .*\/nope does not exist/);
  await rejectsWith(openContext(join(ctx, 'Dockerfile')), 'CONTEXT_INVALID', /is not a directory \(use tar:\/\/ for an archive\)/);
  await rejectsWith(openContext(`tar://${tmp}/none.tar.gz`), 'CONTEXT_NOT_FOUND', /archive .*none\.tar\.gz does not exist/);
  await rejectsWith(openContext(ctx, { dockerfilePath: 'Missingfile' }), 'FILE_NOT_FOUND', /--dockerfile=Missingfile: no Dockerfile at/);
  for (const s3 of ['s3://bucket', 's3://bucket/', 's3:///key.tar.gz']) {
    await rejectsWith(openContext(s3), 'CONTEXT_INVALID', /s3:\/\/ needs a bucket and an object key/);
  }
  await rejectsWith(openContext('gs://bucket'), 'CONTEXT_INVALID', /gs:\/\/ needs a bucket and an object key \(gs:\/\/BUCKET/);
  await rejectsWith(openContext('ftp://x/y'), 'CONTEXT_INVALID', /unknown build context scheme ftp:\/\//);
});

const EXTRACTED = {
  Dockerfile: file('FROM scratch\n'),
  '.dockerignore': file('**/*.log\n'),
  app: dir(),
  'app/Dockerfile.dev': file('FROM dev\n'),
  'app/Dockerfile.dev.dockerignore': file('main.js\n'),
  'app/debug.log': file('log'),
  'app/main.js': file('main'),
  'to-root': link('/'),
};

for (const [ext, flag] of [['tar', ''], ['tar.gz', 'z'], ['tar.bz2', 'j'], ['tar.xz', 'J']] as const) {
  test(`tar:// of a .${ext} is extracted into a temp dir that cleanup removes`, async () => {
    const tmp = await tempDir();
    const ctx = await sampleContext(tmp);
    const archive = join(tmp, `ctx.${ext}`);
    await run('tar', [`-c${flag}f`, archive, '-C', ctx, '.']);
    const c = await openContext(`tar://${archive}`, { tmpDir: tmp });
    assert.deepEqual(await describeTree(c.dir), EXTRACTED);
    assert.equal(c.dockerfile, join(c.dir, 'Dockerfile'));
    assert.equal(c.ignore.ignored('app/debug.log', false), true);
    await c.cleanup();
    await assert.rejects(stat(c.dir));
  });
}

test('tar:// refuses entries that climb out and archives that are not tars', async () => {
  const tmp = await tempDir();
  const evil = join(tmp, 'evil.tar');
  await run('python3', ['-c', `import tarfile, io\nt = tarfile.open(${JSON.stringify(evil)}, 'w')\ni = tarfile.TarInfo('../escape'); i.size = 1; t.addfile(i, io.BytesIO(b'x'))\nt.close()`]);
  await rejectsWith(openContext(`tar://${evil}`, { tmpDir: tmp }), 'CONTEXT_INVALID', /evil\.tar: archive path \.\.\/escape is outside the extraction root/);
  const junk = join(tmp, 'junk.tar.gz');
  await writeFile(junk, Buffer.from([0x1f, 0x8b, 0x08, 0, 1, 2, 3, 4, 5]));
  await rejectsWith(openContext(`tar://${junk}`, { tmpDir: tmp }), 'CONTEXT_INVALID', /junk\.tar\.gz: not a tar or compressed tar/);
});

/** Pipes `tar` (optionally gzip-compressed) into a child that opens tar://stdin and prints the tree. */
async function viaStdin(ctx: string, tmp: string, gzip: boolean): Promise<{ tree: unknown; dockerfile: string; dirGone: boolean }> {
  const script = join(tmp, 'open-stdin.mts');
  await writeFile(
    script,
    [
      `import { stat } from 'node:fs/promises';`,
      `import { openContext } from ${JSON.stringify(join(repo, 'src/context/open.ts'))};`,
      `import { describeTree } from ${JSON.stringify(join(repo, 'test/unit/context/tree.ts'))};`,
      `const c = await openContext('tar://stdin', { tmpDir: ${JSON.stringify(tmp)} });`,
      `const tree = await describeTree(c.dir);`,
      `const dockerfile = c.dockerfile.slice(c.dir.length);`,
      `await c.cleanup();`,
      `const dirGone = await stat(c.dir).then(() => false, () => true);`,
      `process.stdout.write(JSON.stringify({ tree, dockerfile, dirGone }));`,
    ].join('\n'),
  );
  const tar = spawn('tar', [gzip ? '-cz' : '-c', '-C', ctx, '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repo, stdio: ['pipe', 'pipe', 'pipe'] });
  tar.stdout.pipe(child.stdin);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, err);
  return JSON.parse(out) as { tree: unknown; dockerfile: string; dirGone: boolean };
}

test('tar://stdin reads a plain or gzip tar piped by another process', async () => {
  const tmp = await tempDir();
  const ctx = await sampleContext(tmp);
  for (const gzip of [false, true]) {
    const got = await viaStdin(ctx, tmp, gzip);
    assert.deepEqual(got, { tree: EXTRACTED, dockerfile: '/Dockerfile', dirGone: true });
  }
});
