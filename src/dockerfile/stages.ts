// The stage graph: meta ARGs before the first FROM, one stage per FROM, what each stage starts
// from and reads from (FROM <stage>, COPY --from, RUN --mount from=), the target, and which
// stages have to be built.
import type { DockerfileAst } from './ast.ts';
import type { Platform } from '../oci/types.ts';
import { hostPlatform } from '../oci/platform.ts';
import { BuilderError } from '../util/errors.ts';
import { dockerfileError } from './errors.ts';
import { toInstruction, type FromInstruction, type Instruction, type ArgInstruction } from './instructions.ts';
import { parseMount } from './mounts.ts';
import { Expander } from './expand.ts';
import { ShellLexer, type EnvLookup } from './shell-lexer.ts';
import { StageScope, declareArgs, isBuildkitArg, isPlatformArg, isProxyArg, platformArgs } from './build-args.ts';

export type StageBase = { kind: 'scratch' } | { kind: 'image'; ref: string } | { kind: 'stage'; index: number };

export interface Stage {
  /** Position among all FROMs of the Dockerfile, from 0. */
  index: number;
  /** Lower-cased stage name, when the FROM has `AS name`. */
  name?: string;
  base: StageBase;
  /** The expanded --platform of the FROM, if any. */
  platform?: string;
  from: FromInstruction;
  /** Typed, unexpanded instructions after the FROM; the engine expands each with the live env. */
  instructions: Instruction[];
  /** Indexes of earlier stages this one reads from (its base included). */
  dependsOn: number[];
  /** Images read by COPY --from or RUN --mount from= that are not stages. */
  images: string[];
}

export interface ResolveOptions {
  /** Values from --build-arg (see parseBuildArgs). */
  buildArgs?: ReadonlyMap<string, string>;
  target?: string;
  skipUnusedStages?: boolean;
  /** The platform built for (TARGET* args); the host's by default. */
  platform?: Platform;
  /** The platform building (BUILD* args); the host's by default. */
  buildPlatform?: Platform;
}

export interface ResolvedBuild {
  file: string;
  /** Meta ARGs (before the first FROM) with their resolved values; undefined = unset. */
  metaArgs: Map<string, string | undefined>;
  /** Every stage of the Dockerfile. */
  allStages: Stage[];
  /** The stages to build, in build order; the target is last. */
  stages: Stage[];
  target: Stage;
  /** --build-arg names that no ARG of a built stage (or a meta ARG) declares; predefined ones excepted. */
  unusedBuildArgs: string[];
  buildArgs: ReadonlyMap<string, string>;
  platformArgs: Map<string, string>;
  lexer: ShellLexer;
}

function stageLabel(s: Stage): string {
  return s.name ?? `#${s.index}`;
}

class Resolver {
  private readonly file: string;
  private readonly expander: Expander;
  private readonly consumed = new Set<string>();
  /** Build args each stage's ARG lines declare, counted once the built stages are known. */
  private readonly stageConsumed = new Map<number, Set<string>>();
  private readonly buildArgs: ReadonlyMap<string, string>;
  private readonly platformArgs: Map<string, string>;
  readonly metaArgs = new Map<string, string | undefined>();

  constructor(
    private readonly ast: DockerfileAst,
    private readonly opts: ResolveOptions,
  ) {
    this.file = ast.file;
    this.expander = new Expander(new ShellLexer({ escapeToken: ast.escapeToken }), ast.file);
    this.buildArgs = opts.buildArgs ?? new Map();
    this.platformArgs = platformArgs(opts.platform ?? hostPlatform(), opts.buildPlatform ?? hostPlatform());
  }

  /** What FROM lines and meta ARG defaults see: meta ARGs, then the automatic platform args. */
  private readonly metaLookup: EnvLookup = (name) => (this.metaArgs.has(name) ? this.metaArgs.get(name) : this.platformArgs.get(name));

  resolve(): ResolvedBuild {
    if (this.ast.instructions.length === 0) {
      throw dockerfileError(this.file, { line: 1, column: 1 }, 'the Dockerfile has no instructions');
    }
    const stages: Stage[] = [];
    for (const node of this.ast.instructions) {
      const instr = toInstruction(node, this.file);
      if (instr.kind === 'from') {
        stages.push(this.startStage(instr, stages));
      } else if (stages.length === 0) {
        if (instr.kind !== 'arg') {
          throw dockerfileError(this.file, instr.position, `${node.keyword.toUpperCase()} before the first FROM: only ARG may come before FROM`);
        }
        this.declareMeta(instr);
      } else {
        stages[stages.length - 1].instructions.push(instr);
      }
    }
    if (stages.length === 0) {
      throw dockerfileError(this.file, this.ast.instructions[0].position, 'the Dockerfile has no FROM instruction, so no stage to build');
    }
    this.checkDuplicateNames(stages);
    for (const stage of stages) this.linkStage(stage, stages);
    const target = this.findTarget(stages);
    const build = this.stagesToBuild(stages, target);
    for (const stage of build) for (const name of this.stageConsumed.get(stage.index) ?? []) this.consumed.add(name);
    const unusedBuildArgs = [...this.buildArgs.keys()]
      .filter((k) => !this.consumed.has(k) && !isProxyArg(k) && !isPlatformArg(k) && !isBuildkitArg(k))
      .sort();
    return {
      file: this.file,
      metaArgs: this.metaArgs,
      allStages: stages,
      stages: build,
      target,
      unusedBuildArgs,
      buildArgs: this.buildArgs,
      platformArgs: this.platformArgs,
      lexer: this.expander.lexer,
    };
  }

  private declareMeta(instr: ArgInstruction): void {
    const expanded = this.expander.instruction(instr, this.metaLookup) as ArgInstruction;
    instr.args.forEach((decl, i) => {
      const name = expanded.args[i].name;
      if (this.buildArgs.has(name)) {
        this.consumed.add(name);
        this.metaArgs.set(name, this.buildArgs.get(name));
      } else {
        this.metaArgs.set(name, decl.value === undefined ? undefined : expanded.args[i].value);
      }
    });
  }

  private startStage(from: FromInstruction, earlier: Stage[]): Stage {
    const image = this.expander.word(from, from.image, this.metaLookup);
    if (image === '') throw dockerfileError(this.file, from.position, `FROM ${from.image}: the base image name is empty after expanding the build args`);
    const platform = from.platform === undefined ? undefined : this.expander.word(from, from.platform, this.metaLookup);
    const byName = earlier.find((s) => s.name === image.toLowerCase());
    const base: StageBase = byName ? { kind: 'stage', index: byName.index } : image === 'scratch' ? { kind: 'scratch' } : { kind: 'image', ref: image };
    return {
      index: earlier.length,
      name: from.stageName?.toLowerCase(),
      base,
      platform,
      from,
      instructions: [],
      dependsOn: byName ? [byName.index] : [],
      images: [],
    };
  }

  private checkDuplicateNames(stages: Stage[]): void {
    const seen = new Map<string, Stage>();
    for (const s of stages) {
      if (!s.name) continue;
      const first = seen.get(s.name);
      if (first) {
        throw dockerfileError(this.file, s.from.position, `duplicate stage name "${s.name}": already used at line ${first.from.position.line}`, 'DOCKERFILE_STAGE');
      }
      seen.set(s.name, s);
    }
  }

  /** Resolves a COPY --from / mount from= reference made inside `stage`. */
  private reference(stage: Stage, instr: Instruction, ref: string, stages: Stage[], what: string): void {
    const lower = ref.toLowerCase();
    let target: Stage | undefined;
    if (/^[0-9]+$/.test(ref)) {
      target = stages[Number(ref)];
      if (!target || target.index >= stage.index) {
        const earlier = stage.index === 0 ? 'there are no earlier stages' : `earlier stages are 0..${stage.index - 1}`;
        const reason = target && target.index === stage.index ? 'a stage cannot read from itself (a cycle)' : earlier;
        throw dockerfileError(this.file, instr.position, `${what}=${ref}: no stage ${ref} to read from; ${reason}`, 'DOCKERFILE_STAGE');
      }
    } else {
      target = stages.find((s) => s.name === lower);
      if (!target) {
        if (!stage.images.includes(ref)) stage.images.push(ref);
        return;
      }
      if (target.index === stage.index) {
        throw dockerfileError(this.file, instr.position, `${what}=${ref}: stage "${target.name}" cannot read from itself (a cycle)`, 'DOCKERFILE_STAGE');
      }
      if (target.index > stage.index) {
        throw dockerfileError(this.file, instr.position, `${what}=${ref}: stage "${target.name}" is defined later (line ${target.from.position.line}); only earlier stages can be used`, 'DOCKERFILE_STAGE');
      }
    }
    if (!stage.dependsOn.includes(target.index)) stage.dependsOn.push(target.index);
  }

  /**
   * Walks a stage's ARG and ENV lines statically to learn what --from and mount values expand to;
   * base-image ENV is not known here, so those references must not depend on it.
   */
  private linkStage(stage: Stage, stages: Stage[]): void {
    const scope = new StageScope();
    const consumed = new Set<string>();
    this.stageConsumed.set(stage.index, consumed);
    for (const instr of stage.instructions) {
      if (instr.kind === 'copy' && instr.from !== undefined) {
        this.reference(stage, instr, this.expander.word(instr, instr.from, scope.lookup), stages, '--from');
      } else if (instr.kind === 'run') {
        for (const spec of instr.mounts) {
          let mount;
          try {
            mount = parseMount(this.expander.word(instr, spec, scope.lookup));
          } catch (err) {
            if (err instanceof BuilderError) throw err;
            throw dockerfileError(this.file, instr.position, `--mount=${spec}: ${(err as Error).message}`);
          }
          if (mount.from !== undefined) this.reference(stage, instr, mount.from, stages, 'mount from');
        }
      }
      this.applyScope(scope, instr, consumed);
    }
  }

  /** Applies ARG and ENV to a scope; ARGs decide which build args count as consumed. */
  applyScope(scope: StageScope, instr: Instruction, consumed?: Set<string>): Instruction {
    if (instr.kind === 'arg') {
      const expanded = this.expander.instruction(instr, scope.lookup) as ArgInstruction;
      for (const name of declareArgs(scope, expanded.args, { buildArgs: this.buildArgs, metaArgs: this.metaArgs, platformArgs: this.platformArgs })) consumed?.add(name);
      return expanded;
    }
    if (instr.kind === 'env') {
      const expanded = this.expander.instruction(instr, scope.lookup);
      if (expanded.kind === 'env') for (const v of expanded.vars) scope.setEnv(v.key, v.value);
      return expanded;
    }
    return instr;
  }

  private findTarget(stages: Stage[]): Stage {
    const wanted = this.opts.target;
    if (wanted === undefined || wanted === '') return stages[stages.length - 1];
    const found = stages.find((s) => s.name === wanted.toLowerCase());
    if (found) return found;
    const named = stages.filter((s) => s.name).map((s) => s.name as string);
    const list = named.length > 0 ? `the named stages are: ${named.join(', ')}` : 'no stage has a name (use FROM IMAGE AS NAME)';
    throw new BuilderError('DOCKERFILE_STAGE', `--target ${wanted}: no such stage in ${this.file}; ${list}`);
  }

  private stagesToBuild(stages: Stage[], target: Stage): Stage[] {
    if (!this.opts.skipUnusedStages) return stages.slice(0, target.index + 1);
    const needed = new Set<number>();
    const visit = (s: Stage): void => {
      if (needed.has(s.index)) return;
      needed.add(s.index);
      for (const d of s.dependsOn) visit(stages[d]);
    };
    visit(target);
    return stages.filter((s) => needed.has(s.index));
  }

  /** The scope a stage starts with for static expansion: its base stage's ENV, no ARGs. */
  staticScope(stage: Stage, finalEnv: Map<number, Map<string, string>>): StageScope {
    return new StageScope(stage.base.kind === 'stage' ? finalEnv.get(stage.base.index) : undefined);
  }

  /** Expands every instruction of the built stages as far as the Dockerfile alone allows. */
  plan(build: ResolvedBuild): PlannedStage[] {
    const finalEnv = new Map<number, Map<string, string>>();
    return build.stages.map((stage) => {
      const scope = this.staticScope(stage, finalEnv);
      const instructions = stage.instructions.map((instr) => {
        if (instr.kind === 'arg') {
          // Shown with the value the stage ends up with (build arg, default or global value).
          const declared = this.applyScope(scope, instr) as ArgInstruction;
          const args = declared.args.map((a) => ({ name: a.name, value: scope.args.get(a.name) }));
          const shown: ArgInstruction = { kind: 'arg', position: declared.position, endLine: declared.endLine, original: declared.original, args };
          return shown;
        }
        if (instr.kind === 'env') return this.applyScope(scope, instr);
        return this.expander.instruction(instr, scope.lookup);
      });
      finalEnv.set(stage.index, scope.env);
      return { stage, instructions, env: scope.env, args: scope.args };
    });
  }
}

export interface PlannedStage {
  stage: Stage;
  /** Instructions expanded with the ARG and ENV values known from the Dockerfile. */
  instructions: Instruction[];
  env: Map<string, string>;
  args: Map<string, string | undefined>;
}

export function resolveStages(ast: DockerfileAst, opts: ResolveOptions = {}): ResolvedBuild {
  return new Resolver(ast, opts).resolve();
}

/**
 * The dry-run view: every built stage with its instructions expanded statically. At build time the
 * engine expands with the live environment instead (base-image ENV included).
 */
export function planStages(ast: DockerfileAst, opts: ResolveOptions = {}): { build: ResolvedBuild; stages: PlannedStage[] } {
  const resolver = new Resolver(ast, opts);
  const build = resolver.resolve();
  return { build, stages: resolver.plan(build) };
}

export { stageLabel };
