import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeLocation, parseLocation } from '../../../src/image/copy.ts';
import { isBuilderError } from '../../../src/util/errors.ts';

test('parses the three kinds of location', () => {
  const reg = parseLocation('127.0.0.1:5000/team/app:1.0');
  assert.equal(reg.kind, 'registry');
  assert.equal(describeLocation(reg), '127.0.0.1:5000/team/app:1.0');
  assert.equal(describeLocation(parseLocation('docker://127.0.0.1:5000/team/app@sha256:' + 'a'.repeat(64))), `127.0.0.1:5000/team/app@sha256:${'a'.repeat(64)}`);
  assert.deepEqual(parseLocation('oci-layout:/tmp/out:v1'), { kind: 'oci-layout', path: '/tmp/out', tag: 'v1' });
  assert.deepEqual(parseLocation('oci-layout:relative/dir'), { kind: 'oci-layout', path: 'relative/dir', tag: undefined });
  assert.deepEqual(parseLocation('docker-archive:/tmp/x.tar:registry.example:5000/app:2'), { kind: 'docker-archive', path: '/tmp/x.tar', name: 'registry.example:5000/app:2' });
});

test('bad locations are usage or reference errors', () => {
  assert.throws(() => parseLocation('oci-layout::tag'), (err) => isBuilderError(err, 'USAGE'));
  assert.throws(() => parseLocation('docker-archive:/tmp/x.tar:Not Valid'), (err) => isBuilderError(err, 'REFERENCE_INVALID'));
  assert.throws(() => parseLocation('registry.example/bad//path'), (err) => isBuilderError(err, 'REFERENCE_INVALID'));
});
