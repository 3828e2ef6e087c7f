// The change set both snapshotters produce and the layer writer consumes: paths relative to the
// rootfs (no leading "/"), each added, modified or deleted, in tar order (parents first).
import type { Xattrs } from '../tar/xattr.ts';

export type ChangeKind = 'add' | 'modify' | 'delete';

export interface Change {
  path: string;
  kind: ChangeKind;
  /** The path existed before as another type (a directory became a file or link, or back). */
  replaced?: boolean;
  /** A directory whose earlier contents are all hidden: overlay's opaque dir, a recreated dir. */
  opaque?: boolean;
}

export interface ChangeSet {
  /** Where the changed paths' new state is read: the rootfs, or an overlay's upper dir until the step is settled. */
  rootfs: string;
  changes: Change[];
  /**
   * Attributes already read, by path (an empty map: none), so the layer writer need not read them
   * again; paths absent here it reads from the rootfs.
   */
  knownXattrs?: ReadonlyMap<string, Xattrs>;
}

/** Byte order with "/" lowest, so that a directory comes right before its own children. */
export function compareNames(a: string, b: string): number {
  const ka = Buffer.from(a.replaceAll('/', '\0'));
  const kb = Buffer.from(b.replaceAll('/', '\0'));
  return Buffer.compare(ka, kb);
}

function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) out.push(path.slice(0, i));
  return out;
}

/**
 * Sorted, one change per path, and no deletion that a layer must not carry: none below a deleted
 * path (its own whiteout covers it), below an opaque directory (the marker hides everything), or
 * below a path whose type changed (a whiteout inside what is now a file or link is meaningless,
 * and one inside a new directory has nothing to hide).
 */
export function normalizeChanges(changes: Iterable<Change>): Change[] {
  const byPath = new Map<string, Change>();
  for (const c of changes) {
    const prev = byPath.get(c.path);
    // Deleted then written again within one step is a modification of what was there.
    if (prev && prev.kind === 'delete' && c.kind !== 'delete') byPath.set(c.path, { ...c, kind: 'modify', ...(c.replaced || prev.replaced ? { replaced: true } : {}) });
    else if (prev && prev.kind !== 'delete' && c.kind === 'delete') byPath.set(c.path, prev);
    else byPath.set(c.path, c);
  }
  const covering = new Set<string>();
  for (const c of byPath.values()) if (c.kind === 'delete' || c.opaque || c.replaced) covering.add(c.path);
  const out: Change[] = [];
  for (const c of byPath.values()) {
    if (c.kind === 'delete' && ancestors(c.path).some((a) => covering.has(a))) continue;
    out.push(c);
  }
  return out.sort((a, b) => compareNames(a.path, b.path));
}

export function countChanges(set: ChangeSet): Record<ChangeKind, number> {
  const counts: Record<ChangeKind, number> = { add: 0, modify: 0, delete: 0 };
  for (const c of set.changes) counts[c.kind]++;
  return counts;
}
