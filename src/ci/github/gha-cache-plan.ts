// The type=gha cache's plan and keys, pure so the step loads @actions/cache (gha-cache.ts) only
// when an input names type=gha. Keys: service entries are immutable, so each save is a new key
// `kiln-layers-<scope>-<digest of the entries>`; a restore asks for the prefix, which the service
// answers with the newest match; a build that added nothing computes the key it restored.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ActionInputs, CacheSpec } from './inputs.ts';

export type GhaSpec = Extract<CacheSpec, { type: 'gha' }>;

export interface GhaCachePlan {
  /** The dir: cache the executor is given. */
  dir: string;
  /** cache-from's gha scopes, tried in order. */
  from: GhaSpec[];
  /** cache-to's gha scopes, each saved. */
  to: GhaSpec[];
}

const isGha = (spec: CacheSpec): spec is GhaSpec => spec.type === 'gha';

/** Undefined when no input names type=gha (or no-cache is set). */
export function ghaCachePlan(inputs: ActionInputs, runnerTemp: string): GhaCachePlan | undefined {
  const from = inputs.cacheFrom.filter(isGha);
  const to = inputs.cacheTo.filter(isGha);
  if (inputs.noCache || (from.length === 0 && to.length === 0)) return undefined;
  return { dir: join(runnerTemp, 'kiln-gha-cache'), from, to };
}

export function keyPrefix(scope: string): string {
  return `kiln-layers-${scope}-`;
}

/** The key a save of `dir` gets: the scope's prefix and a digest of every entry's name and content. */
export function cacheKey(dir: string, scope: string): string | undefined {
  const entriesDir = join(dir, 'entries');
  let names: string[];
  try {
    names = readdirSync(entriesDir).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return undefined;
  }
  if (names.length === 0) return undefined;
  const hash = createHash('sha256');
  // An entry file names its manifest, so equal entry files mean equal caches.
  for (const name of names) hash.update(`${name}\0${readFileSync(join(entriesDir, name), 'utf8')}\0`);
  return `${keyPrefix(scope)}${hash.digest('hex').slice(0, 32)}`;
}
