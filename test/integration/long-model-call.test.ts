/**
 * A model call does not block its node: while an expert node runs a ~1 s model call (in the
 * session's worker thread), it answers health checks and metrics scrapes, and takes and queues
 * the next evaluation, which runs right after.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { DenoiseResponses__Output } from '../../common/grpc/generated/ediff/v1/DenoiseResponses.ts';
import type { ExpertNodeClient } from '../../common/grpc/generated/ediff/v1/ExpertNode.ts';
import { CHANNEL_OPTIONS, ediffProtos } from '../../common/grpc/proto.ts';
import { conditioningId, toWire } from '../../common/grpc/tensor.ts';
import { checkHealth } from '../../coordinator/health.ts';
import { startNodeProcess, type ClusterProcess } from '../../sdk/local-cluster.ts';
import { metricSum } from '../helpers/cluster.ts';
import { tempDir } from '../helpers/reference.ts';
import { slowExpertOnnx, writeTinyPack } from '../helpers/tiny-pack.ts';

const work = tempDir('long-model-call');
let node: ClusterProcess;
let client: ExpertNodeClient;

before(async () => {
  writeTinyPack(work.dir);
  // About 1 s a call here: 64 products of 1024x1024 matrices.
  writeFileSync(path.join(work.dir, 'high.onnx'), slowExpertOnnx(8, 64));
  node = await startNodeProcess('expert-node', ['--pack', work.dir, '--expert', 'high']);
  client = new (ediffProtos().ExpertNode)(node.address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
});
after(async () => {
  client?.close();
  await node?.stop();
  work.remove();
});

test('during a long model call the node answers health checks and metrics, and queues the next evaluation', async () => {
  const put = new Promise<void>((resolve, reject) => client.PutConditioning({ id: conditioningId({}), tensors: {} }, (e) => (e ? reject(e) : resolve())));
  await put;
  const stream = client.Denoise();
  const answered = new Map<number, number>();
  stream.on('data', (m: DenoiseResponses__Output) => {
    for (const a of m.answers) {
      assert.equal(a.code, 0, a.message);
      answered.set(a.id, performance.now());
    }
  });
  const evaluation = (id: number) => ({ id, x: toWire({ dims: [3, 8, 8], data: new Float32Array(192).fill(1) }), sigma: 2, condId: conditioningId({}), uncondId: '', guidance: 1 });
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  // Warm the session up (its first call also plans the graph).
  stream.write({ evaluations: [evaluation(1)] });
  while (!answered.has(1)) await sleep(20);

  const sent = performance.now();
  stream.write({ evaluations: [evaluation(2)] });
  await sleep(200);
  // Evaluation 2 is running: the node still answers.
  assert.equal(await checkHealth(node.address, 500), 'SERVING');
  const healthAt = performance.now();
  stream.write({ evaluations: [evaluation(3)] });
  await sleep(100);
  assert.equal(await metricSum(node.metrics, 'ediff_expert_queue_depth'), 1, 'evaluation 3 waits for the running call');
  const scrapedAt = performance.now();
  while (!answered.has(3)) await sleep(20);
  stream.end();
  const second = answered.get(2)!;
  assert.ok(healthAt < second && scrapedAt < second, `health (${(healthAt - sent).toFixed(0)} ms) and metrics (${(scrapedAt - sent).toFixed(0)} ms) answered before the model call ended (${(second - sent).toFixed(0)} ms)`);
  assert.ok(answered.get(3)! > second, 'the queued evaluation ran after the one before it');
});

test('SIGTERM drains the node: health turns NOT_SERVING, the running and the queued evaluation are still answered, then it exits 0', async () => {
  // A grace long enough for two calls on a slow machine (one was seen taking ~15 s).
  const draining = await startNodeProcess('expert-node', ['--pack', work.dir, '--expert', 'high', '--drain-s', '120']);
  const c = new (ediffProtos().ExpertNode)(draining.address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  try {
    await new Promise<void>((resolve, reject) => c.PutConditioning({ id: conditioningId({}), tensors: {} }, (e) => (e ? reject(e) : resolve())));
    const stream = c.Denoise();
    const codes = new Map<number, number>();
    stream.on('data', (m: DenoiseResponses__Output) => {
      for (const a of m.answers) codes.set(a.id, a.code);
    });
    stream.on('error', () => {});
    const evaluation = (id: number) => ({ id, x: toWire({ dims: [3, 8, 8], data: new Float32Array(192).fill(1) }), sigma: 2, condId: conditioningId({}), uncondId: '', guidance: 1 });
    stream.write({ evaluations: [evaluation(1)] });
    await new Promise((r) => setTimeout(r, 100));
    stream.write({ evaluations: [evaluation(2)] });
    await new Promise((r) => setTimeout(r, 100));
    const stopped = draining.stop('SIGTERM', 120_000);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await checkHealth(draining.address, 1000), 'NOT_SERVING', 'draining: no new work please');
    await stopped;
    assert.deepEqual([codes.get(1), codes.get(2)], [0, 0], 'both evaluations answered');
    assert.deepEqual(await draining.exited, { code: 0, signal: null, stopped: true });
  } finally {
    c.close();
    await draining.stop();
  }
});
