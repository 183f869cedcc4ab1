/** The evaluation transport's pieces: message grouping, abort callbacks, tensor checks. */
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onAbort } from '../../common/abort.ts';
import { Outbox } from '../../common/grpc/outbox.ts';
import { fromWire } from '../../common/grpc/tensor.ts';

const nextTick = () => new Promise<void>((resolve) => process.nextTick(resolve));
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

function outbox(more: () => boolean, maxBytes = 100) {
  const sent: number[][] = [];
  const box = new Outbox<number>({ send: (items) => sent.push(items), bytesOf: (n) => n, maxBytes, more });
  return { sent, box };
}

test('outbox: a lone item goes at the end of the callback', async () => {
  const { sent, box } = outbox(() => false);
  box.push(1);
  assert.deepEqual(sent, []);
  await nextTick();
  assert.deepEqual(sent, [[1]]);
});

test('outbox: with more work in flight, items of one turn share a message', async () => {
  let more = true;
  const { sent, box } = outbox(() => more);
  box.push(1);
  await nextTick();
  box.push(2);
  await nextTick();
  more = false;
  box.push(3);
  assert.deepEqual(sent, []);
  await nextTurn();
  assert.deepEqual(sent, [[1, 2, 3]]);
});

test('outbox: a message stays within its byte budget; a larger item goes alone', async () => {
  const { sent, box } = outbox(() => true, 100);
  for (const n of [40, 40, 40, 150, 10]) box.push(n);
  await nextTurn();
  assert.deepEqual(sent, [[40, 40], [40], [150], [10]]);
});

test('onAbort: callbacks run once on abort, unless dropped first; one listener per signal', async () => {
  const controller = new AbortController();
  const calls: string[] = [];
  const dropA = onAbort(controller.signal, () => calls.push('a'));
  onAbort(controller.signal, () => calls.push('b'));
  assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
  dropA();
  controller.abort();
  controller.abort();
  assert.deepEqual(calls, ['b']);
});

test('fromWire refuses NaN and infinities, naming the first, and accepts the largest finite floats', () => {
  const wire = (values: number[]) => ({ dtype: 'DTYPE_FLOAT32' as const, shape: [values.length], data: Buffer.from(new Float32Array(values).buffer) });
  const many = (n: number, at: number, v: number) => Array.from({ length: n }, (_, i) => (i === at ? v : 0.5));
  assert.throws(() => fromWire(wire(many(4099, 4098, NaN)), 'x', { finite: true }), /^InvalidArgumentError: x: value 4098 is NaN/);
  assert.throws(() => fromWire(wire(many(64, 3, Infinity)), 'x', { finite: true }), /x: value 3 is Infinity/);
  assert.throws(() => fromWire(wire([1, -Infinity, Infinity]), 'x', { finite: true }), /x: value 1 is -Infinity/);
  const largest = new Array(4096).fill(3.4e38);
  assert.equal(fromWire(wire(largest), 'x', { finite: true }).data[0], Math.fround(3.4e38));
  assert.equal(fromWire(wire([NaN]), 'x').data.length, 1, 'unchecked without finite');
});

test('fromWire copies an unaligned tensor and views an aligned one in place', () => {
  const bytes = Buffer.from(new Float32Array([1, 2, 3]).buffer);
  const unaligned = Buffer.concat([Buffer.alloc(1), bytes]).subarray(1);
  assert.deepEqual([...fromWire({ dtype: 'DTYPE_FLOAT32', shape: [3], data: unaligned }, 'x').data], [1, 2, 3]);
  const aligned = fromWire({ dtype: 'DTYPE_FLOAT32', shape: [3], data: bytes }, 'x').data;
  assert.equal(aligned.buffer, bytes.buffer);
});
