// One stage of a build: start from its base, run its instructions in order (ONBUILD triggers of the
// base first), make a layer of each filesystem change, and commit the stage's image.
import { mkdir, chown } from 'node:fs/promises';
import { join, posix, relative } from 'node:path';
import {
  parseDockerfile,
  toInstruction,
  StageScope,
  declareArgs,
  isProxyArg,
  proxyEnv,
  type Expander,
  type Instruction,
  type ResolvedBuild,
  type Stage,
} from '../dockerfile/index.ts';
import type { BuildContext } from '../context/open.ts';
import { OverlaySnapshotter } from '../snapshot/overlay.ts';
import { WalkSnapshotter } from '../snapshot/walk.ts';
import type { Snapshotter } from '../snapshot/types.ts';
import type { ChangeSet } from '../snapshot/changes.ts';
import { writeLayer, type LayerCompression, type LayerUpload } from '../snapshot/layer-writer.ts';
import type { Runner } from '../run/index.ts';
import { lookupUser } from '../run/user.ts';
import { buildImage, type BuildStep } from '../image/commit.ts';
import type { Image, Layer } from '../image/types.ts';
import { RootResolver } from '../tar/rootfs-path.ts';
import type { ContainerConfig, ImageConfig, Platform } from '../oci/types.ts';
import { formatPlatform, parsePlatform } from '../oci/platform.ts';
import { cacheKey, hashFiles, hashMountSource } from '../cache/cache-key.ts';
import type { LayerCache } from '../image/layer-cache.ts';
import { BuilderError } from '../util/errors.ts';
import { log } from '../util/log.ts';
import { copyFiles, type SourceRoot } from './copy/copy.ts';
import { applyMetadata, envToMap, resolveWorkdir, type MetadataState } from './metadata.ts';
import { ensureCanRun } from './emulation.ts';
import { planRun, runCommand, type MountSources, type RunPlan } from './run-step.ts';
import { commandOutput, type Progress, type StepOrigin } from './progress.ts';
import type { ImageSource } from './images.ts';
import type { StageRoot, StageRoots } from './stage-root.ts';
import type { Workspace } from './workspace.ts';

/** What every stage of one build shares. */
export interface BuildEnv {
  file: string;
  resolved: ResolvedBuild;
  expander: Expander;
  context: BuildContext;
  images: ImageSource;
  workspace: Workspace;
  runner: Runner;
  /** Where each stage's filesystem lives: a workspace directory, or `/` in host isolation. */
  roots: StageRoots;
  platform: Platform;
  /** Put before every step's label ("linux/arm64 "), when one build makes several platforms. */
  labelPrefix?: string;
  snapshotter: 'overlay' | 'walk';
  snapshotMode: 'full' | 'redo' | 'time';
  singleSnapshot: boolean;
  compression: LayerCompression;
  compressionLevel?: number;
  /** --reproducible: every timestamp in layers and config. */
  fixedTime?: Date;
  created: Date;
  secrets: ReadonlyMap<string, Uint8Array>;
  cacheMountRoot: string;
  progress: Progress;
  /** --cache: the layer cache, and which steps may use it. */
  cache?: { layers: LayerCache; run: boolean; copy: boolean };
  /** Takes each layer of the target stage while it is written (early-upload.ts). */
  upload?: LayerUpload;
  /** Finished stages by index. */
  done: Map<number, StageResult>;
}

export interface StageResult {
  index: number;
  name?: string;
  /** The stage's final filesystem, made complete on first use (see StageBuilder.materialize). */
  rootfs(): Promise<string>;
  image: Image;
  config: ContainerConfig;
  /** The cache key after the stage's last step; a stage built FROM this one chains on from it. */
  cacheKey: string;
}

// BuildKit gives images built FROM scratch the default PATH.
const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function stageTitle(stage: Stage): string {
  return stage.name ?? `stage-${stage.index}`;
}

export class StageBuilder {
  private readonly root: StageRoot;
  private readonly rootfs: string;
  private base: Image | 'scratch' = 'scratch';
  private baseConfig?: ImageConfig;
  private meta!: MetadataState;
  private scope!: StageScope;
  /** Made once the filesystem is complete; a walk snapshotter indexes it then. */
  private snapshotter: Snapshotter | undefined;
  /**
   * Filesystem work not done yet: the base, then cached layers. It is done when a step needs the
   * files (RUN that runs, COPY, ADD, WORKDIR, a later stage reading this one), so a build whose
   * steps are all metadata or cache hits never unpacks its base, as kaniko skips unpacking then.
   * A RUN's result joins the queue too (settle), so a stage's last RUN is never put onto the rootfs
   * unless a later stage reads it. Unnamed work is not announced.
   */
  private pending: Array<{ what?: string; apply: () => Promise<void> }> = [];
  private readonly steps: BuildStep[] = [];
  private pendingPaths = false;
  /** The layer cache key of the last step (the base image's digest before the first). */
  private key = 'scratch';
  private platformText = '';

  constructor(
    private readonly env: BuildEnv,
    private readonly stage: Stage,
  ) {
    this.root = env.roots.forStage(stage.index);
    this.rootfs = this.root.dir;
  }

  private where(instr: Instruction): string {
    return `${this.env.file}:${instr.position.line}`;
  }

  private origin(instr: { position: { line: number } }): StepOrigin {
    return { stage: this.stage.name ?? String(this.stage.index), line: instr.position.line };
  }

  async build(): Promise<StageResult> {
    const { stage, env } = this;
    const platform = stage.platform ? parsePlatform(stage.platform) : env.platform;
    const triggers = await this.prepareBase(platform);
    this.platformText = formatPlatform(platform);

    const all = [...triggers, ...stage.instructions];
    const total = all.length + 1;
    let n = 1;
    for (const instr of all) {
      n++;
      const label = `${env.labelPrefix ?? ''}${stageTitle(stage)} ${n}/${total}`;
      await env.progress.step(label, instr.original, this.origin(instr), () => this.execute(instr, label, platform));
    }
    if (env.singleSnapshot && this.pendingPaths) await this.singleSnapshot();
    // A tree that finish() moves out of a shared `/` must be complete before it goes.
    if (this.root.handedOn) await this.materialize();

    const image = buildImage({
      base: this.base,
      platform,
      steps: this.steps,
      config: this.meta.config,
      created: env.fixedTime ?? env.created,
      author: this.meta.author,
    });
    const dir = await this.root.finish();
    const rootfs = async (): Promise<string> => {
      if (!this.root.handedOn) await this.materialize();
      return dir;
    };
    return { index: stage.index, name: stage.name, rootfs, image, config: this.meta.config, cacheKey: this.key };
  }

  /** Puts the base filesystem in place and returns the ONBUILD triggers to run first. */
  private async prepareBase(platform: Platform): Promise<Instruction[]> {
    const { stage, env } = this;
    const label = `${env.labelPrefix ?? ''}${stageTitle(stage)} 1/${stage.instructions.length + 1}`;
    await env.progress.step(label, stage.from.original, this.origin(stage.from), async () => {
      if (stage.base.kind === 'scratch') {
        await this.root.scratch();
      } else if (stage.base.kind === 'stage') {
        const parent = env.done.get(stage.base.index);
        if (!parent) throw new BuilderError('INTERNAL', `stage ${stage.base.index} has not been built`);
        this.later(`stage ${parent.name ?? parent.index}`, async () => this.root.restore(await parent.rootfs()));
        this.key = parent.cacheKey;
        this.base = parent.image;
        this.baseConfig = await parent.image.config();
      } else {
        const pulled = await env.images.image(stage.base.ref, platform);
        const layers = await pulled.image.layers();
        this.later(pulled.pinned, () => this.root.extract(layers, pulled.pinned));
        this.key = await pulled.image.digest();
        this.base = pulled.image;
        this.baseConfig = await pulled.image.config();
      }
    });
    const config: ContainerConfig = structuredClone(this.baseConfig?.config ?? {});
    if (this.base === 'scratch' && !config.Env) config.Env = [DEFAULT_PATH_ENV];
    this.meta = { config, author: this.baseConfig?.author, cmdSetInStage: false, file: env.file };
    this.scope = new StageScope(envToMap(config.Env));
    const triggers = config.OnBuild ?? [];
    // The child runs the triggers; they are not inherited further.
    delete config.OnBuild;
    return triggers.map((text, i) => parseTrigger(text, `${env.file} (ONBUILD ${i + 1} of the base image)`));
  }

  private later(what: string | undefined, apply: () => Promise<void>): void {
    this.pending.push({ what, apply });
  }

  /** Does the pending filesystem work; from here on the rootfs is the stage's filesystem so far. */
  private async materialize(): Promise<Snapshotter> {
    const work = this.pending;
    this.pending = [];
    for (const { what, apply } of work) {
      if (what === undefined) {
        await apply();
        continue;
      }
      log.info(`unpacking ${what}`);
      const started = performance.now();
      await apply();
      log.debug(`unpacked in ${secondsSince(started)}`);
    }
    this.snapshotter ??= this.makeSnapshotter();
    return this.snapshotter;
  }

  private makeSnapshotter(): Snapshotter {
    const { env } = this;
    if (env.snapshotter === 'overlay' && !env.singleSnapshot) return new OverlaySnapshotter(this.rootfs, this.root.ignorePaths);
    return WalkSnapshotter.create(this.rootfs, { mode: env.snapshotMode, ignorePaths: this.root.ignorePaths });
  }

  private async execute(instr: Instruction, label: string, platform: Platform): Promise<void> {
    const expanded = this.env.expander.instruction(instr, this.scope.lookup);
    const previous = this.key;
    this.key = cacheKey({ parent: previous, instruction: stepText(expanded), env: this.runEnv(), platform: this.platformText });
    switch (expanded.kind) {
      case 'arg':
        return this.declareArgs(expanded);
      case 'run':
        return this.run(expanded, label, platform);
      case 'copy':
      case 'add':
        return this.copy(expanded, platform);
      case 'workdir':
        return this.workdir(expanded);
      case 'from':
        throw new BuilderError('DOCKERFILE_PARSE', `${this.where(instr)}: FROM cannot run inside a stage`);
      default: {
        const createdBy = applyMetadata(this.meta, expanded);
        if (expanded.kind === 'env') for (const v of expanded.vars) this.scope.setEnv(v.key, v.value);
        this.steps.push({ history: { created_by: createdBy, comment: 'buildkit.dockerfile.v0' } });
      }
    }
  }

  private declareArgs(instr: Extract<Instruction, { kind: 'arg' }>): void {
    declareArgs(this.scope, instr.args, this.env.resolved);
    const text = instr.args.map((a) => (a.value === undefined ? a.name : `${a.name}=${a.value}`)).join(' ');
    this.steps.push({ history: { created_by: `ARG ${text}`, comment: 'buildkit.dockerfile.v0' } });
  }

  /** The environment of a RUN: the image's Env, then build args in scope, then proxy build args. */
  private runEnv(): string[] {
    const env = envToMap(this.meta.config.Env);
    for (const [k, v] of this.scope.argValues()) if (!env.has(k)) env.set(k, v);
    for (const [k, v] of proxyEnv(this.env.resolved.buildArgs)) if (!env.has(k)) env.set(k, v);
    return [...env].map(([k, v]) => `${k}=${v}`);
  }

  private mountSources(platform: Platform): MountSources {
    return {
      resolveFrom: async (from) => (from === undefined ? this.env.context.dir : this.sourceRoot(from, platform).then((r) => r.dir)),
      secrets: this.env.secrets,
      cacheRoot: this.env.cacheMountRoot,
    };
  }

  private async run(instr: Extract<Instruction, { kind: 'run' }>, label: string, platform: Platform): Promise<void> {
    const where = this.where(instr);
    const historyArgs = new Map([...this.scope.argValues()].filter(([k]) => !isProxyArg(k)));
    const plan = await planRun(instr, this.meta.config, historyArgs, this.mountSources(platform), where);
    await this.keyBindMounts(plan);
    const output = commandOutput(label);
    if (this.env.singleSnapshot) {
      await ensureCanRun(platform, where, instr.original);
      await this.materialize();
      await runCommand(this.env.runner, this.rootfs, plan, this.runEnv(), this.meta.config, output).finally(() => output.end());
      this.pendingPaths = true;
      this.steps.push({ history: { created_by: plan.createdBy, comment: 'buildkit.dockerfile.v0' } });
      return;
    }
    if (await this.fromCache(this.env.cache?.run, plan.createdBy)) return;
    await ensureCanRun(platform, where, instr.original);
    const snapshotter = await this.materialize();
    const snap = await snapshotter.begin();
    const started = performance.now();
    try {
      await runCommand(this.env.runner, snap.runRoot, plan, this.runEnv(), this.meta.config, output);
      log.debug(`command exited after ${secondsSince(started)}`);
    } catch (err) {
      await snap.abort();
      if (err instanceof BuilderError && err.code === 'RUN_FAILED') {
        throw new BuilderError('RUN_FAILED', `${where}: ${instr.original}: ${err.message}`, { cause: err });
      }
      throw err;
    } finally {
      output.end();
    }
    const snapshotStarted = performance.now();
    const set = await snap.finish();
    this.later(undefined, () => snapshotter.settle());
    log.debug(`snapshot (${snapshotter.kind}): ${set.changes.length} changes in ${secondsSince(snapshotStarted)}`);
    await this.addLayer(set, plan.createdBy, this.env.cache?.run);
  }

  /**
   * Folds the content of every bind mount's source into the key: the instruction names only the
   * path, and a RUN reading a changed file must not hit the layer made from the old one. Cache
   * mounts stay out (their contents are the RUN's own state, as in BuildKit); a secret counts by
   * its id, which the instruction text holds, never by its value.
   */
  private async keyBindMounts(plan: RunPlan): Promise<void> {
    if (!this.env.cache) return;
    const binds = plan.mounts.filter((m) => m.type === 'bind');
    if (binds.length === 0) return;
    const files = (await Promise.all(binds.map((m) => hashMountSource(m.source)))).join(' ');
    this.key = cacheKey({ parent: this.key, instruction: 'mounts', env: [], files, platform: this.platformText });
  }

  /**
   * A cached layer for the current key, applied to the rootfs (when a later step needs it) as if
   * the step had run. A walk snapshotter indexes again, since the layer changes the rootfs behind
   * its index.
   */
  private async fromCache(enabled: boolean | undefined, createdBy: string): Promise<boolean> {
    const cache = this.env.cache;
    if (!cache || !enabled || this.env.singleSnapshot) return false;
    const hit = await cache.layers.get(this.key);
    if (!hit) return false;
    this.later(`cached layer ${hit.layer.digest}`, async () => this.root.apply(await hit.layer.uncompressed(), { image: cache.layers.name, digest: hit.layer.digest }));
    if (this.snapshotter?.kind === 'walk') this.snapshotter = undefined;
    log.info(`using cached layer ${hit.layer.digest} from ${cache.layers.name}`);
    this.env.progress.markCached();
    this.steps.push({ layer: hit.layer, history: { created_by: createdBy, comment: 'buildkit.dockerfile.v0' } });
    return true;
  }

  /** The directory COPY --from / mount from= reads: an earlier stage's result or an image. */
  private async sourceRoot(from: string, platform: Platform): Promise<SourceRoot> {
    const stages = this.env.resolved.allStages;
    const byName = stages.find((s) => s.name !== undefined && s.name === from.toLowerCase());
    const byIndex = /^\d+$/.test(from) ? stages[Number(from)] : undefined;
    const stage = byName ?? byIndex;
    if (stage) {
      const result = this.env.done.get(stage.index);
      if (!result) throw new BuilderError('DOCKERFILE_STAGE', `stage ${from} is used before it is built`);
      return { dir: await result.rootfs(), kind: 'stage', name: from };
    }
    return { dir: await this.env.images.rootfs(from, platform), kind: 'image', name: from };
  }

  private async copy(instr: Extract<Instruction, { kind: 'copy' | 'add' }>, platform: Platform): Promise<void> {
    const from: SourceRoot =
      instr.kind === 'copy' && instr.from !== undefined
        ? await this.sourceRoot(instr.from, platform)
        : { dir: this.env.context.dir, kind: 'context', ignore: this.env.context.ignore };
    const createdBy = `${instr.original} # buildkit`;
    const cacheable = this.env.cache?.copy && from.kind === 'context' && instr.contents.length === 0 && instr.sources.every(isPlainPath);
    if (cacheable) {
      const files = await hashFiles(from.dir, instr.sources.map((p) => posix.normalize(p).replace(/^\/+/, '') || '.'));
      this.key = cacheKey({ parent: this.key, instruction: 'files', env: [], files, platform: this.platformText });
      if (await this.fromCache(true, createdBy)) return;
    }
    await this.materialize();
    const written = await copyFiles({
      instruction: instr.kind === 'copy' ? 'COPY' : 'ADD',
      location: this.where(instr),
      sources: instr.sources,
      heredocs: instr.contents.map((c) => ({ name: c.path, content: c.data })),
      dest: instr.dest,
      from,
      rootfs: this.rootfs,
      workdir: this.meta.config.WorkingDir || '/',
      chown: instr.chown,
      chmod: instr.chmod,
      link: instr.link,
      parents: instr.kind === 'copy' ? instr.parents : undefined,
      exclude: instr.exclude,
      checksum: instr.kind === 'add' ? instr.checksum : undefined,
      keepGitDir: instr.kind === 'add' ? instr.keepGitDir : undefined,
      tmpDir: this.env.workspace.tmp,
    });
    await this.pathsWritten(written, createdBy, cacheable);
  }

  private async workdir(instr: Extract<Instruction, { kind: 'workdir' }>): Promise<void> {
    const createdBy = applyMetadata(this.meta, instr);
    const target = resolveWorkdir(undefined, this.meta.config.WorkingDir ?? '/');
    await this.materialize();
    const created = await this.mkdirOwned(target);
    // Only a WORKDIR that made a directory makes a layer.
    if (created.length) await this.pathsWritten(created, createdBy);
    else this.steps.push({ history: { created_by: createdBy, comment: 'buildkit.dockerfile.v0' } });
  }

  /** mkdir -p inside the rootfs; BuildKit gives new directories to the current USER. */
  private async mkdirOwned(path: string): Promise<string[]> {
    const resolver = new RootResolver(this.rootfs, `WORKDIR ${path}`);
    const created: string[] = [];
    let owner: { uid: number; gid: number } | undefined;
    let parentHost = this.rootfs;
    let rel = '';
    for (const part of path.split('/').filter(Boolean)) {
      rel = rel ? `${rel}/${part}` : part;
      const host = resolver.dir(rel, false);
      if (host !== null) {
        parentHost = host;
        continue;
      }
      owner ??= this.meta.config.User ? await lookupUser(this.rootfs, this.meta.config.User) : { uid: 0, gid: 0 };
      const made = join(parentHost, part);
      await mkdir(made, { mode: 0o755 });
      await chown(made, owner.uid, owner.gid);
      resolver.remember(rel, made);
      created.push(relative(this.rootfs, made));
      parentHost = made;
    }
    return created;
  }

  private async pathsWritten(paths: string[], createdBy: string, cache = false): Promise<void> {
    if (this.env.singleSnapshot) {
      this.pendingPaths = true;
      this.steps.push({ history: { created_by: createdBy, comment: 'buildkit.dockerfile.v0' } });
      return;
    }
    const snapshotter = await this.materialize();
    await this.addLayer(await snapshotter.pathsChanged(paths), createdBy, cache);
  }

  /** --single-snapshot: one layer for the whole stage, found by comparing with the base. */
  private async singleSnapshot(): Promise<void> {
    const snap = await (await this.materialize()).begin();
    const set = await snap.finish();
    const layer = await this.writeLayer(set);
    if (layer) {
      // The layer belongs to the last step; the others stay empty_layer entries.
      const last = this.steps[this.steps.length - 1];
      last.layer = layer;
    }
  }

  private async writeLayer(set: ChangeSet): Promise<Layer | undefined> {
    if (set.changes.length === 0) return undefined;
    const { env } = this;
    return writeLayer(set, {
      blobRoot: env.workspace.blobRoot,
      compression: env.compression,
      compressionLevel: env.compressionLevel,
      fixedMtime: env.fixedTime ? Math.floor(env.fixedTime.getTime() / 1000) : undefined,
      // Only the target's layers are pushed; an earlier stage's would be sent for nothing.
      upload: this.stage === env.resolved.target ? env.upload : undefined,
    });
  }

  private async addLayer(set: ChangeSet, createdBy: string, cache?: boolean): Promise<void> {
    const started = performance.now();
    const layer = await this.writeLayer(set);
    if (layer) log.debug(`layer ${layer.digest}: ${set.changes.length} changes, ${layer.size} bytes, written in ${secondsSince(started)}`);
    if (layer && cache && this.env.cache) await this.env.cache.layers.put(this.key, layer, { createdBy });
    this.steps.push({ layer, history: { created_by: createdBy, comment: 'buildkit.dockerfile.v0' } });
  }
}

function secondsSince(start: number): string {
  return `${((performance.now() - start) / 1000).toFixed(2)}s`;
}

function parseTrigger(text: string, file: string): Instruction {
  const ast = parseDockerfile(`FROM scratch\n${text}\n`, { file });
  return toInstruction(ast.instructions[1], file);
}

/** The expanded instruction as the cache key sees it: every field but where it stood. */
function stepText(instr: Instruction): string {
  const { position: _p, endLine: _e, ...rest } = instr;
  return JSON.stringify(rest);
}

/** A COPY source the cache can hash directly: a context path with no wildcard or URL. */
function isPlainPath(source: string): boolean {
  return !/[*?[\\]/.test(source) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(source) && !source.startsWith('git@');
}
