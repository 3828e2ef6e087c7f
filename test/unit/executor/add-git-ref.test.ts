// Which ADD sources are git repositories, with BuildKit's rules: git://, ssh://, user@host:path,
// and http(s) URLs whose path ends in .git; `#ref:subdir` and `?ref=&subdir=&keep-git-dir=`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGitRef } from '../../../src/executor/copy/add-git.ts';

test('git sources and their refs, subdirs and keep-git-dir', () => {
  const cases: Array<[string, ReturnType<typeof parseGitRef>]> = [
    ['https://github.com/moby/buildkit.git', { remote: 'https://github.com/moby/buildkit.git', ref: undefined, subdir: undefined, keepGitDir: undefined }],
    ['https://github.com/moby/buildkit.git#v0.10.1', { remote: 'https://github.com/moby/buildkit.git', ref: 'v0.10.1', subdir: undefined, keepGitDir: undefined }],
    ['https://github.com/moby/buildkit.git#main:docs', { remote: 'https://github.com/moby/buildkit.git', ref: 'main', subdir: 'docs', keepGitDir: undefined }],
    ['https://github.com/moby/buildkit.git#:docs', { remote: 'https://github.com/moby/buildkit.git', ref: undefined, subdir: 'docs', keepGitDir: undefined }],
    ['http://127.0.0.1:8080/repo.git?ref=v1&subdir=sub&keep-git-dir=true', { remote: 'http://127.0.0.1:8080/repo.git', ref: 'v1', subdir: 'sub', keepGitDir: true }],
    ['git://127.0.0.1:9418/repo.git#abc123', { remote: 'git://127.0.0.1:9418/repo.git', ref: 'abc123', subdir: undefined, keepGitDir: undefined }],
    ['git@github.com:moby/buildkit.git#main', { remote: 'git@github.com:moby/buildkit.git', ref: 'main', subdir: undefined, keepGitDir: undefined }],
    ['ssh://git@github.com/moby/buildkit', { remote: 'ssh://git@github.com/moby/buildkit', ref: undefined, subdir: undefined, keepGitDir: undefined }],
  ];
  for (const [src, want] of cases) assert.deepEqual(parseGitRef(src), want, src);
});

test('plain URLs and local paths are not git sources', () => {
  for (const src of ['https://example.com/file.tar.gz', 'https://github.com/moby/buildkit', 'github.com/moby/buildkit.git', './repo.git', 'repo.git', '/abs/path.git', 'a:b']) {
    assert.equal(parseGitRef(src), undefined, src);
  }
});
