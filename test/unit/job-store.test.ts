/** The coordinator's JobStore with a stand-in runner: queue order, limits, events, expiry. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResourceExhaustedError } from '../../common/errors.ts';
import { JobStore, type JobRunner, type StoredEvent } from '../../coordinator/job-store.ts';

/** A runner whose jobs end when the test says, with a PNG of `bytes` bytes. */
function controlledRunner(bytes = 10) {
  const pending: { resolve: () => void; reject: (e: Error) => void; prompt: string }[] = [];
  const run: JobRunner = (request, sink, signal) =>
    new Promise((resolve, reject) => {
      sink.evaluation({ type: 'evaluation', stage: 'base', step: 0, steps: 1, sigma: 1, expert: 'e', replica: 'r', evaluation: 1, evaluations: 1 });
      signal.addEventListener('abort', () => reject(Object.assign(new Error('cancelled'), { name: 'AbortError' })));
      pending.push({ prompt: request.prompt, resolve: () => resolve({ png: new Uint8Array(bytes), seed: 1, size: 8, width: 8, height: 8, stages: [], warnings: [] }), reject });
    });
  return { run, pending };
}

const flush = () => new Promise((r) => setImmediate(r));

test('jobs run up to maxRunning at once, the rest wait oldest first, and past maxQueued submissions are refused with a retry hint', async () => {
  const { run, pending } = controlledRunner();
  const store = new JobStore({ maxRunning: 2, maxQueued: 1, keepMs: 60_000, maxKept: 10, maxKeptBytes: 1e6, run });
  const [a, b, c] = ['a', 'b', 'c'].map((prompt) => store.submit({ prompt }).job);
  assert.deepEqual([a!.state, b!.state, c!.state, store.queuePosition(c!)], ['running', 'running', 'queued', 0]);
  assert.throws(() => store.submit({ prompt: 'd' }), (e: unknown) => e instanceof ResourceExhaustedError && e.retryAfterSeconds >= 1 && /2 jobs running and 1 queued/.test(e.message));
  pending[0]!.resolve();
  await flush();
  assert.deepEqual([a!.state, c!.state, pending.map((p) => p.prompt)], ['succeeded', 'running', ['a', 'b', 'c']]);
  // Events: queued, running, the evaluation, the result; numbered from 1.
  assert.deepEqual(a!.events.map((e) => [e.seq, Object.keys(e).find((k) => k !== 'seq')]), [[1, 'state'], [2, 'state'], [3, 'evaluation'], [4, 'result']]);
  assert.equal(a!.result!.image, null, 'the stored result keeps the PNG, not the image tensor');
});

test('a watcher gets the events after the one it names, then the new ones, and stops at the end; cancel ends a queued or running job', async () => {
  const { run, pending } = controlledRunner();
  const store = new JobStore({ maxRunning: 1, maxQueued: 5, keepMs: 60_000, maxKept: 10, maxKeptBytes: 1e6, run });
  const running = store.submit({ prompt: 'a' }).job;
  const queued = store.submit({ prompt: 'b' }).job;
  const seen: StoredEvent[] = [];
  let ended = false;
  store.watch(running, 1, (e) => seen.push(e), () => (ended = true));
  assert.deepEqual(seen.map((e) => e.seq), [2, 3]);
  store.cancel(queued);
  assert.equal(queued.state, 'cancelled');
  store.cancel(running);
  await flush();
  assert.deepEqual([running.state, ended, seen.at(-1)!.state?.state], ['cancelled', true, 'JOB_STATE_CANCELLED']);
  assert.equal(pending.length, 1, 'the cancelled queued job never ran');
});

test('a client job id returns the same job; ended jobs are forgotten past maxKept, maxKeptBytes or keepMs', async () => {
  const { run, pending } = controlledRunner(400);
  const store = new JobStore({ maxRunning: 10, maxQueued: 10, keepMs: 60_000, maxKept: 3, maxKeptBytes: 3500, run });
  const first = store.submit({ prompt: 'a' }, 'client-1');
  assert.deepEqual([store.submit({ prompt: 'other' }, 'client-1').job.id, store.submit({ prompt: 'other' }, 'client-1').existing], [first.job.id, true]);
  const jobs = [first.job, ...['b', 'c'].map((prompt) => store.submit({ prompt }).job)];
  for (const p of pending) p.resolve();
  await flush();
  // Each ended job keeps 400 bytes of PNG and 4 events of 256: three pass the 3500-byte bound, so the oldest goes, and its client id with it.
  assert.deepEqual(jobs.map((j) => store.get(j.id) !== undefined), [false, true, true]);
  assert.equal(store.submit({ prompt: 'again' }, 'client-1').existing, false);
  const short = new JobStore({ maxRunning: 1, maxQueued: 1, keepMs: 0, maxKept: 10, maxKeptBytes: 1e6, run: controlledRunner().run });
  const gone = short.submit({ prompt: 'x' }).job;
  short.cancel(gone);
  await flush();
  assert.equal(short.get(gone.id), undefined);
});

test('queued interactive jobs start before batch ones; the queued event tells the position', async () => {
  const { run, pending } = controlledRunner();
  const store = new JobStore({ maxRunning: 1, maxQueued: 10, keepMs: 60_000, maxKept: 10, maxKeptBytes: 1e6, run });
  store.submit({ prompt: 'running' });
  const b1 = store.submit({ prompt: 'b1', priority: 'batch' }).job;
  const b2 = store.submit({ prompt: 'b2', priority: 'batch' }).job;
  const i1 = store.submit({ prompt: 'i1' }).job;
  const i2 = store.submit({ prompt: 'i2', priority: 'interactive' }).job;
  assert.deepEqual([i1, i2, b1, b2].map((j) => store.queuePosition(j)), [0, 1, 2, 3]);
  assert.deepEqual([b1, b2, i1, i2].map((j) => j.events[0]!.state?.queuePosition), [0, 1, 0, 1], 'the position when queued');
  for (let k = 0; k < 5; k++) {
    pending[k]!.resolve();
    await flush();
  }
  assert.deepEqual(pending.map((p) => p.prompt), ['running', 'i1', 'i2', 'b1', 'b2']);
  assert.throws(() => store.submit({ prompt: 'x', priority: 'urgent' as never }), /priority: must be one of interactive, batch, got "urgent"/);
});
