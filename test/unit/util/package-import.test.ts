import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { namedExports } from '../../../src/util/package-import.ts';

describe('namedExports', () => {
  it("takes a bundled CommonJS chunk's module.exports from its only export, default", () => {
    const exportsObject = { S3Client: class {} };
    assert.equal(namedExports({ default: exportsObject }), exportsObject);
  });
  it('leaves a namespace with named exports as it is (ESM, or CommonJS loaded by Node)', () => {
    const ns = { default: { a: 1 }, a: 1 };
    assert.equal(namedExports(ns), ns);
    const esm = { GetObjectCommand: class {} };
    assert.equal(namedExports(esm), esm);
  });
});
