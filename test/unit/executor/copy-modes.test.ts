// --chmod as BuildKit parses it: octal up to 07777, or chmod(1) symbolic clauses applied to each
// entry's own mode (umask 0; X only for directories or already-executable files).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseChmod } from '../../../src/executor/copy/chmod.ts';
import { isBuilderError } from '../../../src/util/errors.ts';

const CASES: Array<[spec: string, mode: number, isDir: boolean, want: number]> = [
  ['0755', 0o600, false, 0o755],
  ['755', 0o600, true, 0o755],
  ['4755', 0o644, false, 0o4755],
  ['7777', 0, false, 0o7777],
  ['0', 0o777, false, 0],
  ['u+x', 0o644, false, 0o744],
  ['+x', 0o644, false, 0o755],
  ['a-w', 0o666, false, 0o444],
  ['g-w,o-rwx', 0o777, false, 0o750],
  ['u=rw,go=r', 0o777, false, 0o644],
  ['go=', 0o755, true, 0o700],
  ['a=rX', 0o640, false, 0o444],
  ['a=rX', 0o740, false, 0o555],
  ['a=rX', 0o700, true, 0o555],
  ['+X', 0o644, false, 0o644],
  ['u+s', 0o755, false, 0o4755],
  ['g+s', 0o755, true, 0o2755],
  ['o+s', 0o755, false, 0o755],
  ['+t', 0o777, true, 0o1777],
  ['go=u', 0o740, false, 0o777],
  ['go=u-w', 0o750, false, 0o755],
  ['u-s', 0o4755, false, 0o755],
  ['u+rwx,g+rx-w', 0o000, false, 0o750],
  // An operator with no permissions is valid and changes nothing (BSD setmode).
  ['u+', 0o640, false, 0o640],
];

test('--chmod values map modes exactly as BuildKit (octal replaces, symbolic edits)', () => {
  for (const [spec, mode, isDir, want] of CASES) {
    const got = parseChmod(spec, 'COPY')(mode, isDir);
    assert.equal(got.toString(8), want.toString(8), `${spec} on ${mode.toString(8)}${isDir ? ' (dir)' : ''}`);
  }
});

test('bad --chmod values are Dockerfile errors with BuildKit\'s wording', () => {
  for (const [spec, message] of [
    ['8', /invalid chmod parameter: '8'. it should be octal string and between 0 and 07777/],
    ['10000', /between 0 and 07777/],
    ['0x755', /it should be octal string/],
    ['x+r', /invalid chmod parameter: 'x\+r'/],
    ['', /invalid chmod parameter: ''/],
  ] as const) {
    assert.throws(() => parseChmod(spec, 'Dockerfile:2: COPY'), (err: unknown) => {
      assert.ok(isBuilderError(err, 'DOCKERFILE_PARSE'));
      assert.match(err.message, /^Dockerfile:2: COPY: /);
      assert.match(err.message, message);
      return true;
    }, spec);
  }
});
