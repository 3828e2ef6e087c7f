// Word expansion the way BuildKit's shell lexer does it: $v, ${v}, the ${v:-w} family, prefix and
// suffix trimming, substitution, quotes and escapes. It is not a shell: no command substitution, no
// arithmetic, no globbing. Unquoted results of an expansion are split into words only by
// processWords(), which is what EXPOSE and heredoc detection use.

/** Looks a variable up; undefined means unset (which differs from set to ""). */
export type EnvLookup = (name: string) => string | undefined;

export interface ShellLexerOptions {
  /** `\` by default, or a backtick after `# escape=``. */
  escapeToken?: string;
  /** Keep quote characters in the result (used to tell whether a heredoc word was quoted). */
  rawQuotes?: boolean;
  /** Keep escape characters in the result. */
  rawEscapes?: boolean;
  /** Treat quotes as ordinary characters (heredoc bodies: quotes there belong to the content). */
  skipProcessQuotes?: boolean;
  /** Leave references to unset variables as written instead of expanding them to "". */
  skipUnsetEnv?: boolean;
}

/** A failure inside one word; the caller adds the file position. */
export class ExpansionError extends Error {}

const EOF = '';

class Words {
  constructor(private readonly enabled: boolean) {}

  private word = '';
  private inWord = false;
  readonly words: string[] = [];

  addChar(ch: string): void {
    if (!this.enabled) return;
    if (isSpace(ch)) {
      if (this.inWord && this.word.length > 0) {
        this.words.push(this.word);
        this.word = '';
        this.inWord = false;
      }
    } else {
      this.addRaw(ch);
    }
  }

  addRaw(text: string): void {
    if (!this.enabled) return;
    this.word += text;
    this.inWord = true;
  }

  addString(text: string): void {
    if (!this.enabled) return;
    for (const ch of text) this.addChar(ch);
  }

  finish(): string[] {
    if (this.word.length > 0) {
      this.words.push(this.word);
      this.word = '';
      this.inWord = false;
    }
    return this.words;
  }
}

/** Go's unicode.IsSpace, which BuildKit's trimming and word splitting use. */
export function isSpace(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 0x80) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

const NAME_CHAR = /^[\p{L}\p{Nd}_]$/u;
const DIGIT = /^\p{Nd}$/u;

function isNameChar(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 0x80) return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
  return NAME_CHAR.test(ch);
}

function isDigit(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 0x80) return c >= 0x30 && c <= 0x39;
  return DIGIT.test(ch);
}
const SPECIAL_PARAMS = new Set(['@', '*', '#', '?', '-', '$', '!', '0']);

/** One pass over one word; a fresh instance per call keeps the lexer reentrant. */
class WordScanner {
  private readonly chars: string[];
  private pos = 0;
  private rawEscapes: boolean;

  constructor(
    text: string,
    private readonly env: EnvLookup,
    private readonly opts: Required<ShellLexerOptions>,
    private readonly wantWords: boolean,
  ) {
    this.chars = Array.from(text);
    this.rawEscapes = opts.rawEscapes;
  }

  private peek(): string {
    return this.pos < this.chars.length ? this.chars[this.pos] : EOF;
  }

  private next(): string {
    return this.pos < this.chars.length ? this.chars[this.pos++] : EOF;
  }

  run(): { text: string; words: string[] } {
    return this.processStopOn(EOF, this.opts.rawEscapes);
  }

  private processStopOn(stop: string, rawEscapes: boolean): { text: string; words: string[] } {
    let result = '';
    const words = new Words(this.wantWords);
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      const esc = this.opts.escapeToken;
      while (this.peek() !== EOF) {
        const ch = this.peek();
        if (stop !== EOF && ch === stop) {
          this.next();
          return { text: result, words: words.finish() };
        }
        if (ch === '$') {
          const value = this.processDollar();
          result += value;
          words.addString(value);
          continue;
        }
        if (!this.opts.skipProcessQuotes && (ch === "'" || ch === '"')) {
          const value = ch === "'" ? this.processSingleQuote() : this.processDoubleQuote();
          result += value;
          words.addRaw(value);
          continue;
        }
        let c = this.next();
        if (c === esc) {
          if (this.rawEscapes) {
            words.addRaw(c);
            result += c;
          }
          c = this.next();
          if (c === EOF) break;
          words.addRaw(c);
        } else {
          words.addChar(c);
        }
        result += c;
      }
      if (stop !== EOF) throw new ExpansionError(`unexpected end of statement while looking for matching ${stop}`);
      return { text: result, words: words.finish() };
    } finally {
      this.rawEscapes = saved;
    }
  }

  private processSingleQuote(): string {
    // Nothing is special between single quotes, not even the escape token.
    let result = '';
    const open = this.next();
    if (this.opts.rawQuotes) result += open;
    for (;;) {
      const ch = this.next();
      if (ch === EOF) throw new ExpansionError('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") {
        if (this.opts.rawQuotes) result += ch;
        return result;
      }
      result += ch;
    }
  }

  private processDoubleQuote(): string {
    // Only $ is special, and the escape token before ", $ or itself.
    let result = '';
    const open = this.next();
    if (this.opts.rawQuotes) result += open;
    const esc = this.opts.escapeToken;
    for (;;) {
      const p = this.peek();
      if (p === EOF) throw new ExpansionError('unexpected end of statement while looking for matching double-quote');
      if (p === '"') {
        const close = this.next();
        if (this.opts.rawQuotes) result += close;
        return result;
      }
      if (p === '$') {
        result += this.processDollar();
        continue;
      }
      let ch = this.next();
      if (ch === esc) {
        if (this.rawEscapes) result += ch;
        const after = this.peek();
        if (after === EOF) continue;
        if (after === '"' || after === '$' || after === esc) ch = this.next();
        else if (this.rawEscapes) continue;
      }
      result += ch;
    }
  }

  private processName(): string {
    let name = '';
    while (this.peek() !== EOF) {
      const ch = this.peek();
      if (name.length === 0 && isDigit(ch)) {
        // Positional parameters: all the digits, nothing else.
        while (this.peek() !== EOF && isDigit(this.peek())) name += this.next();
        return name;
      }
      if (name.length === 0 && SPECIAL_PARAMS.has(ch)) return this.next();
      if (!isNameChar(ch)) break;
      name += this.next();
    }
    return name;
  }

  private processDollar(): string {
    this.next();
    if (this.peek() !== '{') {
      const name = this.processName();
      if (name === '') return '$';
      const value = this.env(name);
      if (value === undefined && this.opts.skipUnsetEnv) return '$' + name;
      return value ?? '';
    }
    this.next();
    const first = this.peek();
    if (first === EOF) throw new ExpansionError("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new ExpansionError('syntax error: bad substitution');
    const name = this.processName();
    let ch = this.next();
    let modifier = ch;
    switch (ch) {
      case '}': {
        const value = this.env(name);
        if (value === undefined && this.opts.skipUnsetEnv) return `\${${name}}`;
        return value ?? '';
      }
      case '/':
        return this.processSubstitution(name);
      case ':':
      case '+':
      case '-':
      case '?':
      case '#':
      case '%': {
        const nullIsUnset = ch === ':';
        if (nullIsUnset) {
          ch = this.next();
          modifier += ch;
        }
        // Patterns keep their escapes so that \* stays a literal star.
        const patternLike = ch === '#' || ch === '%';
        if (nullIsUnset && patternLike) throw new ExpansionError(`unsupported modifier (${modifier}) in substitution`);
        let word: string;
        try {
          word = this.processStopOn('}', patternLike).text;
        } catch (err) {
          if (this.peek() === EOF) throw new ExpansionError("syntax error: missing '}'");
          throw err;
        }
        const value = this.env(name);
        if (value === undefined && this.opts.skipUnsetEnv) return `\${${name}${modifier}${word}}`;
        const empty = value === undefined || (nullIsUnset && value === '');
        switch (ch) {
          case '-':
            return empty ? word : (value as string);
          case '+':
            return empty ? '' : word;
          case '?':
            if (value === undefined) throw new ExpansionError(`${name}: ${word || 'is not allowed to be unset'}`);
            if (nullIsUnset && value === '') throw new ExpansionError(`${name}: ${word || 'is not allowed to be empty'}`);
            return value;
          case '#':
          case '%': {
            const greedy = word.startsWith(ch);
            const pattern = greedy ? word.slice(1) : word;
            return ch === '%' ? trimSuffix(pattern, value ?? '', greedy) : trimPrefix(pattern, value ?? '', greedy);
          }
          default:
            throw new ExpansionError(`unsupported modifier (${modifier}) in substitution`);
        }
      }
      default:
        if (ch === EOF) throw new ExpansionError("syntax error: missing '}'");
        throw new ExpansionError(`unsupported modifier (${modifier}) in substitution`);
    }
  }

  private processSubstitution(name: string): string {
    const all = this.peek() === '/';
    if (all) this.next();
    let pattern: string;
    try {
      pattern = this.processStopOn('/', true).text;
    } catch (err) {
      if (this.peek() === EOF) throw new ExpansionError("syntax error: missing '/' in ${}");
      throw err;
    }
    let replacement: string;
    try {
      replacement = this.processStopOn('}', true).text;
    } catch (err) {
      if (this.peek() === EOF) throw new ExpansionError("syntax error: missing '}'");
      throw err;
    }
    const value = this.env(name);
    if (value === undefined && this.opts.skipUnsetEnv) return `\${${name}/${pattern}/${replacement}}`;
    const re = patternToRegExp(pattern, true, false, all);
    const subject = value ?? '';
    if (all) return subject.replace(re, () => replacement);
    const m = re.exec(subject);
    if (!m) return subject;
    return subject.slice(0, m.index) + replacement + subject.slice(m.index + m[0].length);
  }
}

const REGEX_SPECIAL = new Set(['[', ']', '{', '}', '.', '+', '(', ')', '|', '^', '$']);

/**
 * A shell pattern (`*`, `?`, `\` escapes) as a regular expression; bracket expressions are not
 * supported by BuildKit and match literally.
 */
function patternToRegExp(pattern: string, greedy: boolean, anchored: boolean, global = false): RegExp {
  const chars = Array.from(pattern);
  let out = anchored ? '^' : '';
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (ch === '*') {
      // A run of stars matches what one star matches; one keeps backtracking down.
      while (chars[i + 1] === '*') i++;
      out += greedy ? '[^\\n]*' : '[^\\n]*?';
    } else if (ch === '?') out += '[^\\n]';
    else if (ch === '\\') {
      const nextCh = chars[i + 1];
      // `}` and `/` are escaped only to get them past the ${} parser.
      if (nextCh === '}' || nextCh === '/') continue;
      i++;
      if (nextCh !== '*' && nextCh !== '?' && nextCh !== '\\') {
        throw new ExpansionError(`invalid pattern (${pattern}) in substitution: invalid escape '\\${nextCh ?? ''}'`);
      }
      out += '\\' + nextCh;
    } else if (REGEX_SPECIAL.has(ch)) out += '\\' + ch;
    else out += ch;
  }
  return new RegExp(out, global ? 'gu' : 'u');
}

function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const m = patternToRegExp(pattern, greedy, true).exec(value);
  return m ? value.slice(m[0].length) : value;
}

/** Reverses a pattern keeping each `\x` escape pair in order. */
function reversePattern(pattern: string): string {
  const chars = Array.from(pattern);
  const out: string[] = [];
  for (let i = 0; i < chars.length; ) {
    if (chars[i] === '\\' && i + 1 < chars.length) {
      out.unshift('\\' + chars[i + 1]);
      i += 2;
    } else {
      out.unshift(chars[i]);
      i++;
    }
  }
  return out.join('');
}

function reverse(text: string): string {
  return Array.from(text).reverse().join('');
}

function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  // A regular expression finds leftmost matches only, so the shortest or longest suffix is found
  // as a prefix of the reversed value.
  return reverse(trimPrefix(reversePattern(pattern), reverse(value), greedy));
}

export class ShellLexer {
  private readonly opts: Required<ShellLexerOptions>;
  private readonly special: RegExp;

  constructor(options: ShellLexerOptions = {}) {
    this.opts = {
      escapeToken: options.escapeToken ?? '\\',
      rawQuotes: options.rawQuotes ?? false,
      rawEscapes: options.rawEscapes ?? false,
      skipProcessQuotes: options.skipProcessQuotes ?? false,
      skipUnsetEnv: options.skipUnsetEnv ?? false,
    };
    this.special = this.opts.escapeToken === '`' ? /[$"'`]/ : /[$"'\\]/;
  }

  get escapeToken(): string {
    return this.opts.escapeToken;
  }

  /** True when the word holds nothing the lexer would change: no $, quote or escape token. */
  private isPlain(word: string): boolean {
    return !this.special.test(word);
  }

  /** Expands `word` into one string; whitespace in it and in variable values is kept. */
  processWord(word: string, env: EnvLookup): string {
    if (this.isPlain(word)) return word;
    return new WordScanner(word, env, this.opts, false).run().text;
  }

  /** Expands `word` and splits the result at unquoted whitespace, as a shell would. */
  processWords(word: string, env: EnvLookup): string[] {
    return new WordScanner(word, env, this.opts, true).run().words;
  }

  /** A lexer with the same escape token and different options. */
  with(options: ShellLexerOptions): ShellLexer {
    return new ShellLexer({ ...this.opts, ...options });
  }
}

/** An EnvLookup over a plain record or map. */
export function lookupIn(vars: Record<string, string> | ReadonlyMap<string, string>): EnvLookup {
  if (vars instanceof Map) return (name) => vars.get(name);
  const rec = vars as Record<string, string>;
  return (name) => (Object.prototype.hasOwnProperty.call(rec, name) ? rec[name] : undefined);
}
