// The `--context` value as kaniko reads it: a plain path or dir://PATH, tar://PATH (a tar or
// tar.gz file), tar://stdin, s3://BUCKET/KEY and http(s):// URLs of a (compressed) tar; the
// remote kinds kaniko also knows but kiln does not fetch yet (gs://, git://) are named so the
// error can say they are not supported yet.
import { resolve } from 'node:path';
import { BuilderError } from '../util/errors.ts';

export type ContextSpec =
  | { kind: 'dir'; path: string }
  | { kind: 'tar'; path: string }
  | { kind: 'stdin' }
  | { kind: 's3'; bucket: string; key: string }
  | { kind: 'url'; url: string }
  | { kind: 'git'; url: string };

const LATER = ['gs'];
const SUPPORTED = 'a directory, dir://, tar://, tar://stdin, s3://, https://, git://';

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
  if (scheme === 's3') {
    const slash = rest.indexOf('/');
    if (slash <= 0 || slash === rest.length - 1) {
      throw new BuilderError('CONTEXT_INVALID', `--context=${value}: s3:// needs a bucket and an object key (s3://BUCKET/path/to/context.tar.gz)`);
    }
    return { kind: 's3', bucket: rest.slice(0, slash), key: rest.slice(slash + 1) };
  }
  if (scheme === 'git' || scheme === 'ssh') return { kind: 'git', url: value };
  if (scheme === 'http' || scheme === 'https') {
    const path = value.split('#')[0].split('?')[0];
    return path.endsWith('.git') ? { kind: 'git', url: value } : { kind: 'url', url: value };
  }
  const later = LATER.includes(scheme);
  throw new BuilderError(
    'CONTEXT_INVALID',
    later
      ? `--context=${value}: ${scheme}:// build contexts are not supported yet (supported: ${SUPPORTED})`
      : `--context=${value}: unknown build context scheme ${scheme}:// (supported: ${SUPPORTED})`,
  );
}
