// COPY/ADD source wildcards with the meaning of Go's filepath.Match, which BuildKit uses:
// `*` any run of non-slash characters, `?` one non-slash character, `[...]` a class (`^` negates,
// `a-z` ranges), `\` escapes the next character. A pattern never matches across a `/`.
import { BuilderError } from '../../util/errors.ts';

/** True when `name` holds a wildcard character not escaped by a backslash. */
export function hasWildcards(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === '\\') i++;
    else if (c === '*' || c === '?' || c === '[') return true;
  }
  return false;
}

const cache = new Map<string, RegExp>();

/** Go's filepath.Match; a malformed pattern is a BuilderError naming it. */
export function matchGlob(pattern: string, name: string): boolean {
  let re = cache.get(pattern);
  if (!re) {
    re = compile(pattern);
    cache.set(pattern, re);
  }
  return re.test(name);
}

function escapeRegExp(c: string): string {
  return c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

function compile(pattern: string): RegExp {
  const bad = (): BuilderError => new BuilderError('DOCKERFILE_PARSE', `syntax error in pattern: ${pattern}`);
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '\\') {
      if (i + 1 >= pattern.length) throw bad();
      out += escapeRegExp(pattern[++i]);
    } else if (c === '[') {
      let j = i + 1;
      let negate = false;
      if (pattern[j] === '^') {
        negate = true;
        j++;
      }
      let cls = '';
      let first = true;
      for (;;) {
        if (j >= pattern.length) throw bad();
        if (pattern[j] === ']' && !first) break;
        first = false;
        let lo = pattern[j];
        if (lo === '\\') {
          j++;
          if (j >= pattern.length) throw bad();
          lo = pattern[j];
        } else if (lo === '-' || lo === ']') throw bad();
        j++;
        if (pattern[j] === '-' && pattern[j + 1] !== undefined && pattern[j + 1] !== ']') {
          let hi = pattern[j + 1];
          j += 2;
          if (hi === '\\') {
            if (j >= pattern.length) throw bad();
            hi = pattern[j++];
          }
          if (hi < lo) throw bad();
          cls += `${escapeRegExp(lo)}-${escapeRegExp(hi)}`;
        } else {
          cls += escapeRegExp(lo);
        }
      }
      // A class never matches the separator, negated or not.
      out += negate ? `(?!/)[^${cls}]` : `[${cls}]`;
      i = j;
    } else out += escapeRegExp(c);
  }
  return new RegExp(`^${out}$`, 's');
}
