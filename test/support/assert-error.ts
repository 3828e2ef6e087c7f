// Asserts that a promise rejects with a BuilderError of `code` whose message matches.
import assert from 'node:assert/strict';
import { isBuilderError } from '../../src/util/errors.ts';

export async function rejectsWith(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isBuilderError(err), `expected a BuilderError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
}
