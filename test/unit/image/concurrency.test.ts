import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { forEachLimit } from '../../../src/image/concurrency.ts';

test('never runs more than the limit at once, and runs everything', async () => {
  let running = 0;
  let peak = 0;
  const done: number[] = [];
  await forEachLimit([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
    running++;
    peak = Math.max(peak, running);
    await sleep(5);
    done.push(n);
    running--;
  });
  assert.equal(peak, 3);
  assert.deepEqual(done.sort(), [1, 2, 3, 4, 5, 6, 7]);
});

test('after a failure starts nothing new, waits for work in flight, then throws the first error', async () => {
  const started: number[] = [];
  let inFlight = 0;
  await assert.rejects(
    forEachLimit([1, 2, 3, 4, 5, 6], 2, async (n) => {
      started.push(n);
      inFlight++;
      try {
        if (n === 1) throw new Error('first');
        await sleep(20);
      } finally {
        inFlight--;
      }
    }),
    /first/,
  );
  assert.equal(inFlight, 0);
  assert.deepEqual(started, [1, 2]);
});
