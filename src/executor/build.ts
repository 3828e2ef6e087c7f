// A whole build: open the context, read and resolve the Dockerfile, build the stages in order,
// then hand the target stage's image to every output. Everything temporary is removed at the end.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultKeychain } from '../auth/default-keychain.ts';
import { RegistryClient } from '../registry/client.ts';
import type { Reference } from '../registry/reference.ts';
import { withConfig } from '../image/mutate.ts';
import { openLayerCache } from '../image/layer-cache.ts';
import type { Image } from '../image/types.ts';
import { openContext, type BuildContext } from '../context/open.ts';
import { Expander, parseDockerfile, resolveStages, unusedArgsWarning, type ResolvedBuild } from '../dockerfile/index.ts';
import { createRunner, type Runner } from '../run/index.ts';
import { BaseStore } from '../snapshot/base-store.ts';
import { overlaySupported } from '../snapshot/overlay.ts';
import { formatPlatform, hostPlatform, parsePlatform, platformMatches } from '../oci/platform.ts';
import type { Platform } from '../oci/types.ts';
import { describeImage, type ReadChild } from '../image/index-create.ts';
import { BuilderError, fromSystemError } from '../util/errors.ts';
import { log } from '../util/log.ts';
import type { BuildOptions, SecretSource } from './options.ts';
import { registerSecret } from '../util/redact.ts';
import { parseDestinations, writeIndexOutputs, writeOutputs, type OutputResult } from './outputs.ts';
import { buildMetadata, writeMetadataFile, type BuiltImage } from './build-report.ts';
import { EarlyUploads, earlyUploadsFor } from './early-upload.ts';
import { ImageSource } from './images.ts';
import { Progress, TransferMeter, formatBytes } from './progress.ts';
import { StageBuilder, type BuildEnv, type StageResult } from './stage.ts';
import { ChrootRoots, HostRoots, type StageRoots } from './stage-root.ts';
import { planHostBuild } from './host-root.ts';
import { Workspace } from './workspace.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function readDockerfile(context: BuildContext, options: BuildOptions): Promise<string> {
  if (context.dockerfile === '-') return readStdin();
  try {
    return await readFile(context.dockerfile, 'utf8');
  } catch (err) {
    throw fromSystemError(err, `--dockerfile ${options.dockerfile}`);
  }
}

export function registryClientFor(options: BuildOptions, meter?: TransferMeter): RegistryClient {
  return new RegistryClient({
    onProgress: meter?.onProgress,
    keychain: defaultKeychain({ registryAuth: options.registryAuth, credentialHelpers: options.credentialHelpers }),
    insecurePush: options.insecure,
    insecurePull: options.insecurePull,
    insecureRegistries: options.insecureRegistries,
    skipTlsVerifyPush: options.skipTlsVerify,
    skipTlsVerifyPull: options.skipTlsVerifyPull,
    skipTlsVerifyRegistries: options.skipTlsVerifyRegistries,
    certificates: options.registryCertificates,
    mirrors: options.registryMirrors,
    addresses: options.registryAddresses,
    pushRetry: options.pushRetry,
  });
}

/** Refuses option combinations before any work, with kaniko's wording where kaniko has one. */
function checkOutputs(options: BuildOptions): void {
  if (options.destinations.length === 0 && !options.noPush) {
    throw new BuilderError('USAGE', 'you must provide --destination, or use --no-push');
  }
}

/** Reads every --secret now, so a missing file fails before the build starts. */
async function readSecrets(sources: SecretSource[]): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const s of sources) {
    let value: Buffer;
    if ('src' in s) {
      try {
        value = await readFile(s.src);
      } catch (err) {
        throw fromSystemError(err, `--secret id=${s.id}: ${s.src}`);
      }
    } else {
      const text = process.env[s.env];
      if (text === undefined) throw new BuilderError('USAGE', `--secret id=${s.id}: environment variable ${s.env} is not set`);
      value = Buffer.from(text);
    }
    registerSecret(value.toString('utf8'));
    registerSecret(value.toString('utf8').trim());
    out.set(s.id, value);
  }
  return out;
}

function cacheMountRoot(): string {
  return join(process.env.KILN_CACHE_HOME || join(homedir(), '.cache', 'kiln'), 'run-mounts');
}

function reproducibleTime(): Date {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  return new Date(epoch && /^\d+$/.test(epoch) ? Number(epoch) * 1000 : 0);
}

async function chooseSnapshotter(workspace: Workspace, runner: Runner): Promise<'overlay' | 'walk'> {
  const forced = process.env.KILN_SNAPSHOTTER;
  if (forced === 'walk' || forced === 'overlay') return forced;
  if (runner.isolation !== 'chroot') return 'walk';
  return (await overlaySupported(workspace.root)) ? 'overlay' : 'walk';
}

/** The base store, where it can serve: its trees are overlay lower dirs, and a RUN's snapshot is an overlay over that. */
function baseStoreFor(options: BuildOptions, runner: Runner, snapshotter: 'overlay' | 'walk'): BaseStore | undefined {
  if (!options.baseStore) return undefined;
  if (runner.isolation === 'chroot' && snapshotter === 'overlay') return new BaseStore(resolve(options.baseStore));
  log.warn(`--base-store ${options.baseStore} is not used: it needs chroot isolation and overlayfs (isolation ${runner.isolation}, snapshotter ${snapshotter})`);
  return undefined;
}

function finalImage(result: StageResult, labels: Record<string, string>): Image {
  if (Object.keys(labels).length === 0) return result.image;
  return withConfig(result.image, (c) => ({ ...c, config: { ...c.config, Labels: { ...(c.config?.Labels ?? {}), ...labels } } }));
}

function printSummary(progress: Progress, out: OutputResult, layers: number, size: number): void {
  log.info(`built image ${out.digest} (${layers} layers, ${formatBytes(size)}) in ${progress.elapsedSeconds.toFixed(1)}s`);
  for (const p of out.pushed) log.info(`pushed ${p.reference}@${p.digest}`);
  for (const s of progress.steps) log.info(`  ${s.seconds.toFixed(2).padStart(7)}s  [${s.label}] ${s.text.split('\n')[0].slice(0, 80)}`);
}

export async function runBuild(options: BuildOptions): Promise<number> {
  log.configure({ level: options.verbosity, format: options.logFormat, timestamp: options.logTimestamp });
  const progress = new Progress();
  const file = options.dockerfile === '-' ? 'Dockerfile' : options.dockerfile;
  let image: BuiltImage;
  try {
    image = await build(options, progress, file);
  } catch (err) {
    // The build's own error is what the user must see; a metadata file that cannot be written
    // then would only hide it.
    if (options.metadataFile) await writeMetadataFile(options.metadataFile, buildMetadata(file, progress, { error: err })).catch(() => undefined);
    throw err;
  }
  if (options.metadataFile) await writeMetadataFile(options.metadataFile, buildMetadata(file, progress, { image }));
  return 0;
}

/** The --custom-platform values (comma separated, repeatable); the host's when none. */
export function targetPlatforms(options: BuildOptions): Platform[] {
  const texts = (options.customPlatform ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  if (texts.length === 0) return [hostPlatform()];
  const platforms: Platform[] = [];
  for (const text of texts) {
    const p = parsePlatform(text);
    if (platforms.some((q) => platformMatches(q, p) && platformMatches(p, q))) throw new BuilderError('USAGE', `--custom-platform: ${text} is named twice`);
    platforms.push(p);
  }
  return platforms;
}

/** Multi-platform outputs that cannot exist, refused before anything is built. */
function checkMultiPlatform(options: BuildOptions, platforms: Platform[], isolation: Runner['isolation']): void {
  if (platforms.length < 2) return;
  const list = platforms.map(formatPlatform).join(',');
  if (options.tarPath) throw new BuilderError('USAGE', `--tar-path: a docker archive holds one platform, not ${list} (use --oci-layout-path, or one build per platform)`);
  if (isolation === 'host') throw new BuilderError('USAGE', `--custom-platform ${list}: host isolation builds one platform per run, since each build takes over / (use --isolation chroot, or one build per platform)`);
}

/** What is shared by the build of every platform. */
interface BuildShared {
  options: BuildOptions;
  progress: Progress;
  file: string;
  ast: ReturnType<typeof parseDockerfile>;
  context: BuildContext;
  client: RegistryClient;
  runner: Runner;
  host: Awaited<ReturnType<typeof planHostBuild>> | undefined;
  secrets: ReadonlyMap<string, Uint8Array>;
  /** Every workspace made, disposed of once all outputs are written. */
  workspaces: Workspace[];
  early: EarlyUploads | undefined;
}

/** The target stage's image for one platform (its layers live in a workspace until the outputs are written). */
async function buildPlatform(shared: BuildShared, platform: Platform, several: boolean): Promise<{ image: Image; roots: StageRoots }> {
  const { options, progress, file, ast, context, client, runner, host } = shared;
  const resolved: ResolvedBuild = resolveStages(ast, {
    buildArgs: new Map(Object.entries(options.buildArgs)),
    target: options.target,
    skipUnusedStages: options.skipUnusedStages,
    platform,
    buildPlatform: hostPlatform(),
  });
  const unused = unusedArgsWarning(resolved);
  if (unused) log.warn(unused);
  const workspace = host ? await Workspace.createIn(host.workspaceParent) : await Workspace.create();
  shared.workspaces.push(workspace);
  const snapshotter = await chooseSnapshotter(workspace, runner);
  const roots: StageRoots = host ? new HostRoots(workspace, resolved, host.ignored) : new ChrootRoots(workspace, options.ignorePaths, baseStoreFor(options, runner, snapshotter));
  if (host) log.debug(`host isolation: / is the rootfs; kept and left out of snapshots: ${host.ignored.join(' ')}`);
  const env: BuildEnv = {
    file,
    resolved,
    expander: new Expander(resolved.lexer, file),
    context,
    images: new ImageSource(client, workspace, options.cacheDir),
    workspace,
    runner,
    roots,
    platform,
    labelPrefix: several ? `${formatPlatform(platform)} ` : undefined,
    snapshotter,
    snapshotMode: options.snapshotMode,
    singleSnapshot: options.singleSnapshot,
    compression: options.compression,
    compressionLevel: options.compressionLevel,
    fixedTime: options.reproducible ? reproducibleTime() : undefined,
    created: new Date(),
    secrets: shared.secrets,
    cacheMountRoot: cacheMountRoot(),
    progress,
    cache: options.cache
      ? {
          layers: openLayerCache({ cacheRepo: options.cacheRepo, maxBytes: options.cacheMaxBytes, destinations: options.destinations, ttlMs: options.cacheTtlMs, client, platform }),
          run: options.cacheRunLayers,
          copy: options.cacheCopyLayers,
        }
      : undefined,
    upload: shared.early?.upload,
    done: new Map(),
  };
  log.debug(`isolation ${runner.isolation}, snapshotter ${env.snapshotter}, workspace ${workspace.root}`);

  let last: StageResult | undefined;
  for (const stage of resolved.stages) {
    last = await new StageBuilder(env, stage).build();
    env.done.set(stage.index, last);
  }
  if (!last) throw new BuilderError('DOCKERFILE_PARSE', `${file}: no stage to build`);
  if (env.cache) {
    const flushed = await env.cache.layers.flush();
    if (flushed.written) log.info(`cached ${flushed.written} layers in ${env.cache.layers.name}`);
  }
  return { image: finalImage(last, options.labels), roots };
}

async function imageSize(image: Image): Promise<{ size: number; layers: number; configDigest: string }> {
  const manifest = await image.manifest();
  return { size: manifest.layers.reduce((n, l) => n + l.size, 0) + manifest.config.size, layers: manifest.layers.length, configDigest: manifest.config.digest };
}

async function build(options: BuildOptions, progress: Progress, file: string): Promise<BuiltImage> {
  checkOutputs(options);
  const platforms = targetPlatforms(options);
  const destinations: Reference[] = parseDestinations(options.destinations);
  const secrets = await readSecrets(options.secrets);
  const context = await openContext(options.context, { subPath: options.contextSubPath, dockerfilePath: options.dockerfile, git: options.git });
  const { fetched } = context;
  if (fetched) log.info(`fetched the build context: ${formatBytes(fetched.bytes)} in ${fetched.seconds.toFixed(1)}s${fetched.commit ? ` (commit ${fetched.commit})` : ''}`);
  const client = registryClientFor(options, new TransferMeter(log.isTerminal));
  const workspaces: Workspace[] = [];
  try {
    const ast = parseDockerfile(await readDockerfile(context, options), { file });
    for (const w of ast.warnings) log.warn(`${file}:${w.position.line}:${w.position.column}: ${w.message}`);
    const runner = await createRunner({ isolation: options.isolation, force: options.force });
    checkMultiPlatform(options, platforms, runner.isolation);
    // Host isolation deletes what `/` holds, so everything it checks comes before the workspace.
    const host = runner.isolation === 'host' ? await planHostBuild({ ...options, contextDir: context.dir, certificates: options.registryCertificates }) : undefined;
    const early = earlyUploadsFor(options, client, destinations);
    const shared: BuildShared = { options, progress, file, ast, context, client, runner, host, secrets, workspaces, early };

    if (platforms.length === 1) {
      const { image, roots } = await buildPlatform(shared, platforms[0], false);
      await early?.settled();
      const out = await writeOutputs(image, options, client, destinations);
      const { size, layers, configDigest } = await imageSize(image);
      printSummary(progress, out, layers, size);
      if (options.cleanup) await roots.cleanup();
      return {
        descriptor: { mediaType: await image.mediaType(), digest: out.digest, size: (await image.rawManifest()).length },
        configDigest,
        platform: formatPlatform(platforms[0]),
        size,
        layers,
        names: destinations.map((d) => d.toString()),
        pushed: out.pushed,
      };
    }

    const children: ReadChild[] = [];
    for (const platform of platforms) {
      log.info(`building for ${formatPlatform(platform)}`);
      const { image } = await buildPlatform(shared, platform, true);
      children.push({ source: `the ${formatPlatform(platform)} image`, image, descriptor: await describeImage(image, `the ${formatPlatform(platform)} image`) });
    }
    await early?.settled();
    const out = await writeIndexOutputs(children, options, client, destinations);
    let size = 0;
    let layers = 0;
    for (const c of children) {
      const s = await imageSize(c.image);
      size += s.size;
      layers += s.layers;
    }
    printSummary(progress, out, layers, size);
    return {
      descriptor: out.descriptor,
      platform: platforms.map(formatPlatform).join(','),
      size,
      layers,
      names: destinations.map((d) => d.toString()),
      pushed: out.pushed,
    };
  } finally {
    await client.close();
    for (const w of workspaces) await w.dispose();
    await context.cleanup();
  }
}
