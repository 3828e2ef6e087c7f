// Where a stage's filesystem lives, and how it gets its base and is handed to later stages:
//   chroot: a directory per stage in the workspace; FROM <stage> copies the earlier directory,
//           which stays where it is for COPY --from and mount from=. With a base store, FROM
//           <image> mounts the directory as an overlay of the image's stored tree instead.
//   host:   the container's own `/` (kaniko's way, docs/architecture.md "RUN isolation"); each
//           stage starts by clearing it, and a stage that a later one reads is moved aside into
//           the workspace first (kaniko keeps it as a tarball under /kaniko/stages).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ResolvedBuild } from '../dockerfile/index.ts';
import { applyLayer, describeLabel, extractImage, type EntryFilter, type LayerLabel, type LayerSource } from '../tar/extract.ts';
import { clearRoot, ignoredPathFilter, keepAside } from './host-root.ts';
import type { BaseStore } from '../snapshot/base-store.ts';
import { copyTree } from '../util/copy-tree.ts';
import { describeError, isBuilderError } from '../util/errors.ts';
import { log } from '../util/log.ts';
import type { Workspace } from './workspace.ts';

export interface StageRoot {
  /** What RUN, COPY and the snapshotter see as the stage's `/`. */
  readonly dir: string;
  /**
   * finish() moves the tree out of a shared `/` for a later stage: it must be complete by then.
   * Otherwise the tree stays where it is, and a later stage may have it completed on first use.
   */
  readonly handedOn: boolean;
  /** Absolute paths every snapshot of the stage leaves out (--ignore-path values included). */
  readonly ignorePaths: readonly string[];
  /** FROM scratch: an empty root. */
  scratch(): Promise<void>;
  /** FROM <stage>: the tree an earlier stage's finish() returned. */
  restore(from: string): Promise<void>;
  /** FROM <image>: its layers, in order. */
  extract(layers: readonly LayerSource[], image: string): Promise<void>;
  /** A layer taken from the cache instead of running its step. */
  apply(tar: Readable, label: LayerLabel): Promise<void>;
  /** The stage is built; returns where later stages read its filesystem. */
  finish(): Promise<string>;
}

export interface StageRoots {
  forStage(index: number): StageRoot;
  /** kaniko's --cleanup: leave nothing of the build in `/`. */
  cleanup(): Promise<void>;
}

class ChrootRoot implements StageRoot {
  readonly dir: string;
  readonly handedOn = false;

  constructor(
    private readonly workspace: Workspace,
    private readonly stageDir: string,
    readonly ignorePaths: readonly string[],
    private readonly store: BaseStore | undefined,
  ) {
    this.dir = join(stageDir, 'rootfs');
  }

  async scratch(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  async restore(from: string): Promise<void> {
    await mkdir(this.stageDir, { recursive: true });
    await copyTree(from, this.dir, 'the stage filesystem');
  }

  async extract(layers: readonly LayerSource[], image: string): Promise<void> {
    if (this.store && layers.length > 0) {
      const dirs = { rootfs: this.dir, upper: join(this.stageDir, 'base-upper'), work: join(this.stageDir, 'base-work') };
      try {
        const mounted = await this.store.mount(layers, image, dirs);
        this.workspace.beforeDispose(() => mounted.unmount());
        return;
      } catch (err) {
        if (!isBuilderError(err, 'ISOLATION')) throw err;
        log.warn(`base store ${this.store.dir}: ${describeError(err)}; extracting ${image} into the build instead`);
      }
    }
    await extractImage(this.dir, layers, { image });
  }

  async apply(tar: Readable, label: LayerLabel): Promise<void> {
    await applyLayer(this.dir, tar, label);
  }

  async finish(): Promise<string> {
    return this.dir;
  }
}

export class ChrootRoots implements StageRoots {
  constructor(
    private readonly workspace: Workspace,
    private readonly ignorePaths: readonly string[],
    /** --base-store: stages from an image start as overlays of its stored tree. */
    private readonly store?: BaseStore,
  ) {}

  forStage(index: number): StageRoot {
    return new ChrootRoot(this.workspace, this.workspace.stageDir(index), this.ignorePaths, this.store);
  }

  async cleanup(): Promise<void> {
    // Stage directories live in the workspace, which the build removes anyway.
  }
}

const HOST_ROOT = '/';

class HostRoot implements StageRoot {
  readonly dir = HOST_ROOT;
  readonly handedOn: boolean;

  constructor(
    private readonly aside: string,
    readonly ignorePaths: readonly string[],
    /** The last stage of the build stays in `/`; one a later stage reads is moved aside. */
    private readonly fate: 'stay' | 'keep' | 'drop',
  ) {
    this.handedOn = fate === 'keep';
  }

  async scratch(): Promise<void> {
    await clearRoot(HOST_ROOT, this.ignorePaths);
  }

  async restore(from: string): Promise<void> {
    await clearRoot(HOST_ROOT, this.ignorePaths);
    // `from/.` copies what the directory holds onto the existing `/`.
    await copyTree(`${from}/.`, HOST_ROOT, 'the stage filesystem');
  }

  async extract(layers: readonly LayerSource[], image: string): Promise<void> {
    await clearRoot(HOST_ROOT, this.ignorePaths);
    await extractImage(HOST_ROOT, layers, { image }, { filter: this.filter });
  }

  async apply(tar: Readable, label: LayerLabel): Promise<void> {
    await applyLayer(HOST_ROOT, tar, label, { filter: this.filter });
  }

  private readonly filter = (label: LayerLabel): EntryFilter => ignoredPathFilter(HOST_ROOT, this.ignorePaths, describeLabel(label));

  async finish(): Promise<string> {
    if (this.fate === 'stay') return HOST_ROOT;
    const rootfs = join(this.aside, 'rootfs');
    // Nothing later names a dropped stage, so its tree is left for the next stage to clear and
    // the path it would have been kept at does not exist.
    if (this.fate === 'keep') {
      await mkdir(this.aside, { recursive: true });
      await keepAside(HOST_ROOT, this.ignorePaths, rootfs);
    }
    return rootfs;
  }
}

export class HostRoots implements StageRoots {
  /** Stages a later stage reads (FROM, COPY --from, RUN --mount from=). */
  private readonly read: Set<number>;
  private readonly last: number;

  constructor(
    private readonly workspace: Workspace,
    resolved: ResolvedBuild,
    private readonly ignored: readonly string[],
  ) {
    this.read = new Set(resolved.stages.flatMap((s) => s.dependsOn));
    this.last = resolved.target.index;
  }

  forStage(index: number): StageRoot {
    const fate = index === this.last ? 'stay' : this.read.has(index) ? 'keep' : 'drop';
    return new HostRoot(this.workspace.stageDir(index), this.ignored, fate);
  }

  async cleanup(): Promise<void> {
    await clearRoot(HOST_ROOT, this.ignored);
  }
}
