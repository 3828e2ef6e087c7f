// kaniko's model for --isolation host: the build's rootfs is the container's own `/`. What must
// survive every stage is the ignore list (kiln under /kiln, the kernel's filesystems, every mount,
// --ignore-path values, /var/run, the context); everything else belongs to the stage being built.
// Here: the checks made before anything is deleted, clearing `/`, keeping a stage's tree aside
// for later stages, and an entry filter so that extraction onto `/` never touches an ignored path.
//
// Every function takes the root as a parameter so that tests can run them on a throwaway
// directory; the build passes `/`. Paths in `ignored` are absolute inside that root.
import { existsSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, readdir, realpath, rename, rm, utimes } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { findConfigFile } from '../auth/docker-config.ts';
import { findTool, holdsIgnored, hostIgnorePaths, isIgnored, KILN_DIR } from '../run/index.ts';
import { OPAQUE_MARKER, WHITEOUT_PREFIX, type EntryFilter } from '../tar/extract.ts';
import { normaliseName, splitName } from '../tar/rootfs-path.ts';
import { BuilderError } from '../util/errors.ts';
import { copyTree } from '../util/copy-tree.ts';

export interface HostBuildInput {
  /** --ignore-path values. */
  ignorePaths: readonly string[];
  /** --ignore-var-run. */
  ignoreVarRun: boolean;
  /** The build context's directory: read all build long, so it must survive. */
  contextDir: string;
  /** --cache-dir: a warmed base-image cache is the user's, not the stage's. */
  cacheDir: string;
  /** --registry-certificate files, read when a registry is first reached. */
  certificates: Record<string, string>;
}

export interface HostBuild {
  /** What clearing `/` leaves and snapshots leave out, absolute and sorted. */
  ignored: string[];
  /** Where the workspace goes: KILN_WORKDIR, else /kiln/workspace. */
  workspaceParent: string;
}

// Programs kiln runs during a build (copies, mtimes, device nodes, xattrs, USER switching):
// after the first stage cleared `/`, only those on an ignored path are still there.
const BUILD_TOOLS: Array<[string, string]> = [
  ['cp', 'coreutils'],
  ['touch', 'coreutils'],
  ['mknod', 'coreutils'],
  ['getfattr', 'attr'],
  ['setfattr', 'attr'],
];

/** The path with symlinks resolved as far as it exists, so that a link cannot hide where it leads. */
async function realPathOf(path: string): Promise<string> {
  const abs = posix.resolve('/', path);
  const found = await realpath(abs).catch(() => undefined);
  if (found !== undefined) return found;
  const parent = dirname(abs);
  return parent === abs ? abs : join(await realPathOf(parent), posix.basename(abs));
}

const KEEP_HINT = `put it under ${KILN_DIR} (as the executor image does), on a mount, or name its directory with --ignore-path`;

/**
 * Decides what a host-isolation build keeps, and refuses before anything is deleted when
 * something kiln needs during the build (its own files, the tools it runs, the workspace,
 * credentials, certificates, the base-image cache) would go with the first stage's `/`.
 */
export async function planHostBuild(input: HostBuildInput, env: NodeJS.ProcessEnv = process.env): Promise<HostBuild> {
  const contextDir = await realPathOf(input.contextDir);
  if (contextDir === '/') throw new BuilderError('USAGE', '--isolation host cannot build from the context /, which every stage clears');
  const ignored = await hostIgnorePaths({ ignorePaths: [...input.ignorePaths, contextDir], ignoreVarRun: input.ignoreVarRun });

  let workspaceParent = env.KILN_WORKDIR;
  if (!workspaceParent) {
    if (!existsSync(KILN_DIR)) {
      throw new BuilderError('ISOLATION', `--isolation host clears / for every stage and needs a workspace it keeps: set KILN_WORKDIR to a directory on an ignored path (${KILN_DIR} does not exist here)`);
    }
    workspaceParent = join(KILN_DIR, 'workspace');
  }
  if (!isIgnored(await realPathOf(workspaceParent), ignored)) {
    throw new BuilderError('ISOLATION', `--isolation host clears / for every stage, and KILN_WORKDIR=${workspaceParent} is not on an ignored path; ${KEEP_HINT}`);
  }

  const needed: Array<[string, string | undefined]> = [
    ['kiln itself', process.execPath],
    ['kiln itself', process.argv[1]],
    ...BUILD_TOOLS.map(([name, pkg]): [string, string] => [name, findTool(name, pkg, 'host')]),
    ...(process.getuid?.() === 0 ? [['setpriv', findTool('setpriv', 'util-linux', 'host')] as [string, string]] : []),
    ['the docker config', findConfigFile(env)],
    ...Object.entries(input.certificates).map(([host, file]): [string, string] => [`--registry-certificate ${host}`, file]),
    ['--cache-dir', existsSync(input.cacheDir) ? input.cacheDir : undefined],
  ];
  for (const [what, path] of needed) {
    if (path === undefined) continue;
    const real = await realPathOf(path);
    if (!isIgnored(real, ignored)) {
      throw new BuilderError('ISOLATION', `--isolation host clears / for every stage, and ${what} (${real}) is not on an ignored path; ${KEEP_HINT}`);
    }
  }
  return { ignored, workspaceParent };
}

/** What clearing does with one path: leave it, empty it but keep it, or delete it. */
type Disposition = 'keep' | 'descend' | 'remove';
type Decide = (rel: string, isDir: boolean) => Disposition;

/** Ignored paths stay; directories that hold one stay, emptied of the rest; all else goes. */
export function clearing(ignored: readonly string[]): Decide {
  return (rel, isDir) => {
    const path = `/${rel}`;
    if (isIgnored(path, ignored)) return 'keep';
    return isDir && holdsIgnored(path, ignored) ? 'descend' : 'remove';
  };
}

/** Applies `decide` to everything below `rel`; nothing is followed through a symlink. */
async function prune(root: string, rel: string, decide: Decide): Promise<void> {
  for (const d of await readdir(join(root, rel), { withFileTypes: true })) {
    const child = rel === '' ? d.name : `${rel}/${d.name}`;
    const what = decide(child, d.isDirectory());
    if (what === 'descend') await prune(root, child, decide);
    else if (what === 'remove') await rm(join(root, child), { recursive: true, force: true });
  }
}

/** Deletes everything of the root but the ignored paths (and the directories holding them). */
export async function clearRoot(root: string, ignored: readonly string[]): Promise<void> {
  await prune(root, '', clearing(ignored));
}

/**
 * Moves the stage's tree out of the root into `dest` (which must not exist), leaving the root as
 * clearRoot would. A rename costs nothing where `dest` is on the same filesystem; elsewhere the
 * tree is copied and removed. Directories that hold an ignored path stay in the root and are
 * made again in `dest` with their mode, owner and times (not their xattrs).
 */
export async function keepAside(root: string, ignored: readonly string[], dest: string): Promise<void> {
  await mkdir(dest);
  const decide = clearing(ignored);
  const move = async (rel: string): Promise<void> => {
    for (const d of await readdir(join(root, rel), { withFileTypes: true })) {
      const child = rel === '' ? d.name : `${rel}/${d.name}`;
      const what = decide(child, d.isDirectory());
      if (what === 'keep') continue;
      if (what === 'descend') {
        await mkdir(join(dest, child));
        await move(child);
        continue;
      }
      try {
        await rename(join(root, child), join(dest, child));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
        await copyTree(join(root, child), join(dest, child), 'the stage filesystem');
        await rm(join(root, child), { recursive: true, force: true });
      }
    }
    // Last, since moving the children in changed the copy's mtime.
    const st = await lstat(join(root, rel));
    const copy = join(dest, rel);
    await chown(copy, st.uid, st.gid);
    await chmod(copy, st.mode & 0o7777);
    await utimes(copy, st.atime, st.mtime);
  };
  await move('');
}

/** The name a whiteout entry deletes, or the directory an opaque marker empties. */
function whiteoutTarget(dir: string, base: string): string {
  if (base === OPAQUE_MARKER) return dir;
  const name = base.slice(WHITEOUT_PREFIX.length);
  return dir === '' ? name : `${dir}/${name}`;
}

/**
 * What extraction onto the root must not do, as an entry filter: entries on ignored paths, a hard
 * link to one, a whiteout of one are turned down. A whiteout or opaque marker on a directory that
 * holds an ignored path is carried out here instead, sparing the ignored part; an entry that would
 * replace such a directory with a file or link is refused. One filter per layer.
 */
export function ignoredPathFilter(root: string, ignored: readonly string[], what: string): EntryFilter {
  // Names this layer wrote and their parents: an opaque marker keeps them, as extraction does.
  const written = new Set<string>();
  const wrote = (rel: string): void => {
    for (let p = rel; p !== '' && !written.has(p); p = splitName(p).dir) written.add(p);
  };
  const opaque: Decide = (rel, isDir) => {
    if (isIgnored(`/${rel}`, ignored)) return 'keep';
    if (written.has(rel)) return isDir ? 'descend' : 'keep';
    return isDir && holdsIgnored(`/${rel}`, ignored) ? 'descend' : 'remove';
  };
  return async (entry, rel) => {
    const { dir, base } = splitName(rel);
    if (base.startsWith(WHITEOUT_PREFIX)) {
      const target = whiteoutTarget(dir, base);
      if (isIgnored(`/${target}`, ignored)) return false;
      if (!holdsIgnored(`/${target}`, ignored)) return true;
      // Only a directory can hold an ignored path, and it stays: what else it held goes.
      await prune(root, target, base === OPAQUE_MARKER ? opaque : clearing(ignored));
      return false;
    }
    if (isIgnored(`/${rel}`, ignored) || (entry.type === 'hardlink' && isIgnored(`/${normaliseName(entry.linkname, what)}`, ignored))) return false;
    if (entry.type !== 'dir' && holdsIgnored(`/${rel}`, ignored)) {
      const inside = ignored.find((i) => i.startsWith(`/${rel}/`));
      throw new BuilderError('ISOLATION', `${what}: entry "${entry.name}" would replace the directory /${rel}, which holds ${inside} that --isolation host must keep; build with --isolation chroot`);
    }
    wrote(rel);
    return true;
  };
}
