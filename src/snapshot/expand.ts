// COPY/ADD name the paths they wrote; a directory stands for its whole subtree.
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fromSystemError } from '../util/errors.ts';
import type { IgnoreList } from './ignore.ts';

/** Image paths ("/app/x" or "app/x") as rootfs-relative paths, subtrees expanded, ignored ones left out. */
export function expandWrittenPaths(rootfs: string, paths: readonly string[], ignore: IgnoreList): string[] {
  const out = new Set<string>();
  const visit = (rel: string): void => {
    if (ignore.has(rel) || out.has(rel)) return;
    const host = join(rootfs, rel);
    let isDir: boolean;
    try {
      isDir = lstatSync(host).isDirectory();
    } catch (err) {
      throw fromSystemError(err, host);
    }
    out.add(rel);
    if (isDir) for (const name of readdirSync(host)) visit(`${rel}/${name}`);
  };
  for (const p of paths) {
    const rel = p.split('/').filter((c) => c !== '' && c !== '.').join('/');
    // "/" (a COPY into the root) stands for everything in it.
    if (rel === '') for (const name of readdirSync(rootfs)) visit(name);
    else visit(rel);
  }
  return [...out];
}
