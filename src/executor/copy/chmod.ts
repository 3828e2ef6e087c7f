// `--chmod` as BuildKit reads it: an octal number up to 07777 (set-id and sticky bits included)
// replaces the mode of everything copied; otherwise a chmod(1) symbolic mode (`u+x,g-w`,
// `a=rX`, `go=u-w`) is applied to each entry's own mode, with a file creation mask of 0 so the
// result never depends on the builder's umask.
import { BuilderError } from '../../util/errors.ts';

/** Maps an entry's source mode (the 12 permission bits) to its new mode. */
export type ModeChange = (mode: number, isDir: boolean) => number;

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_ISVTX = 0o1000;
const WHO_BITS: Record<string, number> = {
  u: S_ISUID | 0o700,
  g: S_ISGID | 0o070,
  o: 0o007,
  a: S_ISUID | S_ISGID | 0o777,
};
const PERM_BITS: Record<string, number> = { r: 0o444, w: 0o222, x: 0o111 };
const CLASS_SHIFT: Record<string, number> = { u: 6, g: 3, o: 0 };

export function parseChmod(value: string, where: string): ModeChange {
  const nonOctal = (): BuilderError =>
    new BuilderError(
      'DOCKERFILE_PARSE',
      `${where}: invalid chmod parameter: '${value}'. it should be octal string and between 0 and 07777`,
    );
  if (/^[0-7]+$/.test(value)) {
    const mode = Number.parseInt(value, 8);
    if (mode > 0o7777) throw nonOctal();
    return () => mode;
  }
  // Something numeric but not octal keeps BuildKit's octal message.
  if (/^[0-9]/.test(value)) throw nonOctal();
  const clauses = value.split(',').map((c) => parseClause(c, value, where));
  return (mode: number, isDir: boolean) => {
    const original = mode;
    let m = mode;
    for (const apply of clauses) m = apply(m, original, isDir);
    return m;
  };
}

type Clause = (mode: number, original: number, isDir: boolean) => number;

function parseClause(clause: string, value: string, where: string): Clause {
  const bad = (): BuilderError => new BuilderError('DOCKERFILE_PARSE', `${where}: invalid chmod parameter: '${value}'`);
  const m = /^([ugoa]*)((?:[-+=](?:[rwxXst]*|[ugo]))+)$/.exec(clause);
  if (!m) throw bad();
  const whoLetters = m[1];
  const explicitWho = whoLetters.length > 0;
  // No who means all, masked by the umask, which is 0 here.
  const who = explicitWho ? [...whoLetters].reduce((acc, l) => acc | WHO_BITS[l], 0) : WHO_BITS.a;
  const ops = [...m[2].matchAll(/([-+=])([ugo]|[rwxXst]*)/g)].map(([, op, perms]) => ({ op, perms }));
  return (mode, original, isDir) => {
    let cur = mode;
    for (const { op, perms } of ops) {
      let bits = 0;
      let whoMask = who;
      if (perms.length === 1 && perms in CLASS_SHIFT) {
        // Copy another class's rwx into each chosen class.
        const src = (cur >> CLASS_SHIFT[perms]) & 0o7;
        bits = (src << 6) | (src << 3) | src;
        whoMask &= 0o777;
      } else {
        for (const p of perms) {
          if (p in PERM_BITS) bits |= PERM_BITS[p];
          else if (p === 'X') {
            if (isDir || (original & 0o111) !== 0) bits |= 0o111;
          } else if (p === 's') {
            // Set-id bits only through u or g (or no who at all).
            if (!explicitWho || /[uga]/.test(whoLetters)) bits |= S_ISUID | S_ISGID;
          } else if (p === 't') {
            if (!explicitWho || /[uga]/.test(whoLetters)) {
              bits |= S_ISVTX;
              whoMask |= S_ISVTX;
            }
          }
        }
      }
      const change = bits & whoMask;
      if (op === '=') cur = (cur & ~(explicitWho ? who : who | S_ISVTX)) | change;
      else if (op === '+') cur |= change;
      else cur &= ~change;
    }
    return cur & 0o7777;
  };
}
