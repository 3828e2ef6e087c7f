// config.json keys come in many spellings ("https://index.docker.io/v1/", "docker.io",
// "http://host:5000", "host:5000/org/repo"); these helpers fold them to one form for matching.

/** The server URL docker uses for Docker Hub in config files and credential helpers. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';
const HUB_NAMES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

export interface ServerKey {
  /** Lowercased host[:port], Docker Hub's names folded into "docker.io". */
  host: string;
  /** Repository path prefix the entry is scoped to, "" for the whole registry. */
  path: string;
}

export function normalizeHost(host: string): string {
  const h = host.toLowerCase();
  return HUB_NAMES.has(h) ? 'docker.io' : h;
}

/** Parses a config.json key: optional scheme, host, optional /v1/ or /v2/ API path, optional repo path. */
export function parseServerKey(key: string): ServerKey {
  let rest = key.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  rest = rest.replace(/\/+$/, '');
  const slash = rest.indexOf('/');
  const host = slash === -1 ? rest : rest.slice(0, slash);
  let path = slash === -1 ? '' : rest.slice(slash + 1);
  // docker login writes the API version path into the key; it says nothing about repositories.
  path = path.replace(/^v[12](?:\/|$)/, '');
  return { host: normalizeHost(host), path };
}

/** The server URL to hand a credential helper or write into config.json for a registry name. */
export function serverUrlFor(registry: string): string {
  return normalizeHost(registry) === 'docker.io' ? DOCKER_HUB_AUTH_KEY : registry;
}

/**
 * How well a config key matches a registry and repository: -1 for no match, otherwise the length
 * of the matched repository path, so the most specific entry wins (as in podman and imgpkg).
 */
export function matchScore(key: ServerKey, registry: string, repository: string | undefined): number {
  if (key.host !== normalizeHost(registry)) return -1;
  if (key.path === '') return 0;
  if (repository === undefined) return -1;
  return repository === key.path || repository.startsWith(key.path + '/') ? key.path.length : -1;
}
