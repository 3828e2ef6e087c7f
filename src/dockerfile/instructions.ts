// Syntax nodes -> typed instructions: a discriminated union on `kind` with checked flags and
// arguments. Words are still unexpanded here; expansion needs the build's variables (expand.ts).
import type { HeredocNode, InstructionNode, Position } from './ast.ts';
import { dockerfileError } from './errors.ts';
import { parseGoDuration } from './duration.ts';
import { parseHeredocWord } from './parser.ts';
import { closest } from '../util/text.ts';

export interface KeyValue {
  key: string;
  value: string;
}

/** The same fields as the syntax node, with the body after `<<-` tab stripping. */
export type Heredoc = HeredocNode;

interface Base {
  position: Position;
  endLine: number;
  /** The logical line as written, for history and error messages. */
  original: string;
}

export interface FromInstruction extends Base {
  kind: 'from';
  image: string;
  /** As written; stage names are compared case-insensitively. */
  stageName?: string;
  platform?: string;
}

/** A command in exec form (args) or shell form (one string in args[0]). */
export interface CommandLine {
  args: string[];
  shell: boolean;
}

export interface RunInstruction extends Base, CommandLine {
  kind: 'run';
  mounts: string[];
  network?: string;
  security?: string;
  heredocs: Heredoc[];
}

export interface CmdInstruction extends Base, CommandLine {
  kind: 'cmd';
}

export interface EntrypointInstruction extends Base, CommandLine {
  kind: 'entrypoint';
}

export interface ShellInstruction extends Base {
  kind: 'shell';
  shell: string[];
}

export interface LabelInstruction extends Base {
  kind: 'label';
  labels: KeyValue[];
}

export interface MaintainerInstruction extends Base {
  kind: 'maintainer';
  maintainer: string;
}

export interface ExposeInstruction extends Base {
  kind: 'expose';
  ports: string[];
}

export interface EnvInstruction extends Base {
  kind: 'env';
  vars: KeyValue[];
}

/** Sources from the context (paths) or inline (heredocs), and a destination. */
export interface SourcesAndDest {
  sources: string[];
  contents: { path: string; data: string; expand: boolean }[];
  dest: string;
  chown?: string;
  chmod?: string;
  link: boolean;
  exclude: string[];
  heredocs: Heredoc[];
}

export interface CopyInstruction extends Base, SourcesAndDest {
  kind: 'copy';
  from?: string;
  parents: boolean;
}

export interface AddInstruction extends Base, SourcesAndDest {
  kind: 'add';
  checksum?: string;
  keepGitDir: boolean;
}

export interface VolumeInstruction extends Base {
  kind: 'volume';
  volumes: string[];
}

export interface UserInstruction extends Base {
  kind: 'user';
  user: string;
}

export interface WorkdirInstruction extends Base {
  kind: 'workdir';
  path: string;
}

export interface ArgDeclaration {
  name: string;
  /** Undefined when the ARG has no default. */
  value?: string;
}

export interface ArgInstruction extends Base {
  kind: 'arg';
  args: ArgDeclaration[];
}

export interface OnbuildInstruction extends Base {
  kind: 'onbuild';
  /** The trigger as written, run in the child image's build. */
  expression: string;
  trigger: Instruction;
}

export interface StopsignalInstruction extends Base {
  kind: 'stopsignal';
  signal: string;
}

export interface HealthcheckInstruction extends Base {
  kind: 'healthcheck';
  /** ["NONE"], ["CMD", ...exec] or ["CMD-SHELL", command], as in the image config. */
  test: string[];
  /** Nanoseconds; 0 means "inherit the default". */
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  retries: number;
}

export type Instruction =
  | FromInstruction
  | RunInstruction
  | CmdInstruction
  | LabelInstruction
  | MaintainerInstruction
  | ExposeInstruction
  | EnvInstruction
  | AddInstruction
  | CopyInstruction
  | EntrypointInstruction
  | VolumeInstruction
  | UserInstruction
  | WorkdirInstruction
  | ArgInstruction
  | OnbuildInstruction
  | StopsignalInstruction
  | HealthcheckInstruction
  | ShellInstruction;

export type InstructionKind = Instruction['kind'];

export const INSTRUCTION_KEYWORDS: readonly string[] = [
  'FROM', 'RUN', 'CMD', 'LABEL', 'MAINTAINER', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT',
  'VOLUME', 'USER', 'WORKDIR', 'ARG', 'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL',
];

type FlagKind = 'string' | 'strings' | 'bool';

/** The builder flags each instruction accepts. */
const FLAG_SPECS: Record<string, Record<string, FlagKind>> = {
  from: { platform: 'string' },
  run: { mount: 'strings', network: 'string', security: 'string' },
  copy: { from: 'string', chown: 'string', chmod: 'string', link: 'bool', parents: 'bool', exclude: 'strings' },
  add: { chown: 'string', chmod: 'string', link: 'bool', 'keep-git-dir': 'bool', checksum: 'string', exclude: 'strings' },
  healthcheck: { interval: 'string', timeout: 'string', 'start-period': 'string', 'start-interval': 'string', retries: 'string' },
};

const NETWORK_MODES = new Set(['default', 'none', 'host']);
const SECURITY_MODES = new Set(['sandbox', 'insecure']);
const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

/** Flag values by name: a string, a list for repeatable flags, or a boolean. */
class FlagValues {
  private readonly values = new Map<string, string | string[] | boolean>();

  set(name: string, value: string | string[] | boolean): void {
    this.values.set(name, value);
  }

  string(name: string): string | undefined {
    return this.values.get(name) as string | undefined;
  }

  list(name: string): string[] {
    return (this.values.get(name) as string[] | undefined) ?? [];
  }

  bool(name: string): boolean {
    return (this.values.get(name) as boolean | undefined) ?? false;
  }
}

const NO_FLAGS = new FlagValues();

class Converter {
  constructor(private readonly file: string) {}

  fail(node: InstructionNode, message: string, near?: string): never {
    throw dockerfileError(this.file, columnOf(node, near), message);
  }

  private flags(node: InstructionNode): FlagValues {
    if (node.flags.length === 0) return NO_FLAGS;
    const specs = FLAG_SPECS[node.command] ?? {};
    const out = new FlagValues();
    const seen = new Set<string>();
    const name = node.keyword.toUpperCase();
    for (const word of node.flags) {
      const eq = word.indexOf('=');
      const flag = (eq < 0 ? word : word.slice(0, eq)).replace(/^--/, '');
      const value = eq < 0 ? undefined : word.slice(eq + 1);
      const kind = specs[flag];
      if (!kind) {
        const known = Object.keys(specs);
        const hint = closest(flag, known);
        const reason = known.length === 0 ? `${name} takes no flags` : `${name} takes ${known.map((k) => `--${k}`).join(', ')}`;
        this.fail(node, `unknown flag --${flag} for ${name}${hint ? ` (did you mean --${hint}?)` : ''}; ${reason}`, `--${flag}`);
      }
      if (seen.has(flag) && kind !== 'strings') this.fail(node, `flag --${flag} given twice`, `--${flag}`);
      seen.add(flag);
      if (kind === 'bool') {
        const v = value?.toLowerCase();
        if (v === '') this.fail(node, `flag --${flag} needs a value after "="`, `--${flag}`);
        if (v !== undefined && v !== 'true' && v !== 'false') this.fail(node, `flag --${flag} takes true or false, not "${value}"`, `--${flag}`);
        out.set(flag, v !== 'false');
      } else if (value === undefined) {
        this.fail(node, `flag --${flag} needs a value: --${flag}=VALUE`, `--${flag}`);
      } else if (kind === 'string') {
        out.set(flag, value);
      } else {
        out.set(flag, [...out.list(flag), value]);
      }
    }
    return out;
  }

  convert(node: InstructionNode, inOnbuild = false): Instruction {
    // Literals rather than spreads: object spread is slow in the V8 of Node 20 and this runs per instruction.
    const { position, endLine, original } = node;
    const name = node.keyword.toUpperCase();
    const flags = this.flags(node);
    const args = node.args;
    switch (node.command) {
      case 'from': {
        if (args.length !== 1 && !(args.length === 3 && args[1].toLowerCase() === 'as')) {
          this.fail(node, 'FROM takes an image and optionally "AS name": FROM IMAGE [AS NAME]');
        }
        const stageName = args.length === 3 ? args[2] : undefined;
        if (stageName !== undefined && !STAGE_NAME.test(stageName.toLowerCase())) {
          this.fail(node, `invalid stage name "${stageName}": it must start with a letter and hold only letters, digits, "-", "_" and "."`, stageName);
        }
        return { position, endLine, original, kind: 'from', image: args[0], stageName, platform: flags.string('platform') };
      }
      case 'run': {
        if (args.length === 0 && node.heredocs.length === 0) this.fail(node, 'RUN needs a command');
        const network = flags.string('network');
        if (network !== undefined && !NETWORK_MODES.has(network)) this.fail(node, `unsupported network mode "${network}": use default, none or host`, '--network');
        const security = flags.string('security');
        if (security !== undefined && !SECURITY_MODES.has(security)) this.fail(node, `unsupported security mode "${security}": use sandbox or insecure`, '--security');
        return { position, endLine, original, kind: 'run', args, shell: !node.json, mounts: flags.list('mount'), network, security, heredocs: node.heredocs.map(chomped) };
      }
      case 'cmd':
      case 'entrypoint':
        return { position, endLine, original, kind: node.command, args, shell: !node.json };
      case 'shell':
        if (!node.json) this.fail(node, 'SHELL must be written in JSON form: SHELL ["executable", "parameters"]');
        if (args.length === 0) this.fail(node, 'SHELL needs at least the shell executable');
        return { position, endLine, original, kind: 'shell', shell: args };
      case 'label':
      case 'env': {
        const pairs = node.pairs ?? [];
        if (pairs.length === 0) this.fail(node, `${name} needs at least one NAME=VALUE`);
        for (const p of pairs) if (p.key === '') this.fail(node, `${name} names may not be blank`);
        const kv = pairs.map((p) => ({ key: p.key, value: p.value }));
        return node.command === 'env' ? { position, endLine, original, kind: 'env', vars: kv } : { position, endLine, original, kind: 'label', labels: kv };
      }
      case 'maintainer':
        if (args.length !== 1) this.fail(node, 'MAINTAINER needs a name');
        return { position, endLine, original, kind: 'maintainer', maintainer: args[0] };
      case 'expose':
        if (args.length === 0) this.fail(node, 'EXPOSE needs at least one port');
        return { position, endLine, original, kind: 'expose', ports: args };
      case 'copy':
      case 'add':
        return this.sourcesAndDest(node, flags);
      case 'volume':
        if (args.length === 0) this.fail(node, 'VOLUME needs at least one path');
        for (const v of args) if (v.trim() === '') this.fail(node, 'VOLUME paths may not be empty');
        return { position, endLine, original, kind: 'volume', volumes: args };
      case 'user':
        if (args.length !== 1) this.fail(node, 'USER needs exactly one argument: USER NAME[:GROUP]');
        return { position, endLine, original, kind: 'user', user: args[0] };
      case 'workdir':
        if (args.length !== 1) this.fail(node, 'WORKDIR needs exactly one path');
        return { position, endLine, original, kind: 'workdir', path: args[0] };
      case 'stopsignal':
        if (args.length !== 1) this.fail(node, 'STOPSIGNAL needs exactly one signal');
        return { position, endLine, original, kind: 'stopsignal', signal: args[0] };
      case 'arg': {
        if (args.length === 0) this.fail(node, 'ARG needs at least one NAME or NAME=DEFAULT');
        const decls = args.map((word): ArgDeclaration => {
          const eq = word.indexOf('=');
          const argName = eq < 0 ? word : word.slice(0, eq);
          if (argName === '') this.fail(node, `ARG names may not be blank ("${word}")`, word);
          return eq < 0 ? { name: argName } : { name: argName, value: word.slice(eq + 1) };
        });
        return { position, endLine, original, kind: 'arg', args: decls };
      }
      case 'onbuild':
        return this.onbuild(node, inOnbuild);
      case 'healthcheck':
        return this.healthcheck(node, flags);
      default: {
        const hint = closest(node.keyword.toUpperCase(), INSTRUCTION_KEYWORDS);
        this.fail(node, `unknown instruction: ${node.keyword}${hint ? ` (did you mean ${hint}?)` : ''}`);
      }
    }
  }

  private sourcesAndDest(node: InstructionNode, flags: FlagValues): CopyInstruction | AddInstruction {
    const { position, endLine, original } = node;
    const name = node.keyword.toUpperCase();
    const args = node.args;
    if (args.length < 2) {
      this.fail(node, `${name} needs at least a source and a destination${args.length === 1 ? `; only "${args[0]}" was given` : ''}`);
    }
    const dest = args[args.length - 1];
    if (!node.json && parseHeredocWord(dest)) this.fail(node, `${name} cannot take a heredoc as its destination`, dest);
    const heredocs = node.heredocs.length === 0 ? [] : node.heredocs.map(chomped);
    const byName = heredocs.length === 0 ? undefined : new Map(heredocs.map((h) => [h.name, h]));
    const sources: string[] = [];
    const contents: SourcesAndDest['contents'] = [];
    for (const src of args.slice(0, -1)) {
      const doc = node.json || !byName ? null : parseHeredocWord(src);
      const body = doc ? byName?.get(doc.name) : undefined;
      if (doc && body) contents.push({ path: doc.name, data: body.content, expand: doc.expand });
      else sources.push(src);
    }
    const chown = flags.string('chown');
    const chmod = flags.string('chmod');
    const link = flags.bool('link');
    const exclude = flags.list('exclude');
    if (node.command === 'copy') {
      const from = flags.string('from');
      const parents = flags.bool('parents');
      return { position, endLine, original, kind: 'copy', sources, contents, dest, chown, chmod, link, exclude, heredocs, from, parents };
    }
    const checksum = flags.string('checksum');
    if (checksum !== undefined && !/^sha(256|384|512):[0-9a-f]+$/.test(checksum)) {
      this.fail(node, `invalid --checksum "${checksum}": expected sha256:HEX`, '--checksum');
    }
    const keepGitDir = flags.bool('keep-git-dir');
    return { position, endLine, original, kind: 'add', sources, contents, dest, chown, chmod, link, exclude, heredocs, checksum, keepGitDir };
  }

  private onbuild(node: InstructionNode, inOnbuild: boolean): OnbuildInstruction {
    const { position, endLine, original } = node;
    if (inOnbuild) this.fail(node, 'ONBUILD ONBUILD is not allowed: an ONBUILD trigger cannot register another');
    const trigger = node.trigger;
    if (!trigger) this.fail(node, 'ONBUILD needs an instruction to run in the child build');
    const keyword = trigger.keyword.toUpperCase();
    if (keyword === 'ONBUILD') this.fail(node, 'ONBUILD ONBUILD is not allowed: an ONBUILD trigger cannot register another');
    if (keyword === 'FROM' || keyword === 'MAINTAINER') this.fail(node, `${keyword} is not allowed as an ONBUILD trigger`);
    const expression = node.original.replace(/^\s*onbuild\s*/i, '');
    return { position, endLine, original, kind: 'onbuild', expression, trigger: this.convert(trigger, true) };
  }

  private healthcheck(node: InstructionNode, flags: FlagValues): HealthcheckInstruction {
    const { position, endLine, original } = node;
    const args = node.args;
    if (args.length === 0) this.fail(node, 'HEALTHCHECK needs CMD followed by a command, or NONE');
    const type = args[0].toUpperCase();
    const result: HealthcheckInstruction = { position, endLine, original, kind: 'healthcheck', test: [], interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 };
    if (type === 'NONE') {
      if (args.length > 1) this.fail(node, 'HEALTHCHECK NONE takes no arguments');
      if (node.flags.length > 0) this.fail(node, 'HEALTHCHECK NONE takes no flags');
      result.test = ['NONE'];
      return result;
    }
    if (type !== 'CMD') this.fail(node, `unknown HEALTHCHECK type "${args[0]}": use CMD or NONE`, args[0]);
    const command = args.slice(1);
    if (command.length === 0) this.fail(node, 'HEALTHCHECK CMD needs a command');
    result.test = node.json ? ['CMD', ...command] : ['CMD-SHELL', command.join(' ')];
    const durations = [
      ['interval', 'interval'],
      ['timeout', 'timeout'],
      ['start-period', 'startPeriod'],
      ['start-interval', 'startInterval'],
    ] as const;
    for (const [flag, field] of durations) {
      const text = flags.string(flag);
      if (text === undefined) continue;
      const ns = text === '' ? 0 : parseGoDuration(text);
      if (ns === undefined) this.fail(node, `--${flag}: "${text}" is not a duration (examples: 30s, 1m30s, 500ms)`, `--${flag}`);
      if (ns < 0) this.fail(node, `--${flag}: "${text}" cannot be negative`, `--${flag}`);
      if (ns !== 0 && ns < 1e6) this.fail(node, `--${flag}: "${text}" cannot be less than 1ms`, `--${flag}`);
      result[field] = ns;
    }
    const retries = flags.string('retries');
    if (retries !== undefined && retries !== '') {
      if (!/^[-+]?[0-9]+$/.test(retries) || Math.abs(Number(retries)) > 2 ** 31 - 1) this.fail(node, `--retries: "${retries}" is not a whole number`, '--retries');
      if (Number(retries) < 0) this.fail(node, `--retries cannot be negative (${retries})`, '--retries');
      result.retries = Number(retries);
    }
    return result;
  }
}

/** `<<-` removes leading tabs from every line of the body. */
function chomped(h: HeredocNode): Heredoc {
  return { name: h.name, content: h.chomp ? h.content.replace(/^\t+/gm, '') : h.content, expand: h.expand, chomp: h.chomp, fd: h.fd, position: h.position };
}

/** The column of `near` when it is on the instruction's first line, else the instruction's. */
function columnOf(node: InstructionNode, near: string | undefined): Position {
  if (!near) return node.position;
  const at = node.original.indexOf(near);
  if (at < 0 || at >= node.headLength) return node.position;
  return { line: node.position.line, column: node.position.column + at };
}

export function toInstruction(node: InstructionNode, file = 'Dockerfile'): Instruction {
  return new Converter(file).convert(node);
}
