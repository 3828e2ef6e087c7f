// The pattern language of `COPY --exclude` and of the include pattern behind `COPY --parents`:
// moby/patternmatcher, as fsutil applies it. `**` spans directories, `*` and `?` stay within
// one, `[...]` and `\` as in Go; a pattern that matches a directory matches everything in it;
// a leading `!` re-includes; the last matching pattern decides.
import { posix } from 'node:path';
import { BuilderError } from '../../util/errors.ts';

interface Compiled {
  re: RegExp;
  exclusion: boolean;
  depth: number;
}

export type PathMatcher = (relPath: string) => boolean;

/** A matcher over slash paths relative to the copied source; an empty list matches nothing. */
export function compilePatterns(patterns: string[], flag: string): PathMatcher {
  const compiled: Compiled[] = [];
  for (const raw of patterns) {
    let p = raw.trim();
    if (p === '') continue;
    const exclusion = p.startsWith('!');
    if (exclusion) p = p.slice(1).trim();
    if (p === '') throw new BuilderError('DOCKERFILE_PARSE', `${flag}: illegal exclusion pattern: "!"`);
    p = posix.normalize(p);
    if (p.startsWith('/')) p = p.slice(1) || '.';
    compiled.push({ re: toRegExp(p, flag), exclusion, depth: p.split('/').length });
  }
  return (relPath: string): boolean => {
    const parts = relPath.split('/');
    let matched = false;
    for (const pat of compiled) {
      let hit = pat.re.test(relPath);
      // A pattern naming a parent directory covers the path too.
      if (!hit && parts.length > 1 && pat.depth < parts.length) {
        hit = pat.re.test(parts.slice(0, pat.depth).join('/'));
      }
      if (hit) matched = !pat.exclusion;
    }
    return matched;
  };
}

function toRegExp(pattern: string, flag: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        // `**/` matches zero or more directories; a trailing `**` anything at all.
        if (pattern[i + 1] === '/') {
          i++;
          out += '(.*/)?';
        } else out += '.*';
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '\\') {
      if (i + 1 >= pattern.length) throw new BuilderError('DOCKERFILE_PARSE', `${flag}: bad pattern ${pattern}`);
      out += pattern[++i].replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw new BuilderError('DOCKERFILE_PARSE', `${flag}: bad pattern ${pattern}`);
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^')) cls = `^/${cls.slice(1).replace(/\\?\//g, '')}`;
      out += `[${cls.replace(/\\(?!.)/g, '')}]`;
      i = end;
    } else out += c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, 's');
}
