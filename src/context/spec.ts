// The `--context` value as kaniko reads it: a plain path or dir://PATH, tar://PATH (a tar or
// tar.gz file), tar://stdin; the remote kinds kaniko also knows (gs://, s3://, Azure blob
// https://, git://) are named so the error can say they are not supported yet.
import { resolve } from 'node:path';
import { BuilderError } from '../util/errors.ts';

export type ContextSpec =
  | { kind: 'dir'; path: string }
  | { kind: 'tar'; path: string }
  | { kind: 'stdin' };

const LATER = ['gs', 's3', 'https', 'http', 'git'];

export function parseContextSpec(value: string, cwd = process.cwd()): ContextSpec {
  if (value === 'tar://stdin') return { kind: 'stdin' };
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: 'dir', path: resolve(cwd, value === '' ? '.' : value) };
  const rest = value.slice(scheme.length + 3);
  if (scheme === 'dir') return { kind: 'dir', path: resolve(cwd, rest === '' ? '.' : rest) };
  if (scheme === 'tar') {
    if (rest === '') throw new BuilderError('CONTEXT_INVALID', `--context=${value}: tar:// needs a path or "stdin"`);
    return { kind: 'tar', path: resolve(cwd, rest) };
  }
  const later = LATER.includes(scheme);
  throw new BuilderError(
    'CONTEXT_INVALID',
    later
      ? `--context=${value}: ${scheme}:// build contexts are not supported yet (supported: a directory, dir://, tar://, tar://stdin)`
      : `--context=${value}: unknown build context scheme ${scheme}:// (supported: a directory, dir://, tar://, tar://stdin)`,
  );
}
