import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandEnv, DEFAULT_PATH, envObject } from '../../../src/run/env.ts';

test('PATH and HOME are added only when absent', () => {
  assert.deepEqual(commandEnv(['A=1'], '/home/app'), ['A=1', `PATH=${DEFAULT_PATH}`, 'HOME=/home/app']);
  assert.deepEqual(commandEnv(['PATH=/x', 'HOME=/h'], '/home/app'), ['PATH=/x', 'HOME=/h']);
  assert.deepEqual(commandEnv(['PATHX=1'], '/'), ['PATHX=1', `PATH=${DEFAULT_PATH}`, 'HOME=/']);
});

test('envObject keeps values with = and lets later duplicates win', () => {
  assert.deepEqual(envObject(['A=1', 'B=x=y', 'A=2', '=bad', 'C=']), { A: '2', B: 'x=y', C: '' });
});
