// Describes an unpacked root filesystem as data (one entry per path: type, permission bits,
// owner, content hash, link target, hardlink group) and compares two such descriptions.
// mtimes are left out on purpose: no two builds agree on them, and docker does not promise them.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

export type EntryType = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';

export interface TreeEntry {
  type: EntryType;
  /** Permission bits including setuid (0o4000), setgid (0o2000) and sticky (0o1000). */
  mode: number;
  uid: number;
  gid: number;
  /** Regular files: byte length and sha256 of the content. */
  size?: number;
  sha256?: string;
  /** Symlinks: the target exactly as stored. */
  target?: string;
  /** Device nodes: "major,minor". */
  rdev?: string;
}

/** Absolute path inside the image ("/etc/passwd") -> entry. The root itself is "/". */
export type Tree = Map<string, TreeEntry>;

export interface TreeDescription {
  entries: Tree;
  /** Paths that share one inode, each group sorted, groups sorted by their first path. */
  hardlinks: string[][];
}

/** Top-level directories whose content belongs to the runtime, not the image (LAB-NOTES, docker). */
export const RUNTIME_DIRS = ['/proc', '/sys', '/dev', '/run'] as const;

/** Files buildah leaves as empty mount placeholders after a RUN; docker leaves nothing. */
export const BUILDAH_PLACEHOLDERS = ['/etc/hosts', '/etc/hostname', '/etc/resolv.conf'] as const;

function typeOf(st: Awaited<ReturnType<typeof lstat>>): EntryType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return 'socket';
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Walks `root` without following symlinks and describes every path under it. */
export async function describeTree(root: string): Promise<TreeDescription> {
  const entries: Tree = new Map();
  const inodes = new Map<string, string[]>();
  const visit = async (hostPath: string, imagePath: string): Promise<void> => {
    const st = await lstat(hostPath, { bigint: false });
    const type = typeOf(st);
    const entry: TreeEntry = { type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
    if (type === 'file') {
      entry.size = st.size;
      entry.sha256 = await hashFile(hostPath);
      if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        const group = inodes.get(key) ?? [];
        group.push(imagePath);
        inodes.set(key, group);
      }
    } else if (type === 'symlink') {
      entry.target = await readlink(hostPath);
      // Link permission bits mean nothing on Linux and differ by how the link was made.
      entry.mode = 0o777;
    } else if (type === 'char' || type === 'block') {
      entry.rdev = `${Math.floor(st.rdev / 256) & 0xfff},${(st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00)}`;
    }
    entries.set(imagePath, entry);
    if (type === 'dir') {
      // Sorted so that the description (and any diff) reads the same on every run.
      for (const name of (await readdir(hostPath)).sort()) {
        await visit(join(hostPath, name), imagePath === '/' ? `/${name}` : `${imagePath}/${name}`);
      }
    }
  };
  await visit(root, '/');
  const hardlinks = [...inodes.values()]
    .filter((g) => g.length > 1)
    .map((g) => g.sort())
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { entries, hardlinks };
}

function under(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

export interface FilterOptions {
  /** Placeholder paths the case writes itself, so they are compared after all. */
  keep?: readonly string[];
}

/**
 * Drops what no builder is asked to agree on: the root directory itself (its mode and owner
 * come from whatever unpacks or mounts the image: umoci makes it 0755, an overlay mount of
 * buildah's storage shows 0555), the content of the runtime directories (the directories
 * themselves too, since buildah adds them and docker does not) and buildah's empty
 * placeholders, unless the case names them in `keep`.
 */
export function withoutRuntimePaths(desc: TreeDescription, opts: FilterOptions = {}): TreeDescription {
  const keep = new Set(opts.keep ?? []);
  const dropped = (p: string): boolean =>
    p === '/' || (!keep.has(p) && (RUNTIME_DIRS.some((d) => under(p, d)) || (BUILDAH_PLACEHOLDERS as readonly string[]).includes(p)));
  const entries: Tree = new Map([...desc.entries].filter(([p]) => !dropped(p)));
  const hardlinks = desc.hardlinks.map((g) => g.filter((p) => !dropped(p))).filter((g) => g.length > 1);
  return { entries, hardlinks };
}

export function formatMode(mode: number): string {
  return `0${mode.toString(8).padStart(4, '0')}`;
}

function describeEntry(e: TreeEntry): string {
  const parts = [e.type, formatMode(e.mode), `${e.uid}:${e.gid}`];
  if (e.type === 'file') parts.push(`${e.size} bytes`, `sha256:${(e.sha256 ?? '').slice(0, 12)}`);
  if (e.target !== undefined) parts.push(`-> ${e.target}`);
  if (e.rdev !== undefined) parts.push(`dev ${e.rdev}`);
  return parts.join(' ');
}

/**
 * Every way `actual` departs from `expected`, one readable line each, in path order:
 * missing and extra paths, then per path the type, mode, owner, content and link target;
 * then hardlink groups that differ.
 */
export function compareTrees(expected: TreeDescription, actual: TreeDescription): string[] {
  const diffs: string[] = [];
  const paths = [...new Set([...expected.entries.keys(), ...actual.entries.keys()])].sort();
  for (const path of paths) {
    const want = expected.entries.get(path);
    const got = actual.entries.get(path);
    if (!got && want) {
      diffs.push(`${path}: missing (expected ${describeEntry(want)})`);
      continue;
    }
    if (!want && got) {
      diffs.push(`${path}: unexpected (${describeEntry(got)})`);
      continue;
    }
    if (!want || !got) continue;
    if (want.type !== got.type) {
      diffs.push(`${path}: type ${got.type}, expected ${want.type}`);
      continue;
    }
    if (want.mode !== got.mode) diffs.push(`${path}: mode ${formatMode(got.mode)}, expected ${formatMode(want.mode)}`);
    if (want.uid !== got.uid || want.gid !== got.gid) diffs.push(`${path}: owner ${got.uid}:${got.gid}, expected ${want.uid}:${want.gid}`);
    if (want.sha256 !== got.sha256) {
      diffs.push(`${path}: content ${got.size} bytes sha256:${(got.sha256 ?? '').slice(0, 12)}, expected ${want.size} bytes sha256:${(want.sha256 ?? '').slice(0, 12)}`);
    }
    if (want.target !== got.target) diffs.push(`${path}: link target ${JSON.stringify(got.target)}, expected ${JSON.stringify(want.target)}`);
    if (want.rdev !== got.rdev) diffs.push(`${path}: device ${got.rdev}, expected ${want.rdev}`);
  }
  const key = (g: string[]): string => g.join('\0');
  const gotGroups = new Set(actual.hardlinks.map(key));
  const wantGroups = new Set(expected.hardlinks.map(key));
  for (const g of expected.hardlinks) if (!gotGroups.has(key(g))) diffs.push(`hardlink group missing: ${g.join(' = ')}`);
  for (const g of actual.hardlinks) if (!wantGroups.has(key(g))) diffs.push(`unexpected hardlink group: ${g.join(' = ')}`);
  return diffs;
}

// ---- JSON form, for the on-disk cache of reference results ----

export interface TreeJson {
  entries: Array<[string, TreeEntry]>;
  hardlinks: string[][];
}

export function treeToJson(desc: TreeDescription): TreeJson {
  return { entries: [...desc.entries], hardlinks: desc.hardlinks };
}

export function treeFromJson(json: TreeJson): TreeDescription {
  return { entries: new Map(json.entries), hardlinks: json.hardlinks };
}
