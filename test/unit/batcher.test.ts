import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GuidedCall } from '../../common/runtime/guided.ts';
import { DynamicBatcher, type Executor } from '../../expert-node/scheduler.ts';

/** A call whose x is [tag]; the fake executor answers x * 10 and records its batches. */
const call = (tag: number, guidance = 3): GuidedCall => ({ x: Float32Array.of(tag), dims: [1], sigma: 1, cond: {}, uncond: {}, guidance });

function recorder(delayMs = 0) {
  const batches: number[][] = [];
  const execute: Executor = async (calls) => {
    batches.push(calls.map((c) => c.x[0]!));
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    return calls.map((c) => Float32Array.of(c.x[0]! * 10));
  };
  return { batches, execute };
}

const rowsOf = (c: GuidedCall) => (c.guidance === 1 ? 1 : 2);

test('evaluations from many jobs are gathered up to max_batch rows and each gets its own answer', async () => {
  const { batches, execute } = recorder(5);
  const batcher = new DynamicBatcher(execute, { maxBatch: 4, maxDelayMs: 1, rowsOf });
  const results = await Promise.all([1, 2, 3, 4, 5].map((tag) => batcher.enqueue(`k${tag}`, call(tag))));
  assert.deepEqual(results.map((r) => r[0]), [10, 20, 30, 40, 50]);
  // Two rows each (cond and uncond): two evaluations fit in a batch of four rows.
  assert.deepEqual(batches, [[1, 2], [3, 4], [5]]);
});

test('a lone evaluation waits up to max_delay for company, then runs', async () => {
  const { batches, execute } = recorder();
  const batcher = new DynamicBatcher(execute, { maxBatch: 32, maxDelayMs: 40, rowsOf });
  const first = batcher.enqueue('a', call(1));
  await new Promise((r) => setTimeout(r, 10));
  const second = batcher.enqueue('b', call(2));
  const started = performance.now();
  await Promise.all([first, second]);
  assert.deepEqual(batches, [[1, 2]], 'both in one batch');
  assert.ok(performance.now() - started < 200);
});

test('a full batch runs without waiting; max_batch 1 turns batching off; an evaluation larger than max_batch still runs', async () => {
  const { batches, execute } = recorder();
  const full = new DynamicBatcher(execute, { maxBatch: 2, maxDelayMs: 10_000, rowsOf });
  const started = performance.now();
  await Promise.all([full.enqueue('a', call(1, 1)), full.enqueue('b', call(2, 1))]);
  assert.ok(performance.now() - started < 1000, 'did not wait for max_delay');
  const off = new DynamicBatcher(execute, { maxBatch: 1, maxDelayMs: 0, rowsOf });
  await Promise.all([3, 4, 5].map((tag) => off.enqueue(`k${tag}`, call(tag))));
  assert.deepEqual(batches, [[1, 2], [3], [4], [5]]);
});

test('cancel drops a queued evaluation; stop rejects the rest', async () => {
  const { batches, execute } = recorder(20);
  const batcher = new DynamicBatcher(execute, { maxBatch: 2, maxDelayMs: 0, rowsOf });
  const running = batcher.enqueue('a', call(1));
  const cancelled = batcher.enqueue('b', call(2));
  const stopped = batcher.enqueue('c', call(3));
  assert.equal(batcher.queued, 2);
  batcher.cancel('b');
  await assert.rejects(cancelled, { name: 'AbortError' });
  batcher.stop();
  await assert.rejects(stopped, { name: 'AbortError' });
  assert.deepEqual((await running)[0], 10);
  await assert.rejects(batcher.enqueue('d', call(4)), { name: 'AbortError' });
  assert.deepEqual(batches, [[1]]);
});

test('an executor failure fails every evaluation of its batch, and the next batch still runs', async () => {
  let calls = 0;
  const batcher = new DynamicBatcher(
    async (batch) => {
      if (calls++ === 0) throw new Error('boom');
      return batch.map((c) => c.x);
    },
    { maxBatch: 4, maxDelayMs: 20, rowsOf },
  );
  const failed = [batcher.enqueue('a', call(1)), batcher.enqueue('b', call(2))];
  await Promise.all(failed.map((p) => assert.rejects(p, /boom/)));
  assert.deepEqual(await batcher.enqueue('c', call(3)), Float32Array.of(3));
});
