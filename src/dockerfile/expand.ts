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

  private sourcesAndDest(instr: SourcesAndDest & Instruction, env: EnvLookup): SourcesAndDest {
    return {
      sources: instr.sources.map((src) => this.word(instr, src, env)),
      dest: this.word(instr, instr.dest, env),
      chown: this.optional(instr, instr.chown, env),
      chmod: this.optional(instr, instr.chmod, env),
      contents: instr.contents.map((c) => (c.expand ? { path: c.path, data: this.heredocBody(instr, c.data, env), expand: true } : c)),
      link: instr.link,
      exclude: instr.exclude,
      heredocs: instr.heredocs,
    };
  }

  /**
   * The instruction with its variables replaced. ENV within one instruction does not see its own
   * earlier pairs: every pair is expanded against `env` as it was before the instruction.
   */
  instruction(instr: Instruction, env: EnvLookup): Instruction {
    // Literals rather than spreads: object spread is slow in the V8 of Node 20 and this runs per instruction.
    const { position, endLine, original } = instr;
    switch (instr.kind) {
      case 'env':
        return { position, endLine, original, kind: 'env', vars: this.pairs(instr, instr.vars, env) };
      case 'label':
        return { position, endLine, original, kind: 'label', labels: this.pairs(instr, instr.labels, env) };
      case 'arg':
        return { position, endLine, original, kind: 'arg', args: instr.args.map((a) => ({ name: this.word(instr, a.name, env), value: this.optional(instr, a.value, env) })) };
      case 'expose':
        return { position, endLine, original, kind: 'expose', ports: instr.ports.flatMap((p) => this.words(instr, p, env)) };
      case 'volume':
        return { position, endLine, original, kind: 'volume', volumes: instr.volumes.map((v) => this.word(instr, v, env)) };
      case 'user':
        return { position, endLine, original, kind: 'user', user: this.word(instr, instr.user, env) };
      case 'workdir':
        return { position, endLine, original, kind: 'workdir', path: this.word(instr, instr.path, env) };
      case 'stopsignal':
        return { position, endLine, original, kind: 'stopsignal', signal: this.word(instr, instr.signal, env) };
      case 'from':
        return { position, endLine, original, kind: 'from', image: this.word(instr, instr.image, env), stageName: instr.stageName, platform: this.optional(instr, instr.platform, env) };
      case 'copy': {
        const s = this.sourcesAndDest(instr, env);
        return { position, endLine, original, kind: 'copy', sources: s.sources, contents: s.contents, dest: s.dest, chown: s.chown, chmod: s.chmod, link: s.link, exclude: s.exclude, heredocs: s.heredocs, from: this.optional(instr, instr.from, env), parents: instr.parents };
      }
      case 'add': {
        const s = this.sourcesAndDest(instr, env);
        return { position, endLine, original, kind: 'add', sources: s.sources, contents: s.contents, dest: s.dest, chown: s.chown, chmod: s.chmod, link: s.link, exclude: s.exclude, heredocs: s.heredocs, checksum: instr.checksum, keepGitDir: instr.keepGitDir };
      }
      case 'run':
        return { position, endLine, original, kind: 'run', args: instr.args, shell: instr.shell, mounts: instr.mounts.map((m) => this.word(instr, m, env)), network: instr.network, security: instr.security, heredocs: instr.heredocs };
      default:
        return instr;
    }
  }
}
