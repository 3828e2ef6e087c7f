// Build arguments: --build-arg values, the predefined proxy arguments and the automatic platform
// arguments, and the scope that decides what a word can see while it is expanded.
import type { Platform } from '../oci/types.ts';
import { formatPlatform } from '../oci/platform.ts';
import type { EnvLookup } from './shell-lexer.ts';

/** Usable in RUN without an ARG line, and kept out of the image history. */
export const PROXY_ARGS: readonly string[] = [
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy',
  'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy',
];

/** Defined in the global scope: FROM lines see them, a stage sees them after a bare `ARG NAME`. */
export const PLATFORM_ARGS: readonly string[] = [
  'TARGETPLATFORM', 'TARGETOS', 'TARGETARCH', 'TARGETVARIANT',
  'BUILDPLATFORM', 'BUILDOS', 'BUILDARCH', 'BUILDVARIANT',
];

/** Arguments BuildKit reads itself; passing them is never "unused". */
export const BUILDKIT_ARGS: readonly string[] = [
  'BUILDKIT_CACHE_MOUNT_NS', 'BUILDKIT_CONTEXT_KEEP_GIT_DIR', 'BUILDKIT_INLINE_CACHE', 'BUILDKIT_MULTI_PLATFORM',
  'BUILDKIT_SANDBOX_HOSTNAME', 'BUILDKIT_SYNTAX', 'SOURCE_DATE_EPOCH',
];

const PROXY_SET = new Set(PROXY_ARGS);
const BUILDKIT_SET = new Set(BUILDKIT_ARGS);
const PLATFORM_SET = new Set(PLATFORM_ARGS);

export function isProxyArg(name: string): boolean {
  return PROXY_SET.has(name);
}

export function isPlatformArg(name: string): boolean {
  return PLATFORM_SET.has(name);
}

export function isBuildkitArg(name: string): boolean {
  return BUILDKIT_SET.has(name);
}


/** The values of the automatic platform arguments for a target and a build platform. */
export function platformArgs(target: Platform, build: Platform): Map<string, string> {
  return new Map([
    ['TARGETPLATFORM', formatPlatform(target)],
    ['TARGETOS', target.os],
    ['TARGETARCH', target.architecture],
    ['TARGETVARIANT', target.variant ?? ''],
    ['BUILDPLATFORM', formatPlatform(build)],
    ['BUILDOS', build.os],
    ['BUILDARCH', build.architecture],
    ['BUILDVARIANT', build.variant ?? ''],
  ]);
}

/**
 * `--build-arg` values: `k=v`, or `k` alone to take the value from the environment (an unset
 * variable gives no value at all, so the ARG's default applies).
 */
export function parseBuildArgs(list: readonly string[], environ: NodeJS.ProcessEnv = process.env): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq >= 0) out.set(item.slice(0, eq), item.slice(eq + 1));
    else if (environ[item] !== undefined) out.set(item, environ[item] as string);
  }
  return out;
}

/** The proxy build args a RUN gets in its environment (never written into the history). */
export function proxyEnv(buildArgs: ReadonlyMap<string, string>): Map<string, string> {
  return new Map([...buildArgs].filter(([k]) => PROXY_SET.has(k)));
}

/**
 * What one stage can see while expanding: ENV values shadow ARG values of the same name; an ARG
 * declared without any value is unset (not empty).
 */
export class StageScope {
  readonly env: Map<string, string>;
  readonly args = new Map<string, string | undefined>();

  constructor(inheritedEnv: ReadonlyMap<string, string> = new Map()) {
    this.env = new Map(inheritedEnv);
  }

  declareArg(name: string, value: string | undefined): void {
    this.args.set(name, value);
  }

  setEnv(name: string, value: string): void {
    this.env.set(name, value);
  }

  readonly lookup: EnvLookup = (name) => {
    const fromEnv = this.env.get(name);
    if (fromEnv !== undefined) return fromEnv;
    return this.args.get(name);
  };

  /** ARG values that are set, as a RUN's environment sees them (ENV wins). */
  argValues(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [k, v] of this.args) if (v !== undefined && !this.env.has(k)) out.set(k, v);
    return out;
  }
}

/** Where an ARG's value can come from, in BuildKit's order after --build-arg. */
export interface ArgSources {
  buildArgs: ReadonlyMap<string, string>;
  metaArgs: ReadonlyMap<string, string | undefined>;
  platformArgs: ReadonlyMap<string, string>;
}

/**
 * Declares the ARGs of an (expanded) ARG instruction in `scope`: a --build-arg wins, then the
 * ARG's own default, then a meta ARG of the same name, then an automatic platform arg. Returns the
 * names whose value came from --build-arg (they count as consumed).
 */
export function declareArgs(scope: StageScope, args: ReadonlyArray<{ name: string; value?: string }>, sources: ArgSources): string[] {
  const fromBuildArgs: string[] = [];
  for (const { name, value: declared } of args) {
    let value: string | undefined;
    if (sources.buildArgs.has(name)) {
      fromBuildArgs.push(name);
      value = sources.buildArgs.get(name);
    } else if (declared !== undefined) {
      value = declared;
    } else if (sources.metaArgs.has(name)) {
      value = sources.metaArgs.get(name);
    } else {
      value = sources.platformArgs.get(name);
    }
    scope.declareArg(name, value);
  }
  return fromBuildArgs;
}
