// .dockerignore with Docker's semantics (moby's patternmatcher): patterns relative to the context
// root, `*` and `?` within one path segment, `**` across segments, character classes, `\`
// escapes, `!` exceptions applied in order (the last matching pattern decides), and a path ignored
// when it or any of its parent directories matches.
import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, posix, relative, sep } from 'node:path';
import { BuilderError, fromSystemError } from '../util/errors.ts';
import type { IgnoreFilter } from './filter.ts';

/** A pattern as written in the file, after Docker's clean-up, with its line for messages. */
export interface IgnoreLine {
  pattern: string;
  line: number;
}

/** Go's filepath.Clean for slash paths. */
function clean(path: string): string {
  if (path === '') return '.';
  const normalized = posix.normalize(path);
  return normalized.length > 1 && normalized.endsWith('/') ? normalized.slice(0, -1) : normalized;
}

/**
 * The patterns of a .dockerignore: `#` comments (only in the first column), blank lines dropped,
 * whitespace trimmed, paths cleaned and a leading `/` removed, `!` kept in front.
 */
export function readDockerignore(text: string): IgnoreLine[] {
  const out: IgnoreLine[] = [];
  const lines = text.replace(/^\ufeff/, '').split('\n');
  lines.forEach((raw, i) => {
    if (raw.startsWith('#')) return;
    let pattern = raw.trim();
    if (pattern === '') return;
    const invert = pattern.startsWith('!');
    if (invert) pattern = pattern.slice(1).trim();
    if (pattern.length > 0) {
      pattern = clean(pattern);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    out.push({ pattern: invert ? `!${pattern}` : pattern, line: i + 1 });
  });
  return out;
}

type MatchType = 'exact' | 'prefix' | 'suffix' | 'regexp';

const ESCAPED = new Set(['.', '+', '(', ')', '|', '{', '}', '$']);

/** Why filepath.Match would reject the pattern, or undefined when it is well formed. */
function patternSyntaxError(pattern: string): string | undefined {
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    if (chars[i] === '\\') {
      if (++i >= chars.length) return 'trailing backslash';
      continue;
    }
    if (chars[i] !== '[') continue;
    i++;
    if (chars[i] === '^') i++;
    let ranges = 0;
    for (;;) {
      if (chars[i] === ']' && ranges > 0) break;
      // One range: lo or lo-hi, each possibly escaped.
      for (let end = 0; end < 2; end++) {
        const c = chars[i];
        if (c === undefined || c === '-' || c === ']') return 'malformed character class';
        if (c === '\\' && ++i >= chars.length) return 'malformed character class';
        i++;
        if (i >= chars.length) return 'unterminated character class';
        if (end === 0 && chars[i] === '-') i++;
        else break;
      }
      ranges++;
    }
  }
  return undefined;
}

class Pattern {
  readonly exclusion: boolean;
  readonly cleaned: string;
  readonly segments: string[];
  private type: MatchType = 'exact';
  private regexp?: RegExp;

  constructor(text: string) {
    this.exclusion = text.startsWith('!');
    this.cleaned = this.exclusion ? text.slice(1) : text;
    this.segments = this.cleaned.split('/');
    this.compile();
  }

  private compile(): void {
    const chars = Array.from(this.cleaned);
    let re = '^';
    let type: MatchType = 'exact';
    for (let i = 0, token = 0; i < chars.length; i++, token++) {
      const ch = chars[i];
      if (ch === '*' && chars[i + 1] === '*') {
        i++;
        // `**/` is `**`: the slash is part of it.
        if (chars[i + 1] === '/') i++;
        if (i + 1 >= chars.length) {
          if (type === 'exact') type = 'prefix';
          else {
            re += '.*';
            type = 'regexp';
          }
        } else {
          // Repeated `**/` means the same as one; keeping one avoids needless backtracking.
          if (!re.endsWith('(.*/)?')) re += '(.*/)?';
          type = 'regexp';
        }
        if (token === 0) type = 'suffix';
      } else if (ch === '*') {
        re += '[^/]*';
        type = 'regexp';
      } else if (ch === '?') {
        re += '[^/]';
        type = 'regexp';
      } else if (ESCAPED.has(ch)) {
        re += '\\' + ch;
      } else if (ch === '\\') {
        if (i + 1 < chars.length) {
          re += '\\' + chars[++i];
          type = 'regexp';
        } else {
          re += '\\\\';
        }
      } else if (ch === '[' || ch === ']') {
        re += ch;
        type = 'regexp';
      } else {
        re += ch;
      }
    }
    this.type = type;
    if (type === 'regexp') this.regexp = new RegExp(re + '$');
  }

  match(path: string): boolean {
    switch (this.type) {
      case 'exact':
        return path === this.cleaned;
      case 'prefix':
        return path.startsWith(this.cleaned.slice(0, -2));
      case 'suffix': {
        const suffix = this.cleaned.slice(2);
        return path.endsWith(suffix) || (suffix.startsWith('/') && path === suffix.slice(1));
      }
      case 'regexp':
        return (this.regexp as RegExp).test(path);
    }
  }
}

function normalizeRel(path: string): string {
  const p = clean(path.split(sep).join('/'));
  return p.startsWith('/') ? p.slice(1) : p;
}

export interface MatcherOptions {
  /** Files always sent whatever the patterns say: the Dockerfile and the ignore file. */
  alwaysInclude?: string[];
  /** Named in error messages. */
  source?: string;
}

export class DockerignoreMatcher implements IgnoreFilter {
  private readonly patterns: Pattern[];
  private readonly alwaysInclude: Set<string>;

  constructor(lines: (IgnoreLine | string)[], options: MatcherOptions = {}) {
    const source = options.source ?? '.dockerignore';
    this.patterns = [];
    for (const item of lines) {
      const { pattern, line } = typeof item === 'string' ? { pattern: item, line: 0 } : item;
      const where = line > 0 ? `${source}:${line}` : source;
      const p = pattern.trim();
      if (p === '') continue;
      if (p === '!') throw new BuilderError('CONTEXT_INVALID', `${where}: "!" alone is not a pattern: write !PATH`);
      const body = p.startsWith('!') ? p.slice(1) : p;
      const problem = patternSyntaxError(body);
      if (problem) throw new BuilderError('CONTEXT_INVALID', `${where}: bad pattern "${p}": ${problem}`);
      let cleaned = clean(body);
      if (cleaned.length > 1 && cleaned.startsWith('/')) cleaned = cleaned.slice(1);
      this.patterns.push(new Pattern(p.startsWith('!') ? `!${cleaned}` : cleaned));
    }
    this.alwaysInclude = new Set((options.alwaysInclude ?? []).map(normalizeRel));
  }

  get hasExceptions(): boolean {
    return this.patterns.some((p) => p.exclusion);
  }

  /** True when `relPath` is left out of the build context. */
  ignored(relPath: string, isDir: boolean): boolean {
    const path = normalizeRel(relPath);
    if (!isDir && this.alwaysInclude.has(path)) return false;
    const parent = posix.dirname(path);
    const parentDirs = parent === '.' ? [] : parent.split('/');
    let matched = false;
    for (const pattern of this.patterns) {
      // Only a pattern that could change the outcome is worth evaluating.
      if (pattern.exclusion !== matched) continue;
      let match = pattern.match(path);
      for (let i = 0; !match && i < parentDirs.length; i++) {
        match = pattern.match(parentDirs.slice(0, i + 1).join('/'));
      }
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }

  /**
   * True when the ignored directory `relDir` can be skipped without looking inside: no exception
   * could re-include anything under it, and nothing always sent lives there.
   */
  canSkipDir(relDir: string): boolean {
    const dir = normalizeRel(relDir);
    if (!this.ignored(dir, true)) return false;
    for (const keep of this.alwaysInclude) if (keep.startsWith(`${dir}/`)) return false;
    const dirSegments = dir.split('/');
    return !this.patterns.some((p) => p.exclusion && mayMatchInside(p.segments, dirSegments));
  }
}

/** Whether a pattern (by segments) could match `dir`, an ancestor of it, or a path inside it. */
function mayMatchInside(patternSegments: string[], dirSegments: string[]): boolean {
  for (let i = 0; i < dirSegments.length; i++) {
    if (i >= patternSegments.length) return true;
    const seg = patternSegments[i];
    if (seg.includes('**')) return true;
    if (!new Pattern(seg).match(dirSegments[i])) return false;
  }
  return true;
}

export interface LoadedDockerignore {
  matcher: DockerignoreMatcher;
  /** The ignore file used, or undefined when there is none. */
  file?: string;
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw fromSystemError(err, path);
  }
}

/**
 * The ignore rules of a local context: `<Dockerfile>.dockerignore` beside the Dockerfile when it
 * exists, else `.dockerignore` at the context root. `dockerfile` is relative to the context or
 * absolute; undefined when the Dockerfile comes from stdin.
 */
export async function loadDockerignore(contextDir: string, dockerfile?: string): Promise<LoadedDockerignore> {
  const dockerfilePath = dockerfile === undefined ? undefined : isAbsolute(dockerfile) ? dockerfile : join(contextDir, dockerfile);
  const candidates = dockerfilePath ? [join(dirname(dockerfilePath), `${basename(dockerfilePath)}.dockerignore`)] : [];
  candidates.push(join(contextDir, '.dockerignore'));
  const alwaysInclude = ['.dockerignore'];
  if (dockerfilePath) {
    const rel = relative(contextDir, dockerfilePath);
    if (!rel.startsWith('..') && !isAbsolute(rel)) alwaysInclude.push(rel);
  }
  for (const file of candidates) {
    const text = await readIfExists(file);
    if (text === undefined) continue;
    const source = relative(contextDir, file) || file;
    return { matcher: new DockerignoreMatcher(readDockerignore(text), { alwaysInclude, source }), file };
  }
  return { matcher: new DockerignoreMatcher([], { alwaysInclude }) };
}
