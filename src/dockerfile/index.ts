/**
 * The Dockerfile frontend: BuildKit's reading of a Dockerfile, in TypeScript.
 *
 *   parseDockerfile(text, { file })             -> DockerfileAst
 *       Syntax only: directives (`# syntax=`, `# escape=`, `# check=`), one InstructionNode per
 *       instruction with its position, builder flags, arguments split the instruction's way (JSON
 *       exec form or shell form), ENV/LABEL pairs, the ONBUILD trigger and heredoc bodies.
 *       Throws BuilderError('DOCKERFILE_PARSE', 'FILE:LINE:COL: reason').
 *
 *   resolveStages(ast, { buildArgs, target, skipUnusedStages, platform, buildPlatform })
 *                                                -> ResolvedBuild
 *       Types every instruction (Instruction, a union on `kind`), expands meta ARGs and FROM
 *       lines, links stages (FROM <stage>, COPY --from, RUN --mount from=), picks the target and
 *       returns `stages`: the stages to build in order, each with `index`, `name`, `base`
 *       (scratch | image ref | stage index), `platform` and its typed, unexpanded `instructions`.
 *       Also `metaArgs`, `platformArgs` and `unusedBuildArgs` (for the "not consumed" warning).
 *       Errors: DOCKERFILE_PARSE for the text, DOCKERFILE_STAGE for the graph and --target.
 *
 *   new Expander(resolved.lexer, file).instruction(instr, lookup)   -> Instruction
 *       Expansion at build time: the engine keeps a StageScope per stage (seeded with the base
 *       image's ENV), applies ARG/ENV as it executes them, and expands each instruction with
 *       `scope.lookup` right before running it, so ENV set earlier in the build is seen. Which
 *       words expand and how they split follows BuildKit per instruction (see expand.ts).
 *       The ShellLexer underneath is usable on its own (processWord / processWords).
 *
 *   planStages(ast, opts)  +  formatPlan(...)   -> the dry-run view: the same walk done
 *       statically from the Dockerfile's own ARG and ENV lines (base-image ENV is unknown there).
 *
 *   parseBuildArgs(["k=v", "k"], env), PROXY_ARGS / isProxyArg / proxyEnv (RUN-only, kept out of
 *   history), PLATFORM_ARGS / platformArgs(target, build) (TARGET* and BUILD* values).
 */
import { parse, type ParseOptions } from './parser.ts';
import type { DockerfileAst } from './ast.ts';

export function parseDockerfile(text: string, options: ParseOptions = {}): DockerfileAst {
  return parse(text, options);
}

export type { DockerfileAst, InstructionNode, HeredocNode, Directive, Position, ParseWarning, KeyValueNode } from './ast.ts';
export type { ParseOptions } from './parser.ts';
export { toInstruction, INSTRUCTION_KEYWORDS } from './instructions.ts';
export type * from './instructions.ts';
export { resolveStages, planStages } from './stages.ts';
export type { Stage, StageBase, ResolveOptions, ResolvedBuild, PlannedStage } from './stages.ts';
export { Expander } from './expand.ts';
export { ShellLexer, ExpansionError, lookupIn, type EnvLookup, type ShellLexerOptions } from './shell-lexer.ts';
export { StageScope, declareArgs, PROXY_ARGS, PLATFORM_ARGS, BUILDKIT_ARGS, isProxyArg, isPlatformArg, isBuildkitArg, platformArgs, parseBuildArgs, proxyEnv } from './build-args.ts';
export { parseMount, formatMount, type Mount, type MountType } from './mounts.ts';
export { formatPlan, formatInstruction, unusedArgsWarning } from './plan.ts';
export { parseGoDuration } from './duration.ts';
