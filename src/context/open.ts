// Opens a build context: whatever `--context` names becomes a local directory, narrowed by
// `--context-sub-path`, with its .dockerignore loaded and the Dockerfile located in it.
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { Readable } from 'node:stream';
import { BuilderError } from '../util/errors.ts';
import { decompressByContent } from './decompress.ts';
import { loadDockerignore } from './dockerignore.ts';
import type { IgnoreFilter } from './filter.ts';
import { resolveRelative } from '../tar/root-path.ts';
import { parseContextSpec, type ContextSpec } from './spec.ts';
import { ArchiveError, extractTar } from './untar.ts';

export interface OpenContextOptions {
  /** `--context-sub-path`: a directory inside the context to build instead of its root. */
  subPath?: string;
  /** `--dockerfile`: relative to the (sub-path) context unless absolute; `-` is stdin. */
  dockerfilePath?: string;
  /** Read for `tar://stdin` (default: process.stdin). */
  stdin?: Readable;
  /** Where tar contexts are extracted (default: the OS temp dir). */
  tmpDir?: string;
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
}

export async function openContext(spec: string, opts: OpenContextOptions = {}): Promise<BuildContext> {
  const parsed = parseContextSpec(spec);
  const { root, cleanup } = await materialize(parsed, spec, opts);
  try {
    const dir = await narrow(root, spec, opts.subPath);
    const dockerfile = await locateDockerfile(dir, opts.dockerfilePath ?? 'Dockerfile');
    const { matcher } = await loadDockerignore(dir, dockerfile === '-' ? undefined : dockerfile);
    return { dir, ignore: matcher, dockerfile, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

async function materialize(parsed: ContextSpec, spec: string, opts: OpenContextOptions): Promise<{ root: string; cleanup: () => Promise<void> }> {
  if (parsed.kind === 'dir') {
    const st = await stat(parsed.path).catch(() => undefined);
    if (!st) throw new BuilderError('CONTEXT_NOT_FOUND', `--context=${spec}: build context directory ${parsed.path} does not exist`);
    if (!st.isDirectory()) {
      throw new BuilderError('CONTEXT_INVALID', `--context=${spec}: ${parsed.path} is not a directory (use tar:// for an archive)`);
    }
    return { root: parsed.path, cleanup: async () => undefined };
  }
  let input: Readable;
  let what: string;
  if (parsed.kind === 'tar') {
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
  try {
    const { stream } = await decompressByContent(input);
    await extractTar(stream, root, { keepOwnership: false });
  } catch (err) {
    await cleanup();
    if (err instanceof BuilderError) throw err;
    const reason = err instanceof ArchiveError ? err.message : `not a tar or compressed tar: ${(err as Error).message}`;
    throw new BuilderError('CONTEXT_INVALID', `--context=${spec}: ${what}: ${reason}`, { cause: err });
  }
  return { root, cleanup };
}

/** Applies --context-sub-path, resolved inside the context so a symlink cannot lead out of it. */
async function narrow(root: string, spec: string, subPath: string | undefined): Promise<string> {
  if (subPath === undefined || subPath === '' || subPath === '.') return root;
  const rel = await resolveRelative(root, subPath, { followLeaf: true });
  const dir = join(root, rel);
  const st = await stat(dir).catch(() => undefined);
  if (!st) throw new BuilderError('CONTEXT_NOT_FOUND', `--context-sub-path=${subPath}: no such directory in the build context ${spec}`);
  if (!st.isDirectory()) throw new BuilderError('CONTEXT_INVALID', `--context-sub-path=${subPath}: not a directory in the build context ${spec}`);
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
