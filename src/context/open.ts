// Opens a build context: whatever `--context` names becomes a local directory, narrowed by
// `--context-sub-path`, with its .dockerignore loaded and the Dockerfile located in it.
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { displayUrl } from '../util/display-url.ts';
import { BuilderError } from '../util/errors.ts';
import { decompressByContent } from './decompress.ts';
import { openAzureBlob } from './azure-blob.ts';
import { openGcsObject } from './gcs.ts';
import { fetchGitContext, parseGitContext } from './git-context.ts';
import { loadDockerignore } from './dockerignore.ts';
import type { IgnoreFilter } from './filter.ts';
import { resolveRelative } from '../tar/root-path.ts';
import { openS3Object } from './s3.ts';
import { parseContextSpec, type ContextSpec } from './spec.ts';
import { ArchiveError, extractTar } from './untar.ts';
import { openUrl } from './url.ts';

export interface OpenContextOptions {
  /** `--context-sub-path`: a directory inside the context to build instead of its root. */
  subPath?: string;
  /** `--dockerfile`: relative to the (sub-path) context unless absolute; `-` is stdin. */
  dockerfilePath?: string;
  /** Read for `tar://stdin` (default: process.stdin). */
  stdin?: Readable;
  /** Where tar contexts are extracted and git contexts checked out (default: the OS temp dir). */
  tmpDir?: string;
  /** `--git`: kaniko's options for a git context (branch=,single-branch=,recurse-submodules=,insecure-skip-tls=). */
  git?: string;
}

export interface BuildContext {
  /** The local directory holding the context. */
  dir: string;
  /** The .dockerignore rules (`<Dockerfile>.dockerignore` first, then `.dockerignore`). */
  ignore: IgnoreFilter;
  /** Absolute path of the Dockerfile, or `-` when the caller reads it from stdin. */
  dockerfile: string;
  /** Removes what opening made (an extracted tar); a local directory is left alone. */
  cleanup(): Promise<void>;
  /** For a remote context: the archive bytes received and how long fetching and unpacking took. */
  fetched?: Fetched;
}

/** A remote context's bytes received, the time fetching took, and a git context's commit. */
export interface Fetched {
  bytes: number;
  seconds: number;
  commit?: string;
}

interface Materialized {
  root: string;
  cleanup: () => Promise<void>;
  fetched?: Fetched;
}

export async function openContext(value: string, opts: OpenContextOptions = {}): Promise<BuildContext> {
  const parsed = parseContextSpec(value);
  // Messages name the context without a password a URL may carry.
  const spec = parsed.kind === 'url' || parsed.kind === 'git' ? displayUrl(value) : value;
  const { root, cleanup, fetched } = await materialize(parsed, spec, opts);
  try {
    const dir = opts.subPath ? await narrow(root, opts.subPath, `--context-sub-path=${opts.subPath}`, `the build context ${spec}`) : root;
    const dockerfile = await locateDockerfile(dir, opts.dockerfilePath ?? 'Dockerfile');
    const { matcher } = await loadDockerignore(dir, dockerfile === '-' ? undefined : dockerfile);
    return { dir, ignore: matcher, dockerfile, cleanup, ...(fetched ? { fetched } : {}) };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

async function materialize(parsed: ContextSpec, spec: string, opts: OpenContextOptions): Promise<Materialized> {
  if (parsed.kind === 'dir') {
    const st = await stat(parsed.path).catch(() => undefined);
    if (!st) throw new BuilderError('CONTEXT_NOT_FOUND', `--context=${spec}: build context directory ${parsed.path} does not exist`);
    if (!st.isDirectory()) {
      throw new BuilderError('CONTEXT_INVALID', `--context=${spec}: ${parsed.path} is not a directory (use tar:// for an archive)`);
    }
    return { root: parsed.path, cleanup: async () => undefined };
  }
  const started = performance.now();
  if (parsed.kind === 'git') return materializeGit(parsed.url, spec, opts, started);
  let input: Readable;
  let what: string;
  let remote = false;
  if (parsed.kind === 's3' || parsed.kind === 'gs' || parsed.kind === 'url' || parsed.kind === 'azure-blob') {
    input = (await openRemote(parsed, spec)).stream;
    what = parsed.kind === 'url' || parsed.kind === 'azure-blob' ? spec : `${parsed.kind}://${parsed.bucket}/${parsed.key}`;
    remote = true;
  } else if (parsed.kind === 'tar') {
    const st = await stat(parsed.path).catch(() => undefined);
    if (!st) throw new BuilderError('CONTEXT_NOT_FOUND', `--context=${spec}: build context archive ${parsed.path} does not exist`);
    if (!st.isFile()) throw new BuilderError('CONTEXT_INVALID', `--context=${spec}: ${parsed.path} is not a file`);
    input = createReadStream(parsed.path);
    what = parsed.path;
  } else {
    input = opts.stdin ?? process.stdin;
    what = 'stdin';
  }
  const root = await mkdtemp(join(opts.tmpDir ?? tmpdir(), 'kiln-context-'));
  const cleanup = (): Promise<void> => rm(root, { recursive: true, force: true });
  const counted = countBytes(input);
  try {
    const { stream } = await decompressByContent(counted.stream);
    await extractTar(stream, root, { keepOwnership: false });
  } catch (err) {
    input.destroy();
    await cleanup();
    if (err instanceof BuilderError) throw err;
    const reason = err instanceof ArchiveError ? err.message : `not a tar or compressed tar: ${(err as Error).message}`;
    throw new BuilderError('CONTEXT_INVALID', `--context=${spec}: ${what}: ${reason}`, { cause: err });
  }
  if (!remote) return { root, cleanup };
  return { root, cleanup, fetched: { bytes: counted.bytes(), seconds: (performance.now() - started) / 1000 } };
}

function openRemote(parsed: ContextSpec & { kind: 's3' | 'gs' | 'url' | 'azure-blob' }, spec: string): Promise<{ stream: Readable }> {
  if (parsed.kind === 'url') return openUrl(parsed.url, spec);
  if (parsed.kind === 'azure-blob') return openAzureBlob(parsed.url, spec);
  return parsed.kind === 's3' ? openS3Object(parsed.bucket, parsed.key, spec) : openGcsObject(parsed.bucket, parsed.key, spec);
}

async function materializeGit(url: string, spec: string, opts: OpenContextOptions, started: number): Promise<Materialized> {
  const where = `--context=${spec}`;
  const context = parseGitContext(url, opts.git ?? '', where);
  const root = await mkdtemp(join(opts.tmpDir ?? tmpdir(), 'kiln-context-'));
  const cleanup = (): Promise<void> => rm(root, { recursive: true, force: true });
  try {
    const { bytes, commit } = await fetchGitContext(context, root, where);
    const dir = context.subdir ? await narrow(root, context.subdir, where, 'the repository') : root;
    return { root: dir, cleanup, fetched: { bytes, seconds: (performance.now() - started) / 1000, commit } };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Passes `input` through, counting what it carries, so a remote archive's size is known without a copy. */
function countBytes(input: Readable): { stream: Readable; bytes: () => number } {
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  input.once('error', (err) => counter.destroy(err));
  input.pipe(counter);
  return { stream: counter, bytes: () => bytes };
}

/**
 * Applies --context-sub-path or a git context's `#ref:subdir`, resolved inside the context so a
 * symlink cannot lead out of it; `label` and `place` word the error.
 */
async function narrow(root: string, subPath: string, label: string, place: string): Promise<string> {
  if (subPath === '.') return root;
  const rel = await resolveRelative(root, subPath, { followLeaf: true });
  const dir = join(root, rel);
  const st = await stat(dir).catch(() => undefined);
  if (!st) throw new BuilderError('CONTEXT_NOT_FOUND', `${label}: no such directory in ${place}`);
  if (!st.isDirectory()) throw new BuilderError('CONTEXT_INVALID', `${label}: not a directory in ${place}`);
  return dir;
}

async function locateDockerfile(dir: string, path: string): Promise<string> {
  if (path === '-') return '-';
  const file = isAbsolute(path) ? path : join(dir, path);
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) {
    throw new BuilderError('FILE_NOT_FOUND', `--dockerfile=${path}: no Dockerfile at ${file}`);
  }
  return file;
}
