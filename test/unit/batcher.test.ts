import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GuidedCall } from '../../common/runtime/guided.ts';
import { DynamicBatcher, batchKeyOf, type Executor } from '../../expert-node/scheduler.ts';

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
const batchKey = batchKeyOf(false);

test('evaluations that arrive while a batch runs are gathered, up to max_batch rows, and each gets its own answer', async () => {
  const { batches, execute } = recorder(5);
  const batcher = new DynamicBatcher(execute, { maxBatch: 4, maxDelayMs: 1, rowsOf, batchKey });
  const results = await Promise.all([1, 2, 3, 4, 5].map((tag) => batcher.enqueue(`k${tag}`, call(tag))));
  assert.deepEqual(results.map((r) => r[0]), [10, 20, 30, 40, 50]);
  // The first runs at once; two rows each (cond and uncond), so two evaluations fill four rows.
  assert.deepEqual(batches, [[1], [2, 3], [4, 5]]);
});

test('a lone job does not wait; the jobs of the last batch are waited for up to max_delay', async () => {
  const { batches, execute } = recorder(10);
  const batcher = new DynamicBatcher(execute, { maxBatch: 32, maxDelayMs: 200, rowsOf, batchKey });
  let started = performance.now();
  const lone = batcher.enqueue('a', call(1));
  // Two jobs arrive while it runs: they run together next, and the batch after expects two.
  const pair = Promise.all([batcher.enqueue('b', call(2)), batcher.enqueue('c', call(3))]);
  await lone;
  assert.ok(performance.now() - started < 100, 'a lone evaluation ran at once');
  await pair;
  assert.deepEqual(batches, [[1], [2, 3]]);
  const third = batcher.enqueue('d', call(4));
  await new Promise((r) => setTimeout(r, 30));
  const fourth = batcher.enqueue('e', call(5));
  await Promise.all([third, fourth]);
  assert.deepEqual(batches.slice(-1), [[4, 5]], 'the second job of the last batch was waited for');
  // Only one of them comes back: it runs once max_delay has passed.
  started = performance.now();
  await batcher.enqueue('f', call(6));
  const waited = performance.now() - started;
  assert.ok(waited >= 150 && waited < 1000, `waited ${waited} ms for the expected company`);
  assert.deepEqual(batches.slice(-1), [[6]]);
});

test('max_batch 1 turns batching off; an evaluation larger than max_batch still runs', async () => {
  const { batches, execute } = recorder(2);
  const off = new DynamicBatcher(execute, { maxBatch: 1, maxDelayMs: 50, rowsOf, batchKey });
  await Promise.all([3, 4, 5].map((tag) => off.enqueue(`k${tag}`, call(tag))));
  assert.deepEqual(batches, [[3], [4], [5]]);
});

test('cancel drops a queued evaluation; stop rejects the rest', async () => {
  const { batches, execute } = recorder(20);
  const batcher = new DynamicBatcher(execute, { maxBatch: 2, maxDelayMs: 0, rowsOf, batchKey });
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

test('an executor failure fails its batch, and the next batch still runs', async () => {
  let calls = 0;
  const batcher = new DynamicBatcher(
    async (batch) => {
      if (calls++ === 0) throw new Error('boom');
      return batch.map((c) => c.x);
    },
    { maxBatch: 4, maxDelayMs: 20, rowsOf, batchKey },
  );
  await assert.rejects(batcher.enqueue('a', call(1)), /boom/);
  assert.deepEqual(await batcher.enqueue('c', call(3)), Float32Array.of(3));
});

test('evaluations of different shapes, or of different sigmas on a one-sigma-per-call model, never share a batch; order is kept within each', async () => {
  const { batches, execute } = recorder(5);
  const shaped = (tag: number, dims: number[], sigma = 1): GuidedCall => ({ ...call(tag, 1), dims, sigma });
  const byShape = new DynamicBatcher(execute, { maxBatch: 8, maxDelayMs: 1, rowsOf, batchKey: batchKeyOf(false) });
  // 1 runs alone at once; then the oldest waiting (2) takes the others of its shape, then the rest.
  await Promise.all([shaped(1, [4, 8, 8]), shaped(2, [4, 8, 12]), shaped(3, [4, 8, 8]), shaped(4, [4, 8, 12]), shaped(5, [4, 8, 8], 2)].map((c, i) => byShape.enqueue(`s${i}`, c)));
  assert.deepEqual(batches, [[1], [2, 4], [3, 5]]);
  batches.length = 0;
  const bySigma = new DynamicBatcher(execute, { maxBatch: 8, maxDelayMs: 1, rowsOf, batchKey: batchKeyOf(true) });
  await Promise.all([shaped(1, [4, 8, 8], 3), shaped(2, [4, 8, 8], 2), shaped(3, [4, 8, 8], 3), shaped(4, [4, 8, 8], 2), shaped(5, [4, 8, 8], 3)].map((c, i) => bySigma.enqueue(`t${i}`, c)));
  assert.deepEqual(batches, [[1], [2, 4], [3, 5]]);
});
