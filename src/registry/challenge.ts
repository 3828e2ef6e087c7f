// WWW-Authenticate parsing (RFC 7235): a scheme, then comma-separated key=value parameters whose
// values may be quoted strings with backslash escapes and commas inside.

export interface Challenge {
  /** Lowercased: "basic" or "bearer" for registries. */
  scheme: string;
  params: Record<string, string>;
}

export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (!header) return undefined;
  const text = header.trim();
  const space = text.search(/\s/);
  const scheme = (space === -1 ? text : text.slice(0, space)).toLowerCase();
  if (!scheme) return undefined;
  const params: Record<string, string> = {};
  const re = /\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/gy;
  re.lastIndex = space === -1 ? text.length : space;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null && m[0] !== '') {
    params[m[1].toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
  }
  return { scheme, params };
}
