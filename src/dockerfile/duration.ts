// Go's time.ParseDuration, which HEALTHCHECK's flags use: "1m30s", "1.5h", "300ms", "0".
const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Nanoseconds, or undefined when the text is not a Go duration. */
export function parseGoDuration(text: string): number | undefined {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let total = 0;
  const part = /^([0-9]*(?:\.[0-9]*)?)([^0-9.]+)/;
  while (rest !== '') {
    const m = part.exec(rest);
    if (!m || m[1] === '' || m[1] === '.') return undefined;
    const unit = UNIT_NS[m[2]];
    if (unit === undefined) return undefined;
    total += Number(m[1]) * unit;
    rest = rest.slice(m[0].length);
  }
  return sign * Math.round(total);
}

export function formatDuration(ns: number): string {
  if (ns === 0) return '0s';
  const units: [string, number][] = [['h', 3600e9], ['m', 60e9], ['s', 1e9], ['ms', 1e6], ['µs', 1e3], ['ns', 1]];
  let rest = ns;
  let out = '';
  for (const [name, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${name}`;
      rest -= n * size;
    }
  }
  return out;
}
