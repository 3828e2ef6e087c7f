// Token scopes ("repository:library/busybox:pull,push") and their merging: one token request
// names every repository an operation touches, and one cached token serves any request whose
// scopes it covers.

export interface Scope {
  type: string;
  name: string;
  actions: string[];
}

// Canonical action order keeps cache keys and requests stable ("push,pull" like docker).
const ACTION_ORDER = ['push', 'pull', 'delete', '*'];

function sortActions(actions: Iterable<string>): string[] {
  const rank = (a: string) => {
    const i = ACTION_ORDER.indexOf(a);
    return i === -1 ? ACTION_ORDER.length : i;
  };
  return [...new Set(actions)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export function repositoryScope(repository: string, ...actions: string[]): Scope {
  return { type: 'repository', name: repository, actions: sortActions(actions) };
}

/** Parses "type:name:actions"; names may contain ":" (a registry with a port), actions may not. */
export function parseScope(text: string): Scope | undefined {
  const first = text.indexOf(':');
  const last = text.lastIndexOf(':');
  if (first === -1 || last === first) return undefined;
  const actions = text.slice(last + 1).split(',').filter(Boolean);
  return { type: text.slice(0, first), name: text.slice(first + 1, last), actions: sortActions(actions) };
}

/** A challenge's scope parameter may hold several scopes separated by spaces. */
export function parseScopes(text: string | undefined): Scope[] {
  return (text ?? '').split(' ').map((s) => parseScope(s.trim())).filter((s): s is Scope => s !== undefined);
}

export function formatScope(s: Scope): string {
  return `${s.type}:${s.name}:${s.actions.join(',')}`;
}

/** Unions the actions of scopes on the same resource; the result is sorted, so it is a stable key. */
export function mergeScopes(...lists: Scope[][]): Scope[] {
  const byResource = new Map<string, Scope>();
  for (const s of lists.flat()) {
    const key = `${s.type}:${s.name}`;
    const prev = byResource.get(key);
    byResource.set(key, { type: s.type, name: s.name, actions: sortActions([...(prev?.actions ?? []), ...s.actions]) });
  }
  return [...byResource.values()].sort((a, b) => formatScope(a).localeCompare(formatScope(b)));
}

/** True when a token granted `have` is good for everything in `want`. */
export function scopesCover(have: Scope[], want: Scope[]): boolean {
  return want.every((w) => {
    const h = have.find((s) => s.type === w.type && s.name === w.name);
    return h !== undefined && (h.actions.includes('*') || w.actions.every((a) => h.actions.includes(a)));
  });
}
