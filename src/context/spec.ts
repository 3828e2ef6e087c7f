// The `--context` value as kaniko reads it: a plain path or dir://PATH, tar://PATH (a tar or
// tar.gz file), tar://stdin, s3://BUCKET/KEY, gs://BUCKET/KEY, Azure blob URLs and http(s):// URLs
// of a (compressed) tar, and git repositories (git://, ssh://, http(s)://….git).
import { resolve } from 'node:path';
import { BuilderError } from '../util/errors.ts';
import { isAzureBlobUrl } from './azure-blob.ts';

export type ContextSpec =
  | { kind: 'dir'; path: string }
  | { kind: 'tar'; path: string }
  | { kind: 'stdin' }
  | { kind: 's3' | 'gs'; bucket: string; key: string }
  | { kind: 'url'; url: string }
  | { kind: 'azure-blob'; url: string }
  | { kind: 'git'; url: string };

const SUPPORTED = 'a directory, dir://, tar://, tar://stdin, s3://, gs://, https:// (Azure blobs too), git://';

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
  if (scheme === 's3' || scheme === 'gs') {
    const slash = rest.indexOf('/');
    if (slash <= 0 || slash === rest.length - 1) {
      throw new BuilderError('CONTEXT_INVALID', `--context=${value}: ${scheme}:// needs a bucket and an object key (${scheme}://BUCKET/path/to/context.tar.gz)`);
    }
    return { kind: scheme, bucket: rest.slice(0, slash), key: rest.slice(slash + 1) };
  }
  if (scheme === 'git' || scheme === 'ssh') return { kind: 'git', url: value };
  if (scheme === 'http' || scheme === 'https') {
    const path = value.split('#')[0].split('?')[0];
    if (path.endsWith('.git')) return { kind: 'git', url: value };
    return isAzureBlobUrl(value) ? { kind: 'azure-blob', url: value } : { kind: 'url', url: value };
  }
  throw new BuilderError('CONTEXT_INVALID', `--context=${value}: unknown build context scheme ${scheme}:// (supported: ${SUPPORTED})`);
}
