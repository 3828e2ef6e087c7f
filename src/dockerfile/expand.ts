// Per-instruction expansion rules: which words of which instruction see variables, and whether a
// result is one word or split into several. RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK and
// MAINTAINER are never expanded by the builder (the shell in the container does that); ONBUILD
// triggers are expanded when they run in the child build.
import type { Instruction, KeyValue, SourcesAndDest } from './instructions.ts';
import { dockerfileError } from './errors.ts';
import { ExpansionError, ShellLexer, type EnvLookup } from './shell-lexer.ts';

export class Expander {
  private readonly raw: ShellLexer;

  constructor(
    readonly lexer: ShellLexer,
    private readonly file = 'Dockerfile',
  ) {
    // Heredoc bodies: quotes there are content, only $ and escapes are special.
    this.raw = lexer.with({ skipProcessQuotes: true });
  }

  /** One word in, one string out; `instr` locates errors. */
  word(instr: Instruction, word: string, env: EnvLookup): string {
    try {
      return this.lexer.processWord(word, env);
    } catch (err) {
      throw this.error(instr, word, err);
    }
  }

  /** One word in, the shell words of its expansion out. */
  words(instr: Instruction, word: string, env: EnvLookup): string[] {
    try {
      return this.lexer.processWords(word, env);
    } catch (err) {
      throw this.error(instr, word, err);
    }
  }

  private heredocBody(instr: Instruction, body: string, env: EnvLookup): string {
    try {
      return this.raw.processWord(body, env);
    } catch (err) {
      throw this.error(instr, body, err);
    }
  }

  private error(instr: Instruction, word: string, err: unknown): Error {
    if (!(err instanceof ExpansionError)) return err as Error;
    const shown = word.length > 60 ? `${word.slice(0, 57)}...` : word;
    return dockerfileError(this.file, instr.position, `${instr.kind.toUpperCase()}: cannot expand "${shown}": ${err.message}`);
  }

  private pairs(instr: Instruction, pairs: KeyValue[], env: EnvLookup): KeyValue[] {
    return pairs.map((p) => ({ key: this.word(instr, p.key, env), value: this.word(instr, p.value, env) }));
  }

  private optional(instr: Instruction, word: string | undefined, env: EnvLookup): string | undefined {
    return word === undefined ? undefined : this.word(instr, word, env);
  }

  private sources<T extends SourcesAndDest & Instruction>(instr: T, env: EnvLookup): T {
    return {
      ...instr,
      sources: instr.sources.map((s) => this.word(instr, s, env)),
      dest: this.word(instr, instr.dest, env),
      chown: this.optional(instr, instr.chown, env),
      chmod: this.optional(instr, instr.chmod, env),
      contents: instr.contents.map((c) => (c.expand ? { ...c, data: this.heredocBody(instr, c.data, env) } : c)),
    };
  }

  /**
   * The instruction with its variables replaced. ENV within one instruction does not see its own
   * earlier pairs: every pair is expanded against `env` as it was before the instruction.
   */
  instruction(instr: Instruction, env: EnvLookup): Instruction {
    switch (instr.kind) {
      case 'env':
        return { ...instr, vars: this.pairs(instr, instr.vars, env) };
      case 'label':
        return { ...instr, labels: this.pairs(instr, instr.labels, env) };
      case 'arg':
        return { ...instr, args: instr.args.map((a) => ({ name: this.word(instr, a.name, env), value: this.optional(instr, a.value, env) })) };
      case 'expose':
        return { ...instr, ports: instr.ports.flatMap((p) => this.words(instr, p, env)) };
      case 'volume':
        return { ...instr, volumes: instr.volumes.map((v) => this.word(instr, v, env)) };
      case 'user':
        return { ...instr, user: this.word(instr, instr.user, env) };
      case 'workdir':
        return { ...instr, path: this.word(instr, instr.path, env) };
      case 'stopsignal':
        return { ...instr, signal: this.word(instr, instr.signal, env) };
      case 'from':
        return { ...instr, image: this.word(instr, instr.image, env), platform: this.optional(instr, instr.platform, env) };
      case 'copy':
        return { ...this.sources(instr, env), from: this.optional(instr, instr.from, env) };
      case 'add':
        return this.sources(instr, env);
      case 'run':
        return { ...instr, mounts: instr.mounts.map((m) => this.word(instr, m, env)) };
      default:
        return instr;
    }
  }
}
