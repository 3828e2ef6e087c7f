// `kiln build` flags: every kaniko executor flag with kaniko's name, default and value form, the
// camelCase spellings kaniko accepts, and docker-style short aliases. toBuildOptions() maps them
// onto BuildOptions and checks enumerated values; it decides nothing else.
import type { FlagSpec, ParsedArgs } from './flags.ts';
import { registryAddresses, transportFlags } from './transport-flags.ts';
import type { BuildOptions, Isolation, LayerCompression, SecretSource, SnapshotMode } from '../executor/options.ts';
import { LEVELS, type Level, type LogFormat } from '../util/log.ts';
import { BuilderError } from '../util/errors.ts';
import { parseSize } from '../util/size.ts';
import { parseGoDuration } from '../dockerfile/duration.ts';
import { parseBuildArgs } from '../dockerfile/build-args.ts';

export const buildFlags: FlagSpec[] = [
  { name: 'context', aliases: ['c'], type: 'string', value: 'PATH|URL', help: 'build context: a directory, dir://, tar://, tar://stdin, s3://, gs://, https:// (Azure) or git:// (default: the CONTEXT argument, or ".")' },
  { name: 'context-sub-path', type: 'string', value: 'PATH', help: 'build from this sub directory of the context' },
  { name: 'dockerfile', aliases: ['f', 'file'], type: 'string', default: 'Dockerfile', value: 'PATH', help: 'path of the Dockerfile, relative to the context; "-" reads it from stdin' },
  { name: 'destination', aliases: ['d', 't', 'tag'], type: 'list', value: 'IMAGE', help: 'image reference to push to (repeatable)' },
  { name: 'build-arg', type: 'list', value: 'NAME[=VALUE]', help: 'build argument; NAME alone takes the value from the environment (repeatable)' },
  { name: 'label', type: 'list', value: 'KEY=VALUE', help: 'label for the final image (repeatable)' },
  { name: 'target', type: 'string', value: 'STAGE', help: 'the stage to build' },
  { name: 'skip-unused-stages', type: 'bool', default: false, help: 'build only the stages the target needs' },
  { name: 'custom-platform', aliases: ['customPlatform', 'platform'], type: 'list', value: 'OS/ARCH[/VARIANT][,…]', help: 'platform to build for instead of the host\'s; several (comma separated or repeated) build one image each and push an index of them' },
  { name: 'dry-run', type: 'bool', default: false, help: 'print the resolved build plan and exit; needs no registry' },
  { name: 'push', type: 'bool', default: false, help: 'push the image to the destinations' },
  { name: 'no-push', type: 'bool', default: false, help: 'build without pushing' },
  ...transportFlags,
  { name: 'tar-path', aliases: ['tarPath'], type: 'string', value: 'PATH', help: 'also save the image as a tarball at PATH' },
  { name: 'oci-layout-path', type: 'string', value: 'DIR', help: 'also write the image as an OCI layout into DIR' },
  { name: 'digest-file', type: 'string', value: 'PATH', help: 'write the digest of the built image to PATH' },
  { name: 'image-name-with-digest-file', type: 'string', value: 'PATH', help: 'write IMAGE@DIGEST of the built image to PATH' },
  { name: 'image-name-tag-with-digest-file', type: 'string', value: 'PATH', help: 'write IMAGE:TAG@DIGEST of the built image to PATH' },
  { name: 'metadata-file', type: 'string', value: 'PATH', help: 'write the build result as JSON to PATH (buildx keys plus kiln.report), on failure too' },
  { name: 'cache', type: 'bool', default: false, help: 'use the layer cache' },
  { name: 'cache-dir', type: 'string', default: '/cache', value: 'DIR', help: 'local directory of cached base images' },
  { name: 'base-store', type: 'string', value: 'DIR', help: 'keep base images extracted in DIR (or $KILN_BASE_STORE) and start stages as overlays of them' },
  { name: 'cache-repo', type: 'string', value: 'REPO', help: 'repository for cached layers, oci:DIR or dir:DIR for local ones (default: DESTINATION/cache)' },
  { name: 'cache-max-size', type: 'string', value: 'SIZE', help: 'evict least recently used entries of a dir:DIR layer cache beyond SIZE (e.g. 10G)' },
  { name: 'cache-copy-layers', type: 'bool', default: false, help: 'cache COPY layers' },
  { name: 'cache-run-layers', type: 'bool', default: true, help: 'cache RUN layers' },
  { name: 'cache-ttl', type: 'string', default: '336h', value: 'DURATION', help: 'how long a cached layer stays valid' },
  { name: 'compressed-caching', type: 'bool', default: true, help: 'compress cached layers (false uses less memory)' },
  { name: 'snapshot-mode', aliases: ['snapshotMode'], type: 'string', default: 'full', value: 'full|redo|time', help: 'how changes are detected after RUN' },
  { name: 'single-snapshot', type: 'bool', default: false, help: 'take one snapshot at the end of the build' },
  { name: 'reproducible', type: 'bool', default: false, help: 'strip timestamps so that builds are reproducible' },
  { name: 'use-new-run', type: 'bool', default: false, help: 'detect RUN changes without a full snapshot' },
  { name: 'ignore-var-run', type: 'bool', default: true, help: 'leave /var/run out of snapshots' },
  { name: 'ignore-path', type: 'list', value: 'PATH', help: 'leave PATH out of snapshots (repeatable)' },
  { name: 'image-fs-extract-retry', type: 'int', default: 0, value: 'N', help: 'retries for extracting an image filesystem' },
  { name: 'cleanup', type: 'bool', default: false, help: 'clean the filesystem at the end of the build' },
  { name: 'force', type: 'bool', default: false, help: 'build outside of a container' },
  { name: 'secret', type: 'list', value: 'id=ID,src=PATH|env=VAR', help: 'a secret RUN --mount=type=secret can read (repeatable); never stored in the image' },
  { name: 'compression', type: 'string', default: 'gzip', value: 'gzip|zstd|none', help: 'compression of new layers' },
  { name: 'compression-level', type: 'int', default: -1, value: 'N', help: 'compression level (gzip 0-9, zstd 1-22; -1 for the default: gzip 1 as kaniko, zstd 3)' },
  { name: 'isolation', type: 'string', value: 'chroot|host', help: 'how RUN is isolated (default: chosen from the machine)' },
  { name: 'git', type: 'string', default: 'branch=,single-branch=false,recurse-submodules=false', value: 'OPTIONS', help: 'how a git:// context is cloned' },
  { name: 'verbosity', aliases: ['v'], type: 'string', default: 'info', value: 'LEVEL', help: `log level: ${LEVELS.join('|')}` },
  { name: 'log-format', type: 'string', default: 'color', value: 'text|color|json', help: 'log format' },
  { name: 'log-timestamp', type: 'bool', default: false, help: 'add timestamps to text and color logs' },
];

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new BuilderError('USAGE', `invalid value "${value}" for flag --${flag}: expected ${allowed.join(', ')}`);
  }
  return value as T;
}

/** `--secret id=ID,src=PATH` or `id=ID,env=VAR` (docker buildx's forms; `source=` too). */
function parseSecretSpec(spec: string): SecretSource {
  const fields = new Map<string, string>();
  for (const part of spec.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new BuilderError('USAGE', `invalid value for flag --secret: "${part}" is not KEY=VALUE (expected id=ID,src=PATH or id=ID,env=VAR)`);
    fields.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1));
  }
  const id = fields.get('id');
  const src = fields.get('src') ?? fields.get('source');
  const env = fields.get('env');
  if (!id) throw new BuilderError('USAGE', 'invalid value for flag --secret: id= is missing');
  if ((src === undefined) === (env === undefined)) throw new BuilderError('USAGE', `invalid value for flag --secret id=${id}: give exactly one of src=PATH or env=VAR`);
  return src !== undefined ? { id, src } : { id, env: env as string };
}

/** KEY=VALUE items of a repeated flag as a record; later items win. */
export function keyValues(flag: string, items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new BuilderError('USAGE', `invalid value "${item}" for flag --${flag}: expected KEY=VALUE`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

export function toBuildOptions(parsed: ParsedArgs, environ: NodeJS.ProcessEnv = process.env): BuildOptions {
  const f = parsed.flags;
  const str = (name: string): string | undefined => f[name] as string | undefined;
  const maxSize = str('cache-max-size');
  const bool = (name: string): boolean => f[name] as boolean;
  const list = (name: string): string[] => f[name] as string[];
  const int = (name: string): number => f[name] as number;

  if (parsed.positionals.length > 1) {
    throw new BuilderError('USAGE', `kiln build takes one CONTEXT argument, got ${parsed.positionals.length}: ${parsed.positionals.join(' ')}`);
  }
  const positional = parsed.positionals[0];
  const flagContext = str('context');
  if (positional !== undefined && flagContext !== undefined && positional !== flagContext) {
    throw new BuilderError('USAGE', `the context is given twice: "${positional}" and --context=${flagContext}`);
  }
  const ttlText = str('cache-ttl') as string;
  const ttl = parseGoDuration(ttlText);
  if (ttl === undefined || ttl < 0) throw new BuilderError('USAGE', `invalid value "${ttlText}" for flag --cache-ttl: expected a duration such as 336h or 30m`);
  for (const name of ['push-retry', 'image-fs-extract-retry']) {
    if (int(name) < 0) throw new BuilderError('USAGE', `invalid value "${int(name)}" for flag --${name}: cannot be negative`);
  }
  const isolation = str('isolation');

  return {
    context: positional ?? flagContext ?? '.',
    contextSubPath: str('context-sub-path'),
    dockerfile: str('dockerfile') as string,
    destinations: list('destination'),
    buildArgs: Object.fromEntries(parseBuildArgs(list('build-arg'), environ)),
    labels: keyValues('label', list('label')),
    target: str('target'),
    skipUnusedStages: bool('skip-unused-stages'),
    customPlatform: list('custom-platform').join(',') || undefined,
    dryRun: bool('dry-run'),
    push: bool('push'),
    noPush: bool('no-push'),
    pushRetry: int('push-retry'),
    tarPath: str('tar-path'),
    ociLayoutPath: str('oci-layout-path'),
    digestFile: str('digest-file'),
    imageNameWithDigestFile: str('image-name-with-digest-file'),
    imageNameTagWithDigestFile: str('image-name-tag-with-digest-file'),
    metadataFile: str('metadata-file'),
    cache: bool('cache'),
    cacheDir: str('cache-dir') as string,
    baseStore: str('base-store') ?? (environ.KILN_BASE_STORE || undefined),
    cacheRepo: str('cache-repo'),
    cacheMaxBytes: maxSize === undefined ? undefined : parseSize(maxSize, '--cache-max-size'),
    cacheCopyLayers: bool('cache-copy-layers'),
    cacheRunLayers: bool('cache-run-layers'),
    cacheTtlMs: ttl / 1e6,
    compressedCaching: bool('compressed-caching'),
    insecure: bool('insecure'),
    insecurePull: bool('insecure-pull'),
    insecureRegistries: list('insecure-registry'),
    skipTlsVerify: bool('skip-tls-verify'),
    skipTlsVerifyPull: bool('skip-tls-verify-pull'),
    skipTlsVerifyRegistries: list('skip-tls-verify-registry'),
    registryCertificates: keyValues('registry-certificate', list('registry-certificate')),
    registryMirrors: list('registry-mirror'),
    registryAddresses: registryAddresses(list('registry-address')),
    registryAuth: list('registry-auth'),
    credentialHelpers: str('credential-helpers'),
    snapshotMode: oneOf<SnapshotMode>('snapshot-mode', str('snapshot-mode') as string, ['full', 'redo', 'time']),
    singleSnapshot: bool('single-snapshot'),
    reproducible: bool('reproducible'),
    useNewRun: bool('use-new-run'),
    ignoreVarRun: bool('ignore-var-run'),
    ignorePaths: list('ignore-path'),
    imageFsExtractRetry: int('image-fs-extract-retry'),
    cleanup: bool('cleanup'),
    force: bool('force'),
    secrets: list('secret').map(parseSecretSpec),
    compression: oneOf<LayerCompression>('compression', str('compression') as string, ['gzip', 'zstd', 'none']),
    compressionLevel: int('compression-level') < 0 ? undefined : int('compression-level'),
    isolation: isolation === undefined ? undefined : oneOf<Isolation>('isolation', isolation, ['chroot', 'host']),
    git: str('git') as string,
    verbosity: oneOf<Level>('verbosity', str('verbosity') as string, LEVELS),
    logFormat: oneOf<LogFormat>('log-format', str('log-format') as string, ['text', 'color', 'json']),
    logTimestamp: bool('log-timestamp'),
  };
}
