// Extracts a tar stream into a directory as if chrooted into it: entry names are cleaned and may
// not climb out, every symlink on an entry's path is resolved inside the directory, and an
// existing entry is replaced the way BuildKit's archive applier does. Used for `tar://` build
// contexts and for `ADD` of local archives. node-tar parses (PAX, GNU long names); we write.
import { createWriteStream, chmodSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Parser, type ReadEntry } from 'tar';
import { lstatIfExists, resolveRelative } from '../tar/root-path.ts';

export interface Owner {
  uid: number;
  gid: number;
}

export interface UntarOptions {
  /** Ownership applied to every entry instead of the archive's (`ADD --chown`). */
  owner?: Owner;
  /** Keep the archive's uid/gid (ADD does, as root); false leaves files owned by us (contexts). */
  keepOwnership: boolean;
}

/** An archive whose entries cannot be written as asked; the caller names the archive. */
export class ArchiveError extends Error {}

/**
 * Extracts `input` (an uncompressed tar) into `root`, which must exist. Returns the paths written
 * relative to `root`, parents before children.
 */
export async function extractTar(input: Readable, root: string, opts: UntarOptions): Promise<string[]> {
  const written = new Set<string>();
  const dirTimes: Array<[string, Date]> = [];
  for await (const entry of tarEntries(input)) {
    try {
      await extractEntry(entry, root, opts, written, dirTimes);
    } finally {
      entry.resume();
    }
  }
  // Directory times last, deepest first: writing into a directory moves its mtime.
  for (const [p, time] of dirTimes.reverse()) utimesSync(p, time, time);
  return [...written];
}

/** The entries of a tar stream, one at a time: node-tar emits the next once this one is consumed. */
async function* tarEntries(input: Readable): AsyncGenerator<ReadEntry> {
  const parser = new Parser({ strict: true });
  const queue: ReadEntry[] = [];
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  parser.on('entry', (entry: ReadEntry) => {
    queue.push(entry);
    notify();
  });
  parser.on('end', () => {
    ended = true;
    notify();
  });
  const fail = (err: Error): void => {
    failure ??= err;
    notify();
  };
  parser.on('error', fail);
  input.on('error', fail);
  input.pipe(parser as unknown as NodeJS.WritableStream);
  try {
    for (;;) {
      if (failure) throw failure;
      const entry = queue.shift();
      if (entry) {
        yield entry;
        continue;
      }
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    if (!ended) input.destroy();
  }
}

/** The entry's name made relative and clean; '' for the root itself. Climbing out is an error. */
function cleanName(name: string): string {
  const clean = posix.normalize(name.replace(/^\/+/, ''));
  if (clean === '.' || clean === '' || clean === './') return '';
  if (clean === '..' || clean.startsWith('../')) throw new ArchiveError(`archive path ${name} is outside the extraction root`);
  return clean.replace(/\/$/, '');
}

async function extractEntry(
  entry: ReadEntry,
  root: string,
  opts: UntarOptions,
  written: Set<string>,
  dirTimes: Array<[string, Date]>,
): Promise<void> {
  const name = cleanName(entry.path);
  if (name === '') return;
  const isDir = entry.type === 'Directory' || entry.type === 'GNUDumpDir';
  const rel = await resolveRelative(root, name, { followLeaf: isDir });
  if (rel === '') return;
  await makeParents(root, posix.dirname(rel), opts, written);
  const host = join(root, rel);
  const existing = lstatIfExists(host);
  if (existing && !(existing.isDirectory() && isDir)) rmSync(host, { recursive: true, force: true });

  const owner = opts.owner ?? { uid: entry.uid ?? 0, gid: entry.gid ?? 0 };
  const mode = (entry.mode ?? 0o644) & 0o7777;
  const mtime = entry.mtime ?? new Date(0);
  switch (entry.type) {
    case 'Directory':
    case 'GNUDumpDir':
      if (!existing) mkdirSync(host, { mode: mode & 0o777 });
      await setOwnerAndMode(host, owner, mode, opts);
      dirTimes.push([host, mtime]);
      break;
    case 'File':
    case 'OldFile':
    case 'ContiguousFile':
      await pipeline(entry, createWriteStream(host, { mode: mode & 0o777 }));
      await setOwnerAndMode(host, owner, mode, opts);
      utimesSync(host, mtime, mtime);
      break;
    case 'SymbolicLink':
      symlinkSync(entry.linkpath ?? '', host);
      if (opts.keepOwnership || opts.owner) lchownSync(host, owner.uid, owner.gid);
      lutimesSync(host, mtime, mtime);
      break;
    case 'Link': {
      const targetName = cleanName(entry.linkpath ?? '');
      if (targetName === '') throw new ArchiveError(`archive hardlink ${entry.path} points at the extraction root`);
      const target = await resolveRelative(root, targetName, { followLeaf: false });
      linkSync(join(root, target), host);
      const st = lstatSync(host);
      if (!st.isSymbolicLink()) {
        await setOwnerAndMode(host, owner, mode, opts);
        utimesSync(host, mtime, mtime);
      }
      break;
    }
    default:
      throw new ArchiveError(`archive entry ${entry.path} has unsupported type ${entry.type}`);
  }
  written.add(rel);
}

/** Creates missing parents 0755, owned by root as BuildKit's applier does (or by --chown's user). */
async function makeParents(root: string, dir: string, opts: UntarOptions, written: Set<string>): Promise<void> {
  if (dir === '.' || dir === '') return;
  let cur = '';
  for (const part of dir.split('/')) {
    cur = cur ? `${cur}/${part}` : part;
    const host = join(root, cur);
    const st = lstatIfExists(host);
    if (st?.isDirectory()) continue;
    if (st) throw new ArchiveError(`cannot extract into ${cur}: not a directory`);
    mkdirSync(host, { mode: 0o755 });
    await setOwnerAndMode(host, opts.owner ?? { uid: 0, gid: 0 }, 0o755, opts);
    written.add(cur);
  }
}

async function setOwnerAndMode(host: string, owner: Owner, mode: number, opts: UntarOptions): Promise<void> {
  // chown before chmod: chown clears set-id bits.
  if (opts.keepOwnership || opts.owner) lchownSync(host, owner.uid, owner.gid);
  chmodSync(host, mode);
}
