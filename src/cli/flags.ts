// A flag parser that takes kaniko's forms as they are: --flag=value, --flag value, repeated flags,
// --flag=true|false booleans, single-dash long flags (Go's flag package allows them), camelCase
// spellings, and short docker-style aliases.
import { BuilderError } from '../util/errors.ts';
import { closest } from '../util/text.ts';

export { closest };

export type FlagType = 'string' | 'bool' | 'list' | 'int';

export interface FlagSpec {
  name: string;
  type: FlagType;
  aliases?: string[];
  default?: string | boolean | number | string[];
  help: string;
  /** Shown in usage; e.g. "PATH". */
  value?: string;
}

export type FlagValues = Record<string, string | boolean | number | string[] | undefined>;

export interface ParsedArgs {
  flags: FlagValues;
  positionals: string[];
  /** Flags the user actually gave, by canonical name. */
  given: Set<string>;
}

function usage(message: string): BuilderError {
  return new BuilderError('USAGE', message);
}

function parseBool(flag: string, text: string): boolean {
  const t = text.toLowerCase();
  if (['true', '1', 't', 'yes'].includes(t)) return true;
  if (['false', '0', 'f', 'no'].includes(t)) return false;
  throw usage(`invalid value "${text}" for flag --${flag}: expected true or false`);
}

export function parseArgs(argv: string[], specs: FlagSpec[]): ParsedArgs {
  const byName = new Map<string, FlagSpec>();
  for (const spec of specs) {
    byName.set(spec.name, spec);
    for (const a of spec.aliases ?? []) byName.set(a, spec);
  }
  const flags: FlagValues = {};
  for (const spec of specs) {
    flags[spec.name] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
    if (spec.type === 'list' && flags[spec.name] === undefined) flags[spec.name] = [];
  }
  const given = new Set<string>();
  const positionals: string[] = [];

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const key = eq >= 0 ? body.slice(0, eq) : body;
    let inline = eq >= 0 ? body.slice(eq + 1) : undefined;
    const spec = byName.get(key);
    if (!spec) {
      const suggestion = closest(key, [...byName.keys()]);
      throw usage(`unknown flag: ${arg.split('=')[0]}${suggestion ? ` (did you mean --${suggestion}?)` : ''}`);
    }
    given.add(spec.name);
    if (spec.type === 'bool') {
      flags[spec.name] = inline === undefined ? true : parseBool(key, inline);
      continue;
    }
    if (inline === undefined) {
      if (i + 1 >= argv.length) throw usage(`flag --${key} needs a value`);
      inline = argv[++i];
    }
    if (spec.type === 'int') {
      const n = Number(inline);
      if (!Number.isInteger(n)) throw usage(`invalid value "${inline}" for flag --${key}: expected a whole number`);
      flags[spec.name] = n;
    } else if (spec.type === 'list') {
      (flags[spec.name] as string[]).push(inline);
    } else {
      flags[spec.name] = inline;
    }
  }
  return { flags, positionals, given };
}

export function formatUsage(command: string, specs: FlagSpec[]): string {
  const lines = [`Usage: kiln ${command}`, '', 'Flags:'];
  for (const s of specs) {
    const names = [s.name, ...(s.aliases ?? [])].map((n) => (n.length === 1 ? `-${n}` : `--${n}`)).join(', ');
    const value = s.type === 'bool' ? '' : ` ${s.value ?? 'VALUE'}`;
    lines.push(`  ${names}${value}`.padEnd(44) + s.help);
  }
  return lines.join('\n');
}
