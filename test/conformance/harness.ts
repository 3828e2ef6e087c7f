// Builds a conformance case with buildah (the reference, with docker's documented result laid
// over it where buildah departs) and with kiln (or with buildah again, to prove the harness),
// describes both file trees (kiln's image through skopeo copy and umoci unpack, the reference
// from buildah's storage) and compares trees and run configs.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, CommandError } from '../support/exec.ts';
import { repoRoot, labDir } from '../support/lab-dir.ts';
import { removeTree } from '../support/mounts.ts';
import { buildahEnv } from '../support/buildah.ts';
import { baseImageDigest } from '../support/base-images.ts';
import type { LabRegistry } from '../support/registry.ts';
import { PARENT_ARG, hashCaseFiles, materializeContext, type ConformanceCase } from './cases.ts';
import { compareConfigs, pickRunConfig, type RunConfig } from './config.ts';
import {
  compareTrees, describeTree, treeFromJson, treeToJson, withoutRuntimePaths,
  type TreeDescription, type TreeEntry, type TreeJson,
} from './tree.ts';

// Bump when what the harness records for a reference changes, so old cache entries are ignored.
const HARNESS_VERSION = 'conformance-v2';
/** How many differences a failure message shows. */
export const MAX_DIFFS_SHOWN = 20;

export type BuildOutcome =
  | { ok: true; tree: TreeJson; config: RunConfig }
  | { ok: false; error: string };

export type Candidate = 'kiln' | 'buildah';

export interface HarnessOptions {
  reg: LabRegistry;
  /** Where the reference results are cached; default `.lab/conformance-cache`. */
  cacheDir?: string;
  /** false: rebuild every reference (and do not read the cache). */
  useCache?: boolean;
  /** kiln pushes to the lab registry (default), or writes `--oci-layout-path` with `--no-push`. */
  kilnOutput?: 'registry' | 'layout';
  /** Per build; default 5 minutes. */
  timeoutMs?: number;
}

export interface CaseResult {
  name: string;
  reference: BuildOutcome;
  referenceCached: boolean;
  candidate: BuildOutcome;
  /** Empty when the candidate means what docker means. */
  diffs: string[];
}

function tail(text: string, max = 1500): string {
  const t = text.trim();
  return t.length > max ? `…${t.slice(-max)}` : t;
}

function errorText(err: unknown): string {
  // The message (with stderr, where the error is) last, so the tail keeps it.
  if (err instanceof CommandError) return tail(`${err.stdout.trim()}\n${err.message}`);
  return String((err as Error)?.message ?? err);
}

/** The command line that runs kiln: `$KILN_BIN` (e.g. dist/kiln.js) or the TypeScript sources through tsx. */
export function kilnCommand(): { command: string; args: string[] } {
  const bin = process.env.KILN_BIN;
  if (bin) return { command: process.execPath, args: [bin] };
  return { command: process.execPath, args: ['--import', 'tsx', join(repoRoot, 'src', 'cli', 'main.ts')] };
}

/** Lays docker's documented result over buildah's where the case says buildah departs from it. */
export function expectedResult(c: ConformanceCase, reference: { tree: TreeDescription; config: RunConfig }): { tree: TreeDescription; config: RunConfig } {
  const entries = new Map(reference.tree.entries);
  let hardlinks = reference.tree.hardlinks;
  for (const [path, override] of Object.entries(c.spec.docker?.files ?? {})) {
    if (override === null) {
      entries.delete(path);
      hardlinks = hardlinks.map((g) => g.filter((p) => p !== path)).filter((g) => g.length > 1);
      continue;
    }
    const base = entries.get(path);
    const merged = { ...base, ...override } as TreeEntry;
    if (merged.type === undefined || merged.mode === undefined || merged.uid === undefined || merged.gid === undefined) {
      throw new Error(`case ${c.name}: docker.files["${path}"] must give type, mode, uid and gid (buildah has no such path)`);
    }
    entries.set(path, merged);
  }
  const config: RunConfig = { ...reference.config };
  for (const [field, value] of Object.entries(c.spec.docker?.config ?? {})) {
    if (value === null) delete config[field as keyof RunConfig];
    else config[field as keyof RunConfig] = value;
  }
  return { tree: { entries, hardlinks }, config };
}

/** Paths compared even though they are buildah placeholders: the case writes or expects them. */
function keptPaths(c: ConformanceCase): string[] {
  return [...(c.spec.comparePaths ?? []), ...Object.keys(c.spec.docker?.files ?? {})];
}

/** Differences between the expected (docker) result and the candidate's, for one case. */
export function compareOutcomes(c: ConformanceCase, reference: BuildOutcome, candidate: BuildOutcome, candidateName: string): string[] {
  const failure = c.spec.expectFailure;
  if (failure) {
    const diffs: string[] = [];
    if (reference.ok) diffs.push(`reference (buildah) built it, but docker rejects it: ${failure.note}`);
    if (candidate.ok) diffs.push(`${candidateName} built it, but docker rejects it: ${failure.note}`);
    else if (failure.kilnStderr && candidateName === 'kiln' && !new RegExp(failure.kilnStderr).test(candidate.error)) {
      diffs.push(`kiln failed, but its message does not match /${failure.kilnStderr}/: ${candidate.error}`);
    }
    return diffs;
  }
  if (!reference.ok) return [`reference (buildah) failed: ${reference.error}`];
  if (!candidate.ok) return [`${candidateName} failed: ${candidate.error}`];
  const expected = expectedResult(c, { tree: treeFromJson(reference.tree), config: reference.config });
  const keep = { keep: keptPaths(c) };
  return [
    ...compareConfigs(expected.config, candidate.config),
    ...compareTrees(withoutRuntimePaths(expected.tree, keep), withoutRuntimePaths(treeFromJson(candidate.tree), keep)),
  ];
}

export function formatDiffs(name: string, diffs: string[]): string {
  const shown = diffs.slice(0, MAX_DIFFS_SHOWN).map((d) => `  - ${d}`);
  const more = diffs.length > MAX_DIFFS_SHOWN ? [`  … and ${diffs.length - MAX_DIFFS_SHOWN} more`] : [];
  return [`case ${name}: ${diffs.length} difference(s) from docker's result`, ...shown, ...more].join('\n');
}

/** Reads the `config` member of the image an OCI layout's only (or named) manifest points at. */
export async function layoutRunConfig(layout: string): Promise<Record<string, unknown>> {
  const blob = async (digest: string): Promise<Record<string, unknown>> =>
    JSON.parse(await readFile(join(layout, 'blobs', ...digest.split(':')), 'utf8')) as Record<string, unknown>;
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  if (index.manifests.length !== 1) throw new Error(`${layout}: expected one manifest in index.json, found ${index.manifests.length}`);
  let manifest = await blob(index.manifests[0].digest);
  // A nested index (a one-platform image written as an index): take its only manifest.
  const nested = manifest.manifests as Array<{ digest: string }> | undefined;
  if (nested) {
    if (nested.length !== 1) throw new Error(`${layout}: nested index holds ${nested.length} manifests`);
    manifest = await blob(nested[0].digest);
  }
  const config = await blob((manifest.config as { digest: string }).digest);
  return (config.config ?? {}) as Record<string, unknown>;
}

export class ConformanceHarness {
  private readonly reg: LabRegistry;
  private readonly cacheDir: string;
  private readonly useCache: boolean;
  private readonly kilnOutput: 'registry' | 'layout';
  private readonly timeoutMs: number;
  private workDir = '';
  private buildahVersion = '';
  private baseDigests: Record<string, string> = {};
  private readonly caseKeys = new Map<string, string>();
  /** Parent cases whose image is in the lab registry, per builder. */
  private readonly pushedParents = new Set<string>();
  private readonly cases = new Map<string, ConformanceCase>();

  constructor(opts: HarnessOptions) {
    this.reg = opts.reg;
    this.cacheDir = opts.cacheDir ?? labDir('conformance-cache');
    this.useCache = opts.useCache ?? true;
    this.kilnOutput = opts.kilnOutput ?? 'registry';
    this.timeoutMs = opts.timeoutMs ?? 5 * 60_000;
  }

  /** Call once, after the base images are in the registry. */
  async init(cases: ConformanceCase[]): Promise<void> {
    for (const c of cases) this.cases.set(c.name, c);
    this.workDir = await mkdtemp(join(tmpdir(), 'kiln-conformance-'));
    this.buildahVersion = (await run('buildah', ['--version'])).stdout.trim();
    this.baseDigests = { busybox: await baseImageDigest('busybox'), debian: await baseImageDigest('debian') };
    await mkdir(this.cacheDir, { recursive: true });
  }

  async close(): Promise<void> {
    if (this.workDir) await removeTree(this.workDir);
  }

  private caseOf(name: string): ConformanceCase {
    const c = this.cases.get(name);
    if (!c) throw new Error(`unknown case ${name}`);
    return c;
  }

  /** Cache key of a case's reference: its files, its parent's key, buildah, the base images, the harness. */
  async cacheKey(c: ConformanceCase): Promise<string> {
    const known = this.caseKeys.get(c.name);
    if (known) return known;
    const parentKey = c.spec.parent ? await this.cacheKey(this.caseOf(c.spec.parent)) : '';
    const key = createHash('sha256')
      .update(JSON.stringify({ HARNESS_VERSION, buildah: this.buildahVersion, base: this.baseDigests, files: await hashCaseFiles(c.dir), parentKey }))
      .digest('hex')
      .slice(0, 24);
    this.caseKeys.set(c.name, key);
    return key;
  }

  private async contextFor(c: ConformanceCase, who: string): Promise<string> {
    const dir = join(this.workDir, `${c.name}-${who}-ctx`);
    await rm(dir, { recursive: true, force: true });
    await materializeContext(c, dir);
    return dir;
  }

  private buildArgs(c: ConformanceCase, parentRef: string | undefined): string[] {
    const args: string[] = [];
    for (const [k, v] of Object.entries(c.spec.buildArgs ?? {})) args.push('--build-arg', `${k}=${v}`);
    if (parentRef) args.push('--build-arg', `${PARENT_ARG}=${parentRef}`);
    if (c.spec.target) args.push('--target', c.spec.target);
    return args;
  }

  private registryRef(c: ConformanceCase, builder: Candidate): string {
    return `${this.reg.host}/conf/${c.name}:${builder}`;
  }

  /** Unpacks `layout:tag` with umoci (an acceptance check in itself) and describes the rootfs. */
  private async unpackAndDescribe(layout: string, tag: string): Promise<TreeJson> {
    const bundle = `${layout}-bundle`;
    await removeTree(bundle);
    try {
      await run('umoci', ['unpack', '--image', `${layout}:${tag}`, bundle], { timeoutMs: this.timeoutMs });
      return treeToJson(await describeTree(join(bundle, 'rootfs')));
    } finally {
      await removeTree(bundle);
    }
  }

  // ---- buildah ----

  private async buildahFlags(): Promise<{ env: NodeJS.ProcessEnv; common: string[] }> {
    return { env: await buildahEnv(this.reg, 'overlay'), common: ['--storage-driver', 'overlay'] };
  }

  /** Builds `c` with buildah into its local storage as localhost/conf/NAME:buildah; throws on failure. */
  private async buildahBuild(c: ConformanceCase): Promise<string> {
    const { env, common } = await this.buildahFlags();
    let parentRef: string | undefined;
    if (c.spec.parent) parentRef = await this.ensureParent(this.caseOf(c.spec.parent), 'buildah');
    const ctx = await this.contextFor(c, 'buildah');
    const local = `localhost/conf/${c.name}:buildah`;
    const args = [
      'build', ...common, '--isolation', 'chroot', '--layers', '--tls-verify=false',
      '--format', c.spec.buildahFormat ?? 'oci', ...this.buildArgs(c, parentRef),
      '-f', join(ctx, c.spec.buildahDockerfile ?? 'Dockerfile'), '-t', local, ctx,
    ];
    try {
      await run('buildah', args, { env, timeoutMs: this.timeoutMs });
    } catch (err) {
      // buildah 1.28's chroot isolation now and then fails a RUN with "sealing memfd copy:
      // Device or resource busy"; that is the reference builder's flake, so it gets one retry.
      if (!/sealing memfd copy/.test(errorText(err))) throw err;
      await run('buildah', args, { env, timeoutMs: this.timeoutMs });
    }
    return local;
  }

  /**
   * A buildah build of `c`, described; never cached. `via` says how the tree is read: from a
   * working container's mount of buildah's storage (fast: the reference), or pushed to an OCI
   * layout and unpacked by umoci (the path kiln's images take: the harness self-check).
   */
  async buildWithBuildah(c: ConformanceCase, via: 'mount' | 'unpack' = 'mount'): Promise<BuildOutcome> {
    const { env, common } = await this.buildahFlags();
    let local: string;
    try {
      local = await this.buildahBuild(c);
    } catch (err) {
      return { ok: false, error: errorText(err) };
    }
    // The config as buildah stores it: pushing a docker-format image to an OCI layout would
    // convert its config and lose Healthcheck, Shell and OnBuild.
    const inspected = JSON.parse((await run('buildah', ['inspect', ...common, '--type', 'image', local], { env })).stdout) as {
      OCIv1: { config?: Record<string, unknown> };
      Docker: { config?: Record<string, unknown> };
    };
    const config = pickRunConfig(c.spec.buildahFormat === 'docker' ? inspected.Docker.config : inspected.OCIv1.config);
    // `buildah from` runs an image's ONBUILD triggers (against the current directory): an image
    // that carries triggers is read through an OCI layout instead.
    if (via === 'unpack' || config.OnBuild !== undefined) {
      const layout = join(this.workDir, `${c.name}-buildah-layout`);
      await rm(layout, { recursive: true, force: true });
      try {
        await run('buildah', ['push', ...common, local, `oci:${layout}:buildah`], { env, timeoutMs: this.timeoutMs });
        return { ok: true, tree: await this.unpackAndDescribe(layout, 'buildah'), config };
      } finally {
        await rm(layout, { recursive: true, force: true });
      }
    }
    // The tree straight from buildah's storage (a working container's overlay mount): the same
    // layers stacked the same way as an unpack, without compressing and unpacking the base again.
    const container = (await run('buildah', ['from', ...common, '--pull-never', '--quiet', local], { env })).stdout.trim();
    try {
      const mountpoint = (await run('buildah', ['mount', ...common, container], { env })).stdout.trim();
      const tree = treeToJson(await describeTree(mountpoint));
      return { ok: true, tree, config };
    } finally {
      await run('buildah', ['rm', ...common, container], { env });
    }
  }

  /** The reference result of `c`: from the cache when its key is there, else built with buildah and cached. */
  async reference(c: ConformanceCase): Promise<{ outcome: BuildOutcome; cached: boolean }> {
    const file = join(this.cacheDir, `${c.name}-${await this.cacheKey(c)}.json`);
    if (this.useCache && existsSync(file)) {
      return { outcome: JSON.parse(await readFile(file, 'utf8')) as BuildOutcome, cached: true };
    }
    const outcome = await this.buildWithBuildah(c);
    // A failure is cached only where the case expects one: anything else may be the lab's hiccup.
    if (outcome.ok || c.spec.expectFailure) {
      const tmp = `${file}.tmp-${process.pid}`;
      await writeFile(tmp, JSON.stringify(outcome));
      await rename(tmp, file);
      // Entries of this case under older keys can never be read again.
      const stale = new RegExp(`^${c.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-[0-9a-f]{24}\\.json$`);
      for (const name of await readdir(this.cacheDir)) {
        if (stale.test(name) && join(this.cacheDir, name) !== file) await rm(join(this.cacheDir, name), { force: true });
      }
    }
    return { outcome, cached: false };
  }

  /** Makes sure the parent case's image, built by `builder`, is in the lab registry; returns its reference. */
  private async ensureParent(parent: ConformanceCase, builder: Candidate): Promise<string> {
    const ref = this.registryRef(parent, builder);
    if (this.pushedParents.has(`${builder}:${parent.name}`)) return ref;
    if (builder === 'buildah') {
      const { env, common } = await this.buildahFlags();
      const local = await this.buildahBuild(parent);
      // Pushed from storage as it is, so a docker-format parent keeps its ONBUILD triggers.
      await run('buildah', ['push', ...common, '--tls-verify=false', local, `docker://${ref}`], { env, timeoutMs: this.timeoutMs });
    } else {
      await this.runKiln(parent, join(this.workDir, `${parent.name}-kiln-parent`), 'registry');
    }
    this.pushedParents.add(`${builder}:${parent.name}`);
    return ref;
  }

  // ---- kiln ----

  /** Runs `kiln build` for `c`; throws a CommandError on a non-zero exit. */
  private async runKiln(c: ConformanceCase, layoutDir: string, output: 'registry' | 'layout'): Promise<void> {
    let parentRef: string | undefined;
    if (c.spec.parent) parentRef = await this.ensureParent(this.caseOf(c.spec.parent), 'kiln');
    const ctx = await this.contextFor(c, 'kiln');
    const host = this.reg.host;
    const target = output === 'registry' ? ['--destination', this.registryRef(c, 'kiln')] : ['--no-push', '--oci-layout-path', layoutDir];
    const { command, args } = kilnCommand();
    await run(command, [
      ...args, 'build',
      '--context', ctx, '--dockerfile', join(ctx, 'Dockerfile'), ...target,
      // `FROM busybox` means docker.io/library/busybox; the mirror sends it to the lab registry.
      '--registry-mirror', host, '--insecure-registry', host, '--insecure-pull',
      ...this.buildArgs(c, parentRef),
    ], { cwd: repoRoot, timeoutMs: this.timeoutMs });
  }

  /** kiln's build of `c`, through the registry (skopeo copy, raw config) or its own OCI layout. */
  async buildWithKiln(c: ConformanceCase): Promise<BuildOutcome> {
    const kilnLayout = join(this.workDir, `${c.name}-kiln-out`);
    const layout = join(this.workDir, `${c.name}-kiln-layout`);
    await rm(kilnLayout, { recursive: true, force: true });
    await rm(layout, { recursive: true, force: true });
    try {
      await this.runKiln(c, kilnLayout, this.kilnOutput);
    } catch (err) {
      return { ok: false, error: errorText(err) };
    }
    try {
      let rawConfig: Record<string, unknown>;
      if (this.kilnOutput === 'registry') {
        const src = `docker://${this.registryRef(c, 'kiln')}`;
        // The raw blob, not skopeo's summary: what a puller of kiln's image gets.
        const raw = JSON.parse((await run('skopeo', ['inspect', '--tls-verify=false', '--config', '--raw', src])).stdout) as Record<string, unknown>;
        rawConfig = (raw.config ?? {}) as Record<string, unknown>;
        await run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', src, `oci:${layout}:kiln`], { timeoutMs: this.timeoutMs });
      } else {
        rawConfig = await layoutRunConfig(kilnLayout);
        await run('skopeo', ['copy', '--quiet', `oci:${kilnLayout}`, `oci:${layout}:kiln`], { timeoutMs: this.timeoutMs });
      }
      const tree = await this.unpackAndDescribe(layout, 'kiln');
      return { ok: true, tree, config: pickRunConfig(rawConfig) };
    } catch (err) {
      // kiln said it succeeded, but skopeo or umoci refused what it made: that is a finding too.
      return { ok: false, error: `kiln's image was not accepted: ${errorText(err)}` };
    } finally {
      await rm(layout, { recursive: true, force: true });
      await rm(kilnLayout, { recursive: true, force: true });
    }
  }

  /** Builds `c` with the reference and the candidate and compares them. */
  async runCase(c: ConformanceCase, candidate: Candidate = 'kiln'): Promise<CaseResult> {
    const { outcome: reference, cached } = await this.reference(c);
    const result = candidate === 'kiln' ? await this.buildWithKiln(c) : await this.buildWithBuildah(c, 'unpack');
    return { name: c.name, reference, referenceCached: cached, candidate: result, diffs: compareOutcomes(c, reference, result, candidate) };
  }
}
