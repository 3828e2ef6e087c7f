// One COPY or ADD into a stage's rootfs, with BuildKit's meaning of every source kind and flag.
// Returns the paths written (relative to the rootfs, sorted) so the snapshotter needs no scan.
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { NO_IGNORE, type IgnoreFilter } from '../../context/filter.ts';
import { resolveRelative } from '../../tar/root-path.ts';
import type { Owner } from '../../context/untar.ts';
import { BuilderError, fromSystemError } from '../../util/errors.ts';
import { checkoutGit, parseGitRef, type GitRef } from './add-git.ts';
import { displayUrl } from '../../util/display-url.ts';
import { downloadUrl, isHttpUrl, parseChecksum } from './add-url.ts';
import { isTarArchive, unpackArchive } from './archive.ts';
import { parseChmod, type ModeChange } from './chmod.ts';
import { resolveChown } from './chown.ts';
import { destination, mkdirAllInRoot, type Destination } from './dest.ts';
import { applyScratch } from './link.ts';
import { cleanSource, resolveLocalSource, type LocalMatch } from './local-source.ts';
import { compilePatterns, type PathMatcher } from './patterns.ts';
import { TreeCopier } from './tree.ts';
import { hasWildcards } from './wildcard.ts';

/** Where local sources are read from. */
export interface SourceRoot {
  dir: string;
  /**
   * `context`: the build context, whose files arrive owned by 0:0 (BuildKit resets them) and
   * which `ignore` filters; `stage` / `image` (`--from`): owners are kept, nothing is hidden.
   */
  kind: 'context' | 'stage' | 'image';
  ignore?: IgnoreFilter;
  /** The stage name or image reference, for messages. */
  name?: string;
}

export interface Heredoc {
  /** The heredoc's name (`EOF` in `COPY <<EOF /dest`), used as the file name. */
  name: string;
  content: string;
}

export interface CopyRequest {
  instruction: 'COPY' | 'ADD';
  /** `Dockerfile:12`, prefixed to every message. */
  location?: string;
  /** Source words after expansion (paths, wildcards; for ADD also URLs and git refs). */
  sources: string[];
  heredocs?: Heredoc[];
  /** Destination word after expansion. */
  dest: string;
  from: SourceRoot;
  /** The destination stage's rootfs directory. */
  rootfs: string;
  /** The stage's WORKDIR (absolute). */
  workdir: string;
  chown?: string;
  chmod?: string;
  link?: boolean;
  parents?: boolean;
  exclude?: string[];
  /** ADD only: `--checksum=sha256:…` for a URL, or a commit id for a git source. */
  checksum?: string;
  /** ADD only: keep `.git` of a git source. */
  keepGitDir?: boolean;
  /** Where temporary downloads and checkouts go (default: the OS temp dir). */
  tmpDir?: string;
}

type Item =
  | { kind: 'match'; root: string; keepOwner: boolean; ignore: IgnoreFilter; match: LocalMatch; unpack: boolean }
  | { kind: 'parents'; root: string; keepOwner: boolean; ignore: IgnoreFilter; match: LocalMatch; include: PathMatcher };

interface Context {
  req: CopyRequest;
  label: string;
  owner?: Owner;
  mode?: ModeChange;
  exclude?: PathMatcher;
  dest: Destination;
  tmp: string;
}

export async function copyFiles(req: CopyRequest): Promise<string[]> {
  const label = req.location ? `${req.location}: ${req.instruction}` : req.instruction;
  validateFlags(req, label);
  const tmp = await mkdtemp(join(req.tmpDir ?? tmpdir(), 'kiln-copy-'));
  try {
    const ctx: Context = {
      req,
      label,
      owner: req.chown ? await resolveChown(req.chown, req.rootfs, label) : undefined,
      mode: req.chmod ? parseChmod(req.chmod, label) : undefined,
      exclude: req.exclude?.length ? compilePatterns(req.exclude, `${label} --exclude`) : undefined,
      dest: destination(req.dest, req.workdir),
      tmp,
    };
    const items = await plan(ctx);
    if (items.length > 1 && !ctx.dest.isDir) {
      throw new BuilderError(
        'DOCKERFILE_PARSE',
        `${label}: When using ${req.instruction} with more than one source file, the destination must be a directory and end with a /`,
      );
    }
    // BuildKit gives up --link when --chmod is set and copies in place.
    const linked = req.link === true && !req.chmod;
    const target = linked ? await mkdtemp(join(tmp, 'scratch-')) : req.rootfs;
    const written = new Set<string>();
    for (const item of items) await copyItem(ctx, item, target, written);
    if (!linked) return sorted(written);
    const applied = new Set<string>();
    await applyScratch(target, req.rootfs, applied);
    return sorted(applied);
  } catch (err) {
    throw systemFailure(err, label, [req.rootfs, req.from.dir, tmp]);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** A file system error (no space, permission) as a BuilderError naming the path inside its root. */
function systemFailure(err: unknown, label: string, roots: string[]): unknown {
  if (err instanceof BuilderError) return err;
  const host = (err as NodeJS.ErrnoException | undefined)?.path;
  if (host === undefined) return err;
  const root = roots.find((r) => host === r || host.startsWith(`${r}/`));
  return fromSystemError(err, `${label}: ${root === undefined ? host : `/${host.slice(root.length + 1)}`}`);
}

function sorted(paths: Set<string>): string[] {
  return [...paths].filter((p) => p !== '').sort();
}

function validateFlags(req: CopyRequest, label: string): void {
  const misuse = (msg: string): BuilderError => new BuilderError('DOCKERFILE_PARSE', `${label}: ${msg}`);
  if (req.sources.length + (req.heredocs?.length ?? 0) === 0) throw misuse('no source files were specified');
  if (req.instruction === 'COPY') {
    if (req.checksum !== undefined) throw misuse("checksum can't be specified for COPY");
    if (req.keepGitDir !== undefined) throw misuse("--keep-git-dir can't be specified for COPY");
  }
  if (req.checksum !== undefined) {
    if (req.sources.length !== 1) throw misuse("checksum can't be specified for multiple sources");
    const src = req.sources[0];
    if (!isHttpUrl(src) && !parseGitRef(src)) throw misuse('checksum requires HTTP(S) or Git sources');
    if (!parseGitRef(src)) parseChecksum(req.checksum, label);
  }
}

/** Turns every source into items to copy, fetching remote ones into the temp dir. */
async function plan(ctx: Context): Promise<Item[]> {
  const { req, label } = ctx;
  const items: Item[] = [];
  let n = 0;
  const scratch = async (): Promise<string> => {
    const dir = join(ctx.tmp, `src-${n++}`);
    await mkdir(dir);
    return dir;
  };
  for (const src of req.sources) {
    const git = parseGitRef(src);
    if (git) {
      if (req.instruction === 'COPY') throw new BuilderError('DOCKERFILE_PARSE', `${label}: source can't be a git ref for COPY`);
      items.push(await gitItem(ctx, git, await scratch()));
    } else if (isHttpUrl(src)) {
      if (req.instruction === 'COPY') throw new BuilderError('DOCKERFILE_PARSE', `${label}: source can't be a URL for COPY`);
      const dir = await scratch();
      const name = await downloadUrl(src, dir, req.checksum, label);
      items.push(fileItem(dir, name));
    } else if (req.parents) {
      items.push(...(await parentsItems(ctx, src)));
    } else {
      const matches = await resolveLocalSource(req.from.dir, src, ignoreOf(req.from), (s) => notFound(ctx, s));
      for (const match of matches) {
        items.push({ kind: 'match', root: req.from.dir, keepOwner: req.from.kind !== 'context', ignore: ignoreOf(req.from), match, unpack: req.instruction === 'ADD' });
      }
    }
  }
  for (const doc of req.heredocs ?? []) {
    const dir = await scratch();
    const name = posix.basename(doc.name);
    await writeFile(join(dir, name), doc.content);
    // BuildKit makes heredoc files 0644 whatever our umask is.
    await chmod(join(dir, name), 0o644);
    items.push(fileItem(dir, name));
  }
  return items;
}

function fileItem(dir: string, name: string): Item {
  return { kind: 'match', root: dir, keepOwner: false, ignore: NO_IGNORE, match: { rel: name, name, isDir: false }, unpack: false };
}

function ignoreOf(from: SourceRoot): IgnoreFilter {
  return from.kind === 'context' && from.ignore ? from.ignore : NO_IGNORE;
}

function notFound(ctx: Context, src: string): BuilderError {
  const { from } = ctx.req;
  const where = from.kind === 'context' ? 'build context or excluded by .dockerignore' : `${from.kind} ${from.name ?? from.dir}`;
  return new BuilderError('FILE_NOT_FOUND', `${ctx.label} failed: file not found in ${where}: stat ${src}: file does not exist`);
}

async function gitItem(ctx: Context, git: GitRef, dir: string): Promise<Item> {
  const keep = git.keepGitDir ?? ctx.req.keepGitDir ?? false;
  if (ctx.req.keepGitDir !== undefined && git.keepGitDir !== undefined && ctx.req.keepGitDir !== git.keepGitDir) {
    throw new BuilderError('DOCKERFILE_PARSE', `${ctx.label}: inconsistent keep-git-dir configuration`);
  }
  await checkoutGit(git, dir, keep, ctx.label, ctx.req.checksum);
  const rel = git.subdir ? await resolveRelative(dir, git.subdir, { followLeaf: true }) : '';
  const st = await stat(join(dir, rel)).catch(() => undefined);
  if (!st?.isDirectory()) {
    throw new BuilderError('FILE_NOT_FOUND', `${ctx.label}: ${displayUrl(git.remote)}: no directory ${git.subdir} in the repository`);
  }
  return { kind: 'match', root: dir, keepOwner: true, ignore: NO_IGNORE, match: { rel, name: '/', isDir: true }, unpack: false };
}

/**
 * `--parents`: the source splits at `/./` into a pivot and a pattern (the whole source and the
 * context root without one); the pivot's tree is copied keeping only what the pattern matches,
 * with the directories on the way. A source without wildcards must exist.
 */
async function parentsItems(ctx: Context, src: string): Promise<Item[]> {
  const { req } = ctx;
  const cut = src.indexOf('/./');
  const pivot = cut < 0 ? '/' : src.slice(0, cut);
  const pattern = cleanSource(cut < 0 ? src : src.slice(cut + 3));
  const ignore = ignoreOf(req.from);
  if (!hasWildcards(pivot) && !hasWildcards(pattern)) {
    await resolveLocalSource(req.from.dir, posix.join(pivot, pattern), ignore, () => notFound(ctx, src));
  }
  const include = compilePatterns([pattern], `${ctx.label} --parents`);
  const pivots = await resolveLocalSource(req.from.dir, pivot, ignore, () => notFound(ctx, src));
  return pivots.map((match) => ({ kind: 'parents' as const, root: req.from.dir, keepOwner: req.from.kind !== 'context', ignore, match, include }));
}

async function copyItem(ctx: Context, item: Item, target: string, written: Set<string>): Promise<void> {
  const { dest, owner } = ctx;
  const srcHost = join(item.root, item.match.rel);
  if (item.kind === 'match' && item.unpack && !item.match.isDir && (await isTarArchive(srcHost))) {
    const destRel = await mkdirAllInRoot(target, dest.path, owner, written);
    let paths: string[];
    try {
      paths = await unpackArchive(srcHost, join(target, destRel), owner);
    } catch (err) {
      if (err instanceof BuilderError) throw err;
      throw new BuilderError('BUILD_FAILED', `${ctx.label}: ${item.match.rel}: ${(err as Error).message}`, { cause: err });
    }
    for (const p of paths) written.add(destRel ? `${destRel}/${p}` : p);
    return;
  }
  // fsutil's Copy: make the destination's parent (or the destination, when it names a
  // directory), then decide whether the source lands in it or becomes it.
  await mkdirAllInRoot(target, dest.isDir ? dest.path : posix.dirname(dest.path), owner, written);
  let destRel = await resolveRelative(target, dest.path, { followLeaf: true });
  const existing = await stat(join(target, destRel)).catch(() => undefined);
  if (!item.match.isDir && existing?.isDirectory()) destRel = destRel ? `${destRel}/${item.match.name}` : item.match.name;
  if (item.match.isDir && !existing) await mkdirAllInRoot(target, destRel, owner, written);
  const copier = new TreeCopier({
    srcRoot: item.root,
    rootfs: target,
    keepOwner: item.keepOwner,
    owner,
    mode: ctx.mode,
    ignore: item.ignore,
    exclude: ctx.exclude,
    include: item.kind === 'parents' ? item.include : undefined,
    written,
  });
  await copier.copyTop(item.match.rel, destRel);
}
