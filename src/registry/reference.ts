// Image references parsed the way docker and go-containerregistry read them, so a name that works
// with `docker pull` or kaniko means the same image here.
import { BuilderError } from '../util/errors.ts';
import { isDigest, type Digest } from '../oci/digest.ts';

/** The registry name users see for Docker Hub; references print with it. */
export const DOCKER_HUB = 'docker.io';
/** Where Docker Hub's distribution API actually answers. */
export const DOCKER_HUB_API = 'registry-1.docker.io';
const DOCKER_HUB_ALIASES = new Set([DOCKER_HUB, 'index.docker.io', DOCKER_HUB_API]);

export const DEFAULT_TAG = 'latest';

// Grammar from the distribution reference package: lowercase components joined by separators.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
// A host name or IPv4 address, or a bracketed IPv6 address, with an optional port.
const DOMAIN = /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$/;
const MAX_NAME_LENGTH = 255;

/** A repository on a registry: what scopes, blobs and keychain look-ups are about. */
export interface Repository {
  /** Registry name as written, with Docker Hub's aliases folded into "docker.io". */
  readonly registry: string;
  /** Repository path, "library/" added for official Docker Hub images. */
  readonly repository: string;
}

export class Reference implements Repository {
  readonly registry: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: Digest;

  constructor(registry: string, repository: string, tag?: string, digest?: Digest) {
    this.registry = registry;
    this.repository = repository;
    this.tag = tag;
    this.digest = digest;
  }

  /** The digest if there is one, else the tag: what goes after /manifests/. */
  get identifier(): string {
    return this.digest ?? this.tag ?? DEFAULT_TAG;
  }

  /** The repository this reference points into. */
  context(): Repository & { toString(): string } {
    const { registry, repository } = this;
    return { registry, repository, toString: () => `${registry}/${repository}` };
  }

  /** The same image on another registry (a mirror). */
  withRegistry(registry: string): Reference {
    return new Reference(normalizeRegistry(registry), this.repository, this.tag, this.digest);
  }

  /** The same repository, pinned to a digest (keeps the tag for display). */
  withDigest(digest: Digest): Reference {
    return new Reference(this.registry, this.repository, this.tag, digest);
  }

  toString(): string {
    return `${this.registry}/${this.repository}${this.tag ? `:${this.tag}` : ''}${this.digest ? `@${this.digest}` : ''}`;
  }
}

function invalid(text: string, why: string): BuilderError {
  return new BuilderError('REFERENCE_INVALID', `invalid image reference "${text}": ${why}`);
}

/** Folds Docker Hub's aliases into "docker.io"; other names are kept as written. */
export function normalizeRegistry(registry: string): string {
  const lower = registry.toLowerCase();
  return DOCKER_HUB_ALIASES.has(lower) ? DOCKER_HUB : registry;
}

/** The host that serves the distribution API for a registry name. */
export function registryApiHost(registry: string): string {
  return normalizeRegistry(registry) === DOCKER_HUB ? DOCKER_HUB_API : registry;
}

/**
 * Splits "host/path" the way docker does: the first component is a registry only when it
 * contains "." or ":", is "localhost", or has an uppercase letter (repositories cannot).
 */
function splitRegistry(name: string): [string, string] {
  const slash = name.indexOf('/');
  if (slash === -1) return [DOCKER_HUB, name];
  const first = name.slice(0, slash);
  const isRegistry = /[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase();
  return isRegistry ? [first, name.slice(slash + 1)] : [DOCKER_HUB, name];
}

function parseName(text: string, name: string): Repository {
  if (name === '') throw invalid(text, 'repository name is empty');
  const [rawRegistry, path] = splitRegistry(name);
  if (!DOMAIN.test(rawRegistry)) throw invalid(text, `registry "${rawRegistry}" is not a valid host[:port]`);
  const registry = normalizeRegistry(rawRegistry);
  if (path === '') throw invalid(text, 'repository name is empty');
  const components = path.split('/');
  for (const c of components) {
    if (c === '') throw invalid(text, 'repository path has an empty component');
    if (c !== c.toLowerCase() && COMPONENT.test(c.toLowerCase())) throw invalid(text, 'repository name must be lowercase');
    if (!COMPONENT.test(c)) throw invalid(text, `repository path component "${c}" may hold only a-z, 0-9 and single separators (. _ __ -)`);
  }
  // Official Docker Hub images live under library/.
  const repository = registry === DOCKER_HUB && components.length === 1 ? `library/${path}` : path;
  if (name.length > MAX_NAME_LENGTH) {
    throw invalid(text, `name is longer than ${MAX_NAME_LENGTH} characters`);
  }
  return { registry, repository };
}

/**
 * Parses "name[:tag][@digest]". A reference without tag or digest gets tag "latest"; a digest
 * alone leaves the tag unset. Both are kept when both are given (the digest decides the image).
 */
export function parseReference(text: string): Reference {
  const input = text.trim();
  if (input === '') throw invalid(text, 'empty reference');
  let rest = input;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    const d = rest.slice(at + 1);
    if (!isDigest(d)) throw invalid(text, `digest "${d}" is not sha256:<64 hex> or sha512:<128 hex>`);
    digest = d;
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  // A tag follows the last ":" that comes after the last "/" (a ":" before it is a port).
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(text, `tag "${tag}" must be 1-128 of [A-Za-z0-9_.-], not starting with . or -`);
  }
  const { registry, repository } = parseName(text, rest);
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  return new Reference(registry, repository, tag, digest);
}

/** Parses a bare repository ("registry/path", no tag or digest), e.g. a --cache-repo value. */
export function parseRepository(text: string): Repository & { toString(): string } {
  const input = text.trim();
  if (input === '') throw invalid(text, 'empty repository');
  if (input.includes('@') || input.lastIndexOf(':') > input.lastIndexOf('/')) {
    throw invalid(text, 'a repository takes no tag or digest');
  }
  const { registry, repository } = parseName(text, input);
  return { registry, repository, toString: () => `${registry}/${repository}` };
}
