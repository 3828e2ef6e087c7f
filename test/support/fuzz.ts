// Settings shared by the property-based fuzz runs (test/unit/fuzz): how many inputs, for how long,
// and the rule every target must keep: an answer, or one of the project's own errors.
import fc from 'fast-check';
import { BuilderError } from '../../src/util/errors.ts';

/** Inputs per property: a short pass in `npm test`, more under `npm run fuzz` (KILN_FUZZ_RUNS). */
export const FUZZ_RUNS = Number(process.env.KILN_FUZZ_RUNS ?? 300);
/** Wall-clock budget per property, so CI's pass stays bounded whatever the count. */
export const FUZZ_SECONDS = Number(process.env.KILN_FUZZ_SECONDS ?? 15);
/** fast-check's per-input timeout: an input that takes longer counts as a hang and fails the run. */
export const HANG_MS = 1000;

/** fc.assert parameters: a seed from KILN_FUZZ_SEED replays a failure exactly (fast-check prints it). */
export function fuzzParameters<T>(): fc.Parameters<T> {
  const seed = process.env.KILN_FUZZ_SEED;
  return {
    numRuns: FUZZ_RUNS,
    interruptAfterTimeLimit: FUZZ_SECONDS * 1000,
    timeout: HANG_MS,
    ...(seed ? { seed: Number(seed) } : {}),
  };
}

/** Swallows a BuilderError with one of `codes`; anything else (a crash) is rethrown. */
export function onlyOwnErrors(codes: string[], fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof BuilderError && codes.includes(err.code)) return;
    throw err;
  }
}

/** Byte-level mutation of a seed buffer: flips, inserts, deletions and truncation. */
export function mutatedBytes(seeds: Buffer[]): fc.Arbitrary<Buffer> {
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 64 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 600 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  );
  return fc.tuple(fc.constantFrom(...seeds), fc.array(edit, { minLength: 1, maxLength: 8 })).map(([seed, edits]) => {
    let out = Buffer.from(seed);
    for (const e of edits) {
      const at = out.length === 0 ? 0 : e.at % (out.length + 1);
      if (e.kind === 'flip' && at < out.length) out[at] = e.value;
      else if (e.kind === 'insert') out = Buffer.concat([out.subarray(0, at), Buffer.from(e.bytes), out.subarray(at)]);
      else if (e.kind === 'delete') out = Buffer.concat([out.subarray(0, at), out.subarray(at + e.length)]);
      else if (e.kind === 'truncate') out = out.subarray(0, at);
    }
    return out;
  });
}
