// Destination handling shared by every COPY/ADD source: where the destination is (relative to
// WORKDIR, a trailing `/` or a bare `.` meaning a directory) and creating missing directories
// inside the rootfs the way fsutil's MkdirAll does: 0755, owned by root or by --chown's user,
// with the current time (BuildKit sets no time on directories it creates).
import { chmodSync, chownSync, mkdirSync } from 'node:fs';
import { join, posix } from 'node:path';
import { lstatIfExists, resolveRelative } from '../../tar/root-path.ts';
import type { Owner } from '../../context/untar.ts';
import { BuilderError } from '../../util/errors.ts';

export interface Destination {
  /** Absolute, clean path inside the rootfs. */
  path: string;
  /** The destination names a directory: it ended in `/` or was `.`. */
  isDir: boolean;
}

/** The destination as BuildKit's dockerfile frontend computes it from the words and WORKDIR. */
export function destination(dest: string, workdir: string): Destination {
  const isDir = dest === '.' || dest === '' || dest.endsWith('/');
  const abs = dest.startsWith('/') ? dest : posix.join(workdir || '/', dest);
  return { path: posix.normalize(abs).replace(/(.)\/+$/, '$1'), isDir };
}

/**
 * Makes `path` (inside the rootfs) a directory, creating missing components; returns its
 * resolved path relative to the rootfs. Paths created are added to `written`.
 */
export async function mkdirAllInRoot(
  rootfs: string,
  path: string,
  owner: Owner | undefined,
  written: Set<string>,
): Promise<string> {
  const rel = await resolveRelative(rootfs, path, { followLeaf: true });
  let cur = '';
  for (const part of rel === '' ? [] : rel.split('/')) {
    cur = cur ? `${cur}/${part}` : part;
    const host = join(rootfs, cur);
    const st = lstatIfExists(host);
    if (st?.isDirectory()) continue;
    if (st) throw new BuilderError('BUILD_FAILED', `mkdir /${cur}: not a directory`);
    mkdirSync(host, { mode: 0o755 });
    chownSync(host, owner?.uid ?? 0, owner?.gid ?? 0);
    // mkdir's mode passes through the umask; the layer must not depend on it.
    chmodSync(host, 0o755);
    written.add(cur);
  }
  return rel;
}
