// Dockerfile text -> syntax tree, following BuildKit's parser line by line: parser directives at
// the top, comments only as whole lines, continuations (which skip comment and blank lines),
// builder flags, the per-instruction way of splitting arguments with the JSON fallback, and
// heredoc bodies after RUN, COPY and ADD.
import type { DockerfileAst, Directive, DirectiveName, HeredocNode, InstructionNode, KeyValueNode, ParseWarning, Position } from './ast.ts';
import { dockerfileError } from './errors.ts';
import { ShellLexer, isSpace } from './shell-lexer.ts';

export interface ParseOptions {
  /** The name used in positions, "Dockerfile" by default. */
  file?: string;
}

// Go's \s in RE2 and the set BuildKit splits words on.
const GO_SPACE = '[\\t\\n\\f\\r ]';
const DIRECTIVE = new RegExp(`^#${GO_SPACE}*([a-zA-Z][a-zA-Z0-9]*)${GO_SPACE}*=${GO_SPACE}*(.+?)${GO_SPACE}*$`);
const WHITESPACE_RUN = /[\t\v\f\r ]+/;
const HEREDOC_WORD = /^([0-9]*)<<(-?)([^<]*)$/;
const DIRECTIVE_NAMES = new Set<DirectiveName>(['syntax', 'escape', 'check']);
const HEREDOC_COMMANDS = new Set(['run', 'copy', 'add']);


function trimLeft(text: string): string {
  let i = 0;
  while (i < text.length && isSpace(text[i])) i++;
  return i === 0 ? text : text.slice(i);
}

function trimBoth(text: string): string {
  let end = text.length;
  while (end > 0 && isSpace(text[end - 1])) end--;
  return trimLeft(text.slice(0, end));
}

function trimNewline(text: string): string {
  let end = text.length;
  while (end > 0 && (text[end - 1] === '\n' || text[end - 1] === '\r')) end--;
  return end === text.length ? text : text.slice(0, end);
}

function isComment(text: string): boolean {
  return trimLeft(trimNewline(text)).startsWith('#');
}

/** The lines of the text without their newlines; a final newline does not start a line. */
function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Parser directives are read until the first line that is not one. */
class DirectiveReader {
  done = false;
  escapeToken = '\\';
  readonly directives: Directive[] = [];

  constructor(private readonly file: string) {}

  read(line: string, lineNo: number): void {
    if (this.done) return;
    const m = DIRECTIVE.exec(line);
    const name = m?.[1].toLowerCase() as DirectiveName | undefined;
    if (!m || !name || !DIRECTIVE_NAMES.has(name)) {
      this.done = true;
      return;
    }
    const position = { line: lineNo, column: 1 };
    if (this.directives.some((d) => d.name === name)) {
      throw dockerfileError(this.file, position, `the ${name} parser directive may appear only once`);
    }
    const value = m[2];
    if (name === 'escape') {
      if (value !== '\\' && value !== '`') {
        throw dockerfileError(this.file, position, `invalid escape token "${value}": use \\ or \``);
      }
      this.escapeToken = value;
    }
    this.directives.push({ name, value, position });
  }

  /** The line without its continuation token, and whether the logical line ends here. */
  trimContinuation(line: string): [string, boolean] {
    // The escape token followed only by blanks ends the line: the instruction continues.
    let end = line.length;
    while (end > 0 && (line[end - 1] === ' ' || line[end - 1] === '\t')) end--;
    return end > 0 && line[end - 1] === this.escapeToken ? [line.slice(0, end - 1), false] : [line, true];
  }
}

/** BuildKit's word splitter for ENV, LABEL and ARG: quotes and escapes stay in the words. */
export function splitWords(rest: string, escapeToken: string): string[] {
  const words: string[] = [];
  const chars = Array.from(rest);
  let word = '';
  let inWord = false;
  let quote = '';
  let blankOk = false;
  for (let i = 0; i < chars.length; i++) {
    let ch = chars[i];
    if (!inWord && !quote) {
      if (isSpace(ch)) continue;
      inWord = true;
    }
    if (quote) {
      if (ch === quote) quote = '';
      // Nothing can be escaped inside single quotes.
      else if (ch === escapeToken && quote !== "'") {
        if (i + 1 === chars.length) {
          continue;
        }
        word += ch;
        ch = chars[++i];
      }
      word += ch;
      continue;
    }
    if (isSpace(ch)) {
      if (blankOk || word.length > 0) words.push(word);
      word = '';
      blankOk = false;
      inWord = false;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      blankOk = true;
    }
    if (ch === escapeToken) {
      if (i + 1 === chars.length) continue;
      // An escaped character, even a quote, is kept together with its escape token.
      word += ch;
      ch = chars[++i];
    }
    word += ch;
  }
  if ((inWord || quote) && (blankOk || word.length > 0)) words.push(word);
  return words;
}

/** Leading `--name[=value]` words; returns them and the rest of the line. */
export function extractFlags(line: string): { flags: string[]; rest: string } {
  const flags: string[] = [];
  let pos = 0;
  for (;;) {
    while (pos < line.length && isSpace(line[pos])) pos++;
    if (pos >= line.length) return { flags, rest: '' };
    if (!line.startsWith('--', pos)) return { flags, rest: line.slice(pos) };
    let word = '';
    let quote = '';
    let blankOk = false;
    for (; pos < line.length; pos++) {
      let ch = line[pos];
      if (quote) {
        if (ch === quote) {
          quote = '';
          continue;
        }
      } else {
        if (isSpace(ch)) break;
        if (ch === "'" || ch === '"') {
          quote = ch;
          blankOk = true;
          continue;
        }
      }
      if (ch === '\\') {
        if (pos + 1 === line.length) {
          quote = '';
          continue;
        }
        ch = line[++pos];
      }
      word += ch;
    }
    // A bare "--" ends the flags.
    if (word === '--') return { flags, rest: line.slice(pos) };
    if (blankOk || word.length > 0) flags.push(word);
  }
}

type JsonResult = { items: string[] } | { notStrings: true } | null;

function parseJsonArray(rest: string): JsonResult {
  const text = trimLeft(rest);
  if (!text.startsWith('[')) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Array.isArray(value)) return null;
  if (value.some((v) => typeof v !== 'string')) return { notStrings: true };
  return { items: value as string[] };
}

interface SplitArgs {
  args: string[];
  json: boolean;
  pairs?: KeyValueNode[];
  trigger?: InstructionNode;
}

class Parser {
  readonly warnings: ParseWarning[] = [];
  private readonly directives: DirectiveReader;
  private readonly lines: string[];
  /** Whether the last line ended with a newline, which a heredoc body keeps. */
  private readonly finalNewline: boolean;
  private index = 0;

  constructor(
    text: string,
    private readonly file: string,
  ) {
    this.directives = new DirectiveReader(file);
    const body = text.startsWith('\ufeff') ? text.slice(1) : text;
    this.lines = splitLines(body);
    this.finalNewline = body.endsWith('\n');
  }

  parse(): DockerfileAst {
    const instructions: InstructionNode[] = [];
    let comments: string[] = [];
    while (this.index < this.lines.length) {
      const first = this.lines[this.index];
      const startLine = ++this.index;
      const leftTrimmed = trimLeft(first);
      if (leftTrimmed.startsWith('#')) {
        const comment = trimBoth(leftTrimmed.slice(1));
        if (comment === '') comments = [];
        else comments.push(comment);
      }
      const stripped = trimNewline(leftTrimmed);
      this.directives.read(stripped, startLine);
      const column = first.length - leftTrimmed.length + 1;
      let [line, ended] = this.directives.trimContinuation(isComment(stripped) ? '' : stripped);
      if (ended && line.length === 0) continue;
      const headLength = line.length;

      let emptyContinuation = false;
      while (!ended && this.index < this.lines.length) {
        const next = this.lines[this.index++];
        const text = trimNewline(next);
        this.directives.read(text, this.index);
        if (isComment(text)) continue;
        if (trimLeft(text).length === 0) {
          emptyContinuation = true;
          continue;
        }
        const [part, end] = this.directives.trimContinuation(text);
        line += part;
        ended = end;
      }
      const position: Position = { line: startLine, column };
      if (trimBoth(line) === '') continue;
      if (emptyContinuation) {
        this.warnings.push({ position, message: 'empty continuation line; an empty line inside a continued instruction will become an error' });
      }
      const node = this.nodeFromLine(line, position, comments);
      node.headLength = headLength;
      comments = [];
      if (canContainHeredoc(node) && line.includes('<<')) this.readHeredocs(node, line);
      node.endLine = this.index;
      instructions.push(node);
    }
    return { file: this.file, directives: this.directives.directives, escapeToken: this.directives.escapeToken, instructions, warnings: this.warnings };
  }

  private nodeFromLine(line: string, position: Position, comments: string[]): InstructionNode {
    const trimmed = trimBoth(line);
    const m = WHITESPACE_RUN.exec(trimmed);
    const keyword = m ? trimmed.slice(0, m.index) : trimmed;
    const afterKeyword = m ? trimmed.slice(m.index + m[0].length) : '';
    const { flags, rest } = m ? extractFlags(afterKeyword) : { flags: [], rest: '' };
    const command = keyword.toLowerCase();
    const split = this.splitArgs(command, rest, position);
    return {
      keyword,
      command,
      flags,
      args: split.args,
      json: split.json,
      pairs: split.pairs,
      trigger: split.trigger,
      heredocs: [],
      original: line,
      headLength: line.length,
      rest,
      position,
      endLine: position.line,
      comments,
    };
  }

  private splitArgs(command: string, rest: string, position: Position): SplitArgs {
    switch (command) {
      case 'add':
      case 'copy':
      case 'volume':
        return this.maybeJsonToList(rest, position);
      case 'run':
      case 'cmd':
      case 'entrypoint':
      case 'shell':
        return this.maybeJson(rest, position);
      case 'arg':
        return { args: splitWords(rest, this.directives.escapeToken), json: false };
      case 'env':
      case 'label':
        return { args: [], json: false, pairs: this.nameValues(command, rest, position) };
      case 'expose':
      case 'from':
        return { args: splitWhitespace(rest), json: false };
      case 'maintainer':
      case 'stopsignal':
      case 'user':
      case 'workdir':
        return { args: rest === '' ? [] : [rest], json: false };
      case 'healthcheck':
        return this.healthcheck(rest, position);
      case 'onbuild':
        return rest === '' ? { args: [], json: false } : { args: [], json: false, trigger: this.nodeFromLine(rest, position, []) };
      default:
        return { args: [], json: false };
    }
  }

  private maybeJson(rest: string, position: Position): SplitArgs {
    if (rest === '') return { args: [], json: false };
    const parsed = parseJsonArray(rest);
    if (parsed && 'notStrings' in parsed) throw dockerfileError(this.file, position, 'a JSON array (exec form) may hold only strings');
    if (parsed) return { args: parsed.items, json: true };
    return { args: [rest], json: false };
  }

  private maybeJsonToList(rest: string, position: Position): SplitArgs {
    const parsed = parseJsonArray(rest);
    if (parsed && 'notStrings' in parsed) throw dockerfileError(this.file, position, 'a JSON array (exec form) may hold only strings');
    if (parsed) return { args: parsed.items, json: true };
    return { args: splitWhitespace(rest), json: false };
  }

  private healthcheck(rest: string, position: Position): SplitArgs {
    let sep = 0;
    while (sep < rest.length && !isSpace(rest[sep])) sep++;
    if (sep === 0) return { args: [], json: false };
    let next = sep;
    while (next < rest.length && isSpace(rest[next])) next++;
    const command = this.maybeJson(rest.slice(next), position);
    return { args: [rest.slice(0, sep), ...command.args], json: command.json };
  }

  private nameValues(command: string, rest: string, position: Position): KeyValueNode[] {
    const words = splitWords(rest, this.directives.escapeToken);
    if (words.length === 0) return [];
    if (!words[0].includes('=')) {
      // The legacy form: the first word is the name, everything after it the value.
      const m = WHITESPACE_RUN.exec(rest);
      if (!m) throw dockerfileError(this.file, position, `${command.toUpperCase()} ${rest} has a name but no value: write ${rest}=VALUE`);
      return [{ key: rest.slice(0, m.index), value: rest.slice(m.index + m[0].length), legacy: true }];
    }
    return words.map((word) => {
      const eq = word.indexOf('=');
      if (eq < 0) throw dockerfileError(this.file, position, `${command.toUpperCase()}: no "=" in "${word}"; each word must be NAME=VALUE`);
      return { key: word.slice(0, eq), value: word.slice(eq + 1), legacy: false };
    });
  }

  private readHeredocs(node: InstructionNode, line: string): void {
    const target = node.trigger ?? node;
    for (const word of heredocWords(line)) {
      const found = parseHeredocWord(word, this.file, node.position);
      if (!found) continue;
      const bodyStart = this.index + 1;
      let content = '';
      let terminated = false;
      while (this.index < this.lines.length) {
        const physical = this.lines[this.index++];
        let candidate = trimNewline(physical);
        if (found.chomp) candidate = candidate.replace(/^\t+/, '');
        if (candidate === found.name) {
          terminated = true;
          break;
        }
        content += this.index < this.lines.length || this.finalNewline ? `${physical}\n` : physical;
      }
      if (!terminated) {
        throw dockerfileError(this.file, node.position, `unterminated heredoc <<${found.chomp ? '-' : ''}${found.name}: no line reads "${found.name}" before the end of the file`);
      }
      target.heredocs.push({ name: found.name, expand: found.expand, chomp: found.chomp, fd: found.fd, content, position: { line: bodyStart, column: 1 } });
    }
  }
}

function splitWhitespace(rest: string): string[] {
  if (rest === '') return [];
  return rest.split(/[\t\v\f\r ]+/);
}

function canContainHeredoc(node: InstructionNode): boolean {
  const target = node.command === 'onbuild' && node.trigger ? node.trigger : node;
  return HEREDOC_COMMANDS.has(target.command) && !target.json;
}

const HEREDOC_SCAN = new ShellLexer({ escapeToken: '\\', rawQuotes: true, rawEscapes: true });
const HEREDOC_NAME = new ShellLexer({ escapeToken: '\\', skipUnsetEnv: true });
const HEREDOC_NAME_RAW = HEREDOC_NAME.with({ rawQuotes: true });
const noEnv = (): undefined => undefined;

/** The shell words of an instruction line; a line the lexer cannot read holds no heredocs. */
function heredocWords(line: string): string[] {
  try {
    return HEREDOC_SCAN.processWords(line, noEnv);
  } catch {
    return [];
  }
}

/** A `<<WORD`, `<<-WORD` or `N<<WORD` shell word as a heredoc, or null when it is not one. */
export function parseHeredocWord(word: string, file = 'Dockerfile', position: Position = { line: 1, column: 1 }): Omit<HeredocNode, 'content' | 'position'> | null {
  const m = HEREDOC_WORD.exec(word);
  if (!m || m[3].length === 0) return null;
  let words: string[];
  let raw: string[];
  try {
    words = HEREDOC_NAME.processWords(m[3], noEnv);
    raw = HEREDOC_NAME_RAW.processWords(m[3], noEnv);
  } catch (err) {
    throw dockerfileError(file, position, `heredoc delimiter ${m[3]}: ${(err as Error).message}`);
  }
  if (words.length !== 1 || raw.length !== 1) return null;
  const quotes = (s: string): number => (s.match(/['"]/g) ?? []).length;
  return { name: words[0], expand: quotes(words[0]) === quotes(raw[0]), chomp: m[2] === '-', fd: m[1] === '' ? 0 : Number(m[1]) };
}

export function parse(text: string, options: ParseOptions = {}): DockerfileAst {
  return new Parser(text, options.file ?? 'Dockerfile').parse();
}
