// .dockerignore: which paths a set of patterns leaves out, which ignored directories can be
// skipped whole, and which ignore file is picked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerignoreMatcher, readDockerignore, loadDockerignore } from '../../../src/context/dockerignore.ts';
import { isBuilderError } from '../../../src/util/errors.ts';

test('readDockerignore: comments, blanks, trimming, cleaning, leading slash', () => {
  const text = '# comment\n\n  *.md  \n/abs/path\n./rel/dir/\n! keep.md\n #not-a-comment\na/../b\n/\n';
  assert.deepEqual(readDockerignore(text).map((l) => [l.pattern, l.line]), [
    ['*.md', 3],
    ['abs/path', 4],
    ['rel/dir', 5],
    ['!keep.md', 6],
    ['#not-a-comment', 7],
    ['b', 8],
    ['/', 9],
  ]);
});

// [patterns, path, isDir, ignored]
const cases: [string[], string, boolean, boolean][] = [
  [['foo'], 'foo', false, true],
  [['foo'], 'foo/bar', false, true],
  [['foo'], 'foo/bar/baz', false, true],
  [['foo'], 'foobar', false, false],
  [['foo'], 'a/foo', false, false],
  [['*.md'], 'README.md', false, true],
  [['*.md'], 'docs/README.md', false, false],
  [['*/*.md'], 'docs/README.md', false, true],
  [['**/*.md'], 'docs/a/README.md', false, true],
  [['**/*.md'], 'README.md', false, true],
  [['**/node_modules'], 'node_modules', true, true],
  [['**/node_modules'], 'a/b/node_modules/x.js', false, true],
  [['**'], 'anything/at/all', false, true],
  [['dir/**'], 'dir/x', false, true],
  [['dir/**'], 'dir', true, false],
  [['dir/**/x'], 'dir/x', false, true],
  [['dir/**/x'], 'dir/a/b/x', false, true],
  [['**foo'], 'barfoo', false, true],
  [['**foo'], 'a/bfoo', false, true],
  [['?.txt'], 'a.txt', false, true],
  [['?.txt'], 'ab.txt', false, false],
  [['a?c'], 'a/c', false, false],
  [['[abc].txt'], 'b.txt', false, true],
  [['[abc].txt'], 'd.txt', false, false],
  [['[a-c]*'], 'bravo', false, true],
  [['[^a]*'], 'bravo', false, true],
  [['[^a]*'], 'alpha', false, false],
  [['file\\*'], 'file*', false, true],
  [['file\\*'], 'fileX', false, false],
  [['a.b'], 'axb', false, false],
  [['a+b(c)'], 'a+b(c)', false, true],
  [['*', '!keep'], 'keep', false, false],
  [['*', '!keep'], 'other', false, true],
  [['*.md', '!README.md'], 'README.md', false, false],
  [['*.md', '!README.md', 'README*'], 'README.md', false, true],
  [['docs', '!docs/keep.md'], 'docs/keep.md', false, false],
  [['docs', '!docs/keep.md'], 'docs/other.md', false, true],
  [['docs', '!docs/keep.md'], 'docs', true, true],
  [['!foo'], 'foo', false, false],
  [['/foo'], 'foo', false, true],
  [['./foo/'], 'foo/x', false, true],
  [['foo/./bar'], 'foo/bar', false, true],
  [['foo'], './foo', false, true],
  [['*'], 'Dockerfile', false, false],
  [['*'], '.dockerignore', false, false],
  [['*'], 'sub/Dockerfile', false, true],
];

for (const [patterns, path, isDir, expected] of cases) {
  test(`ignored(${JSON.stringify(path)}) with ${JSON.stringify(patterns)} is ${expected}`, () => {
    const m = new DockerignoreMatcher(patterns, { alwaysInclude: ['Dockerfile', '.dockerignore'] });
    assert.equal(m.ignored(path, isDir), expected);
  });
}

// [patterns, directory, can skip]
const skipCases: [string[], string, boolean][] = [
  [['node_modules'], 'node_modules', true],
  [['node_modules'], 'src', false],
  [['docs', '!docs/keep.md'], 'docs', false],
  [['docs', '!other/keep.md'], 'docs', true],
  [['docs', '!*/keep.md'], 'docs', false],
  [['docs', '!**/keep.md'], 'docs', false],
  [['docs', '!d*'], 'docs', false],
  [['a', '!a/b/c'], 'a/x', true],
  [['a', '!a/b/c'], 'a/b', false],
  [['*', '!src'], 'vendor', true],
  [['build'], 'build', false],
];

for (const [patterns, dir, expected] of skipCases) {
  test(`canSkipDir(${JSON.stringify(dir)}) with ${JSON.stringify(patterns)} is ${expected}`, () => {
    const m = new DockerignoreMatcher(patterns, { alwaysInclude: ['build/Dockerfile'] });
    assert.equal(m.canSkipDir(dir), expected);
  });
}

const badPatterns: [string, string][] = [
  ['!', '.dockerignore:1: "!" alone is not a pattern: write !PATH'],
  ['[', '.dockerignore:1: bad pattern "[": malformed character class'],
  ['a[b', '.dockerignore:1: bad pattern "a[b": unterminated character class'],
  ['[]a]', '.dockerignore:1: bad pattern "[]a]": malformed character class'],
  ['[a-]', '.dockerignore:1: bad pattern "[a-]": malformed character class'],
];

for (const [pattern, message] of badPatterns) {
  test(`bad pattern ${JSON.stringify(pattern)}`, () => {
    assert.throws(
      () => new DockerignoreMatcher(readDockerignore(pattern)),
      (err: unknown) => isBuilderError(err, 'CONTEXT_INVALID') && err.message === message,
    );
  });
}

test('loadDockerignore: the Dockerfile-specific file wins over the root one', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-ignore-'));
  try {
    await mkdir(join(dir, 'docker'));
    await writeFile(join(dir, '.dockerignore'), 'root-only\n');
    await writeFile(join(dir, 'docker', 'app.Dockerfile'), 'FROM a\n');
    await writeFile(join(dir, 'docker', 'app.Dockerfile.dockerignore'), '*\n!src\n');
    const specific = await loadDockerignore(dir, 'docker/app.Dockerfile');
    assert.equal(specific.file, join(dir, 'docker', 'app.Dockerfile.dockerignore'));
    assert.deepEqual(
      ['root-only', 'src/main.ts', 'docker/app.Dockerfile', 'docker', '.dockerignore'].map((p) => specific.matcher.ignored(p, false)),
      [true, false, false, true, false],
    );
    const root = await loadDockerignore(dir, 'Dockerfile');
    assert.equal(root.file, join(dir, '.dockerignore'));
    assert.deepEqual([root.matcher.ignored('root-only', false), root.matcher.ignored('src', true)], [true, false]);
    const none = await loadDockerignore(join(dir, 'docker'));
    assert.deepEqual([none.file, none.matcher.ignored('x', false)], [undefined, false]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('loadDockerignore: errors name the ignore file and the line', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-ignore-'));
  try {
    await writeFile(join(dir, '.dockerignore'), '# ok\nfine\nbad[\n');
    await assert.rejects(loadDockerignore(dir, 'Dockerfile'), { message: '.dockerignore:3: bad pattern "bad[": malformed character class' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('repeated **/ in a pattern matches like one and stays fast on long paths', () => {
  const m = new DockerignoreMatcher(['**/**/**/**/**/x']);
  const long = Array.from({ length: 200 }, (_, i) => `d${i}`).join('/');
  const start = performance.now();
  assert.deepEqual([m.ignored(`${long}/x`, false), m.ignored(`${long}/y`, false), m.ignored('x', false)], [true, false, true]);
  assert.ok(performance.now() - start < 2000);
});
