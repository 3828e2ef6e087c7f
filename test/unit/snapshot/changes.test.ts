// Change-set normalisation: tar order, and no whiteout a layer must not carry.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareNames, normalizeChanges } from '../../../src/snapshot/changes.ts';

describe('normalizeChanges', () => {
  it('sorts parents right before their children', () => {
    assert.deepEqual(['a-b', 'a/b', 'a', 'a/b/c', 'a.b'].sort(compareNames), ['a', 'a/b', 'a/b/c', 'a-b', 'a.b']);
  });

  it('drops whiteouts under deleted, opaque and replaced paths', () => {
    const out = normalizeChanges([
      { path: 'gone', kind: 'delete' },
      { path: 'gone/child', kind: 'delete' },
      { path: 'opq', kind: 'modify', opaque: true },
      { path: 'opq/old', kind: 'delete' },
      { path: 'dir-now-file', kind: 'modify', replaced: true },
      { path: 'dir-now-file/x', kind: 'delete' },
      { path: 'keep/x', kind: 'delete' },
    ]);
    assert.deepEqual(
      out.map((c) => `${c.kind} ${c.path}`),
      ['modify dir-now-file', 'delete gone', 'delete keep/x', 'modify opq'],
    );
  });

  it('turns a delete followed by a write of the same path into a modification', () => {
    assert.deepEqual(normalizeChanges([{ path: 'f', kind: 'delete' }, { path: 'f', kind: 'add' }]), [{ path: 'f', kind: 'modify' }]);
  });
});
