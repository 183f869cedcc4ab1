import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import type { DenoiseRequest } from '../../common/grpc/generated/ediff/v1/DenoiseRequest.ts';
import type { DenoiseResponse__Output } from '../../common/grpc/generated/ediff/v1/DenoiseResponse.ts';
import type { DenoiseResponses__Output } from '../../common/grpc/generated/ediff/v1/DenoiseResponses.ts';
import type { ExpertNodeClient } from '../../common/grpc/generated/ediff/v1/ExpertNode.ts';
import { CHANNEL_OPTIONS, ediffProtos } from '../../common/grpc/proto.ts';
import { Status } from '../../common/grpc/status.ts';
import { conditioningId, conditioningToWire, toWire } from '../../common/grpc/tensor.ts';
import { ensureBuiltPack } from '../../packs/cache.ts';
import { loadPack, type Pack } from '../../common/pack/load.ts';
import { LocalExpert } from '../../common/runtime/local-expert.ts';
import { ConditioningBuilder } from '../../common/runtime/conditioning.ts';
import { EncoderEnsemble } from '../../common/runtime/encoders.ts';
import { ExpertModel } from '../../common/runtime/expert.ts';
import { RemoteExpert } from '../../coordinator/remote-expert.ts';
import { startNodeProcess, type ClusterProcess } from '../../sdk/local-cluster.ts';
import { metricSum } from '../helpers/cluster.ts';
import { tempDir } from '../helpers/reference.ts';
import { type Conditioning, conditioningFor, unconditionalBranch } from '../../common/pipeline/conditioning.ts';

const cache = tempDir('expert-node');
let pack: Pack;
let node: ClusterProcess;
let client: ExpertNodeClient;
let cond: Conditioning;
let uncond: Conditioning;
const spec = () => pack.manifest.base.experts.find((e) => e.name === 'middle')!;
const x = Float32Array.from({ length: 3 * 64 * 64 }, (_, i) => Math.sin(i) * 3);
const start = (port = 0) => startNodeProcess('expert-node', ['--pack', pack.dir, '--expert', 'middle', '--port', String(port)]);

before(async () => {
  pack = loadPack(ensureBuiltPack('reference', cache.dir));
  const encoders = await EncoderEnsemble.load(pack);
  const builder = new ConditioningBuilder(pack.manifest, encoders);
  cond = (await builder.branch({ prompt: 'a red circle', style: null, paint: [], paintWeight: 1, paintRequired: true })).conditioning;
  uncond = (await builder.branch(unconditionalBranch(''))).conditioning;
  await encoders.release();
  node = await start();
  client = new (ediffProtos().ExpertNode)(node.address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
});
after(async () => {
  client?.close();
  await node?.stop();
  cache.remove();
});

const put = (id: string, tensors: Conditioning) =>
  new Promise<void>((resolve, reject) => client.PutConditioning({ id, tensors: conditioningToWire(tensors) }, (error) => (error ? reject(error) : resolve())));

/** Sends evaluations in one message on a Denoise stream and collects the answers (from however many messages) by id. */
async function denoise(requests: DenoiseRequest[]): Promise<Map<number, DenoiseResponse__Output>> {
  const stream = client.Denoise();
  const answers = new Map<number, DenoiseResponse__Output>();
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (m: DenoiseResponses__Output) => {
      for (const r of m.answers) answers.set(r.id, r);
      if (answers.size === requests.length) resolve();
    });
    stream.on('error', reject);
    stream.write({ evaluations: requests });
  });
  stream.end();
  return answers;
}

test('conditioning uploads are checked: content id, names and shapes', async () => {
  const mine = conditioningFor(spec(), cond);
  await put(conditioningId(mine), mine);
  const refusal = async (id: string, tensors: Conditioning, message: RegExp) =>
    assert.rejects(put(id, tensors), (e: grpc.ServiceError) => e.code === Status.INVALID_ARGUMENT && message.test(e.details));
  await refusal('nope', mine, /^id: nope is not the content id of these tensors/);
  const { paint: _, ...withoutPaint } = mine;
  await refusal(conditioningId(withoutPaint), withoutPaint, /^tensors: missing paint; expert middle consumes/);
  const wrongShape = { ...mine, t5_tokens: { dims: [5, 17], data: new Float32Array(85) } };
  await refusal(conditioningId(wrongShape), wrongShape, /^tensors\.t5_tokens: must have shape \[32,17\], got \[5,17\]/);
  const extra = { ...mine, clip_text_pooled: cond.clip_text_pooled! };
  await refusal(conditioningId(extra), extra, /^tensors\.clip_text_pooled: expert middle does not consume clip_text_pooled/);
});

test('evaluations are checked (shape, dtype, finite values, sigma range, known conditioning) and answered with D', async () => {
  const c = conditioningFor(spec(), cond);
  const u = conditioningFor(spec(), uncond);
  await put(conditioningId(c), c);
  await put(conditioningId(u), u);
  const ok = { x: toWire({ dims: [3, 64, 64], data: x }), sigma: 4, condId: conditioningId(c), uncondId: conditioningId(u), guidance: 3 };
  const nan = Float32Array.from(x);
  nan[7] = NaN;
  const answers = await denoise([
    { ...ok, id: 1 },
    { ...ok, id: 2, x: toWire({ dims: [3, 32, 32], data: x.subarray(0, 3 * 1024) }) },
    { ...ok, id: 3, x: { ...toWire({ dims: [3, 64, 64], data: x }), dtype: 'DTYPE_UNSPECIFIED' } },
    { ...ok, id: 4, x: toWire({ dims: [3, 64, 64], data: nan }) },
    { ...ok, id: 5, sigma: 0.5 },
    { ...ok, id: 6, condId: 'unknown' },
    { ...ok, id: 7, uncondId: '' },
  ]);
  const model = await ExpertModel.load(pack, spec());
  const expected = await new LocalExpert(model).denoise({ x, dims: [3, 64, 64], sigma: 4, branches: { cond, uncond }, guidance: 3 });
  await model.release();
  const first = answers.get(1)!;
  assert.equal(first.code, 0, first.message);
  assert.ok(Buffer.from(first.denoised!.data).equals(Buffer.from(expected.denoised.buffer)), 'the node computes what the in-process expert computes');
  const refused = (id: number) => `${Status[answers.get(id)!.code]}: ${answers.get(id)!.message}`;
  assert.match(refused(2), /^INVALID_ARGUMENT: x: must have shape \[3,64,64\], got \[3,32,32\]/);
  assert.match(refused(3), /^INVALID_ARGUMENT: x: dtype must be DTYPE_FLOAT32/);
  assert.match(refused(4), /^INVALID_ARGUMENT: x: value 7 is NaN/);
  assert.match(refused(5), /^INVALID_ARGUMENT: sigma: 0.5 is outside expert middle's range \[1, 10\)/);
  assert.match(refused(6), /^NOT_FOUND: cond_id: conditioning unknown is not held here/);
  assert.match(refused(7), /^INVALID_ARGUMENT: uncond_id: guidance 3 needs the unconditional branch/);
});

test('a restarted node that lost the conditioning gets it uploaded again, transparently', async () => {
  const remote = new RemoteExpert(spec(), node.address, { evaluationTimeoutMs: 5000 });
  const call = { x, dims: [3, 64, 64], sigma: 2, branches: { cond, uncond }, guidance: 3 };
  try {
    const first = await remote.denoise(call);
    const port = Number(node.address.split(':')[1]);
    await node.stop('SIGKILL');
    node = await start(port);
    assert.equal(await metricSum(node.metrics, 'ediff_expert_conditioning_uploads_total'), 0, 'the new node holds nothing');
    // The channel reconnects with backoff; the first calls may still find it down.
    let again;
    for (let attempt = 0; !again; attempt++) {
      try {
        again = await remote.denoise(call);
      } catch (error) {
        if (attempt > 20) throw error;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    assert.deepEqual(again.denoised, first.denoised);
    assert.equal(await metricSum(node.metrics, 'ediff_expert_conditioning_uploads_total'), 2, 'cond and uncond uploaded again');
  } finally {
    remote.close();
  }
});
