// RUN: from the typed instruction to a RunSpec (argv from shell/exec form and heredocs, the env a
// RUN sees, its --mount list), then run it on the snapshotter's root.
import { join, posix } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import type { RunInstruction } from '../dockerfile/index.ts';
import { parseMount, type Mount } from '../dockerfile/index.ts';
import type { RunMount, Runner } from '../run/index.ts';
import type { ContainerConfig } from '../oci/types.ts';
import { BuilderError } from '../util/errors.ts';
import { DEFAULT_SHELL } from './metadata.ts';

/** Where a RUN --mount from= or the context is read from, given by the stage builder. */
export interface MountSources {
  /** The directory of a stage (by name or index) or an image named in `from=`; the context when undefined. */
  resolveFrom(from: string | undefined): Promise<string>;
  /** `--secret id=…` values given to the build. */
  secrets: ReadonlyMap<string, Uint8Array>;
  /** Where `type=cache` mounts keep their contents between builds. */
  cacheRoot: string;
}

export interface RunPlan {
  argv: string[];
  mounts: RunMount[];
  network: 'default' | 'none';
  /** The history text, as BuildKit writes it (build args used are listed, proxies are not). */
  createdBy: string;
}

/**
 * The argv of a RUN. Shell form runs through SHELL; a RUN that is a single heredoc runs its body
 * (as a script file when it starts with #!), and other heredocs are handed to the shell whole, since
 * a POSIX shell reads heredocs itself.
 */
export function runArgv(instr: RunInstruction, shell: string[] | undefined): { argv: string[]; script?: { name: string; data: string } } {
  const sh = shell && shell.length ? shell : DEFAULT_SHELL;
  if (!instr.shell) return { argv: [...instr.args] };
  const command = instr.args[0] ?? '';
  if (instr.heredocs.length === 0) return { argv: [...sh, command] };
  const only = instr.heredocs.length === 1 && /^<<-?\s*["']?[^\s"']+["']?\s*$/.test(command.trim());
  if (only) {
    const doc = instr.heredocs[0];
    if (doc.content.startsWith('#!')) return { argv: [`/dev/pipes/${doc.name}`], script: { name: doc.name, data: doc.content } };
    return { argv: [...sh, doc.content] };
  }
  const script = [command, ...instr.heredocs.map((d) => `${d.content}${d.name}`)].join('\n');
  return { argv: [...sh, script] };
}

function cacheDirName(m: Mount): string {
  const id = m.id ?? m.target ?? '';
  return createHash('sha256').update(id).digest('hex').slice(0, 32);
}

async function toRunMount(m: Mount, where: string, sources: MountSources): Promise<RunMount | undefined> {
  const target = m.target ? posix.resolve('/', m.target) : undefined;
  switch (m.type) {
    case 'bind': {
      if (!target) throw new BuilderError('DOCKERFILE_PARSE', `${where}: --mount=type=bind needs target=`);
      const root = await sources.resolveFrom(m.from);
      const source = join(root, posix.resolve('/', m.source ?? '/'));
      return { type: 'bind', source, target, readWrite: !m.readonly && m.readonly !== undefined ? true : false };
    }
    case 'cache': {
      if (!target) throw new BuilderError('DOCKERFILE_PARSE', `${where}: --mount=type=cache needs target=`);
      const dir = join(sources.cacheRoot, cacheDirName(m));
      await mkdir(dir, { recursive: true, mode: m.mode ?? 0o755 });
      return { type: 'cache', source: dir, target, readOnly: m.readonly };
    }
    case 'tmpfs':
      if (!target) throw new BuilderError('DOCKERFILE_PARSE', `${where}: --mount=type=tmpfs needs target=`);
      return { type: 'tmpfs', target };
    case 'secret': {
      const id = m.id ?? (target ? posix.basename(target) : undefined);
      if (!id) throw new BuilderError('DOCKERFILE_PARSE', `${where}: --mount=type=secret needs id= or target=`);
      const data = sources.secrets.get(id);
      if (!data) {
        if (m.required) throw new BuilderError('BUILD_FAILED', `${where}: secret ${id} is required but was not given (use --secret id=${id},src=PATH)`);
        return undefined;
      }
      return { type: 'secret', id, data, target, uid: m.uid, gid: m.gid, mode: m.mode };
    }
    case 'ssh':
      throw new BuilderError('DOCKERFILE_PARSE', `${where}: --mount=type=ssh is not supported by kiln`);
  }
}

export async function planRun(
  instr: RunInstruction,
  config: ContainerConfig,
  argsForHistory: ReadonlyMap<string, string>,
  sources: MountSources,
  where: string,
): Promise<RunPlan> {
  const { argv, script } = runArgv(instr, config.Shell);
  const mounts: RunMount[] = [];
  for (const spec of instr.mounts) {
    let parsed: Mount;
    try {
      parsed = parseMount(spec);
    } catch (err) {
      throw new BuilderError('DOCKERFILE_PARSE', `${where}: --mount=${spec}: ${(err as Error).message}`);
    }
    const m = await toRunMount(parsed, where, sources);
    if (m) mounts.push(m);
  }
  if (script) mounts.push({ type: 'secret', id: script.name, data: Buffer.from(script.data), target: `/dev/pipes/${script.name}`, mode: 0o755 });
  if (instr.network === 'host') throw new BuilderError('DOCKERFILE_PARSE', `${where}: RUN --network=host is not allowed (kiln grants no entitlements)`);
  const network = instr.network === 'none' ? 'none' : 'default';
  const shown = instr.shell ? runArgv({ ...instr, heredocs: [] }, config.Shell).argv : argv;
  const args = [...argsForHistory].map(([k, v]) => `${k}=${v}`);
  const prefix = args.length ? `|${args.length} ${args.join(' ')} ` : '';
  return { argv, mounts, network, createdBy: `RUN ${prefix}${shown.join(' ')} # buildkit` };
}

export async function runCommand(runner: Runner, rootDir: string, plan: RunPlan, env: string[], config: ContainerConfig, output: NodeJS.WritableStream): Promise<void> {
  await runner.run({
    rootDir,
    argv: plan.argv,
    env,
    cwd: config.WorkingDir || '/',
    user: config.User ?? '',
    network: plan.network,
    mounts: plan.mounts,
    stdout: output as never,
    stderr: output as never,
  });
}
