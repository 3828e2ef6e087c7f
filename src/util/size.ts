// Byte sizes as people write them on command lines: 500M, 10GiB, 1.5g, 1048576.
import { BuilderError } from './errors.ts';

const UNITS: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** Bytes for `text`; K/M/G/T are binary multiples with or without a trailing "B" or "iB". */
export function parseSize(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(text.trim());
  if (!match) throw new BuilderError('USAGE', `invalid value "${text}" for flag ${flag}: expected a size such as 500M or 10G`);
  return Math.floor(Number(match[1]) * UNITS[match[2].toLowerCase()]);
}
