// Finds what a local COPY/ADD source names in its source root (the build context, another
// stage's rootfs, an image): the literal path or every wildcard match, each followed through
// symlinks inside the root (the named path itself is followed; what lies below it is not), and
// nothing that .dockerignore hides.
import { lstatSync, readdirSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { IgnoreFilter } from '../../context/filter.ts';
import { lstatIfExists, resolveRelative } from '../../tar/root-path.ts';
import { BuilderError } from '../../util/errors.ts';
import { hasWildcards, matchGlob } from './wildcard.ts';

export interface LocalMatch {
  /** The match, followed, relative to the source root ('' for the root itself). */
  rel: string;
  /** The name the match was found under (a link's own name), used when copying into a directory. */
  name: string;
  isDir: boolean;
}

/** The source cleaned like BuildKit's NormalizePath("/", src), without the leading slash. */
export function cleanSource(src: string): string {
  return posix.normalize(`/${src}`).slice(1).replace(/\/$/, '');
}

/**
 * The matches of `src`. A literal path that does not exist (or is hidden) is an error built by
 * `notFound`; a wildcard that matches nothing gives no matches, as in BuildKit.
 */
export async function resolveLocalSource(
  root: string,
  src: string,
  ignore: IgnoreFilter,
  notFound: (src: string) => BuilderError,
): Promise<LocalMatch[]> {
  const clean = cleanSource(src);
  const parts = clean === '' ? [] : clean.split('/');
  const firstWild = parts.findIndex(hasWildcards);
  let candidates: string[];
  if (firstWild < 0) {
    candidates = [clean];
  } else {
    const base = await resolveRelative(root, parts.slice(0, firstWild).join('/'), { followLeaf: true });
    const st = lstatIfExists(join(root, base));
    if (!st?.isDirectory() || !visible(ignore, base, true)) throw notFound(src);
    candidates = await globIn(root, base, parts.slice(firstWild).join('/'), ignore);
  }
  const matches: LocalMatch[] = [];
  for (const candidate of candidates) {
    const rel = await resolveRelative(root, candidate, { followLeaf: true });
    const st = lstatIfExists(join(root, rel));
    if (!st || !visible(ignore, rel, st.isDirectory())) {
      throw notFound(firstWild < 0 ? src : candidate);
    }
    matches.push({ rel, name: candidate === '' ? '/' : posix.basename(candidate), isDir: st.isDirectory() });
  }
  return matches;
}

/** Whether .dockerignore lets `rel` through (an ignored directory with exceptions inside still exists). */
function visible(ignore: IgnoreFilter, rel: string, isDir: boolean): boolean {
  if (rel === '') return true;
  return !ignore.ignored(rel, isDir) || (isDir && !ignore.canSkipDir(rel));
}

/**
 * fsutil's resolveWildcards: walks `base` in name order and keeps the paths (relative to the
 * source root) whose path below `base` matches `pattern`; a matched directory is not entered.
 */
async function globIn(root: string, base: string, pattern: string, ignore: IgnoreFilter): Promise<string[]> {
  const depth = pattern.split('/').length;
  const out: string[] = [];
  async function walk(dirRel: string, below: string, level: number): Promise<void> {
    for (const name of (readdirSync(join(root, dirRel))).sort()) {
      const rel = below ? `${below}/${name}` : name;
      const full = dirRel ? `${dirRel}/${name}` : name;
      const isDir = (lstatSync(join(root, full))).isDirectory();
      if (!visible(ignore, full, isDir)) continue;
      if (matchGlob(pattern, rel)) out.push(full);
      else if (isDir && level + 1 < depth) await walk(full, rel, level + 1);
    }
  }
  await walk(base, '', 0);
  return out;
}
