/**
 * Stable Diffusion exports served by the cluster exactly as they ship: tiny random-weight exports
 * in both layouts and every variant (packs/test-exports) give the same PNG through the cluster as
 * in one process, byte for byte, with routing, batching, failover, previews and refusals as for
 * our own packs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { encodePng } from '../../common/image.ts';
import { loadPack, type Pack } from '../../common/pack/load.ts';
import { InProcessPipeline } from '../../common/runtime/in-process.ts';
import type { TestExportOptions } from '../../packs/test-exports/build.ts';
import { EdiffClient, EdiffError, type GenerateEvent, type GenerateRequest } from '../../sdk/client.ts';
import { startLocalCluster, type LocalCluster } from '../../sdk/local-cluster.ts';
import { metricSum } from '../helpers/cluster.ts';
import { latentPackWithSr, testExport } from '../helpers/exports.ts';

interface Served {
  pack: Pack;
  cluster: LocalCluster;
  client: EdiffClient;
  local: InProcessPipeline;
  stop(): Promise<void>;
}

async function serve(options: TestExportOptions | 'latent-with-sr', replicas = 1, expertArgs: string[] = []): Promise<Served> {
  const folder = options === 'latent-with-sr' ? latentPackWithSr() : testExport(options);
  const pack = loadPack(folder.dir);
  const cluster = await startLocalCluster({ pack: pack.dir, replicas, expertArgs });
  const client = new EdiffClient(cluster.address);
  const local = await InProcessPipeline.load(pack);
  return {
    pack,
    cluster,
    client,
    local,
    stop: async () => {
      client.close();
      await local.release();
      await cluster.stop();
      folder.remove();
    },
  };
}

async function events(s: Served, request: GenerateRequest): Promise<GenerateEvent[]> {
  const out: GenerateEvent[] = [];
  for await (const e of s.client.generate(request)) out.push(e);
  return out;
}

/** The cluster's PNG is the in-process pipeline's, byte for byte, at the requested size. */
async function sameAsInProcess(s: Served, request: GenerateRequest): Promise<void> {
  const result = await s.client.generateImage(request);
  const expected = await s.local.generate(request);
  assert.deepEqual([result.width, result.height, result.image.dims], [request.width, request.height, [3, request.height, request.width]]);
  assert.ok(result.png.equals(await encodePng(expected.image)), 'the same PNG as in process');
  const meta = await sharp(result.png).metadata();
  assert.deepEqual([meta.width, meta.height], [request.width, request.height]);
}

const variants: [string, TestExportOptions, { width: number; height: number }][] = [
  ['legacy layout: weights.pb, int32 ids, float [batch] timestep', { layout: 'legacy' }, { width: 128, height: 64 }],
  ['float16 with an int64 [steps] timestep', { precision: 'fp16', timestep: 'int64' }, { width: 64, height: 96 }],
  ['v-prediction (SD 2.x) in one model.onnx', { prediction: 'v_prediction', timestep: 'float-batch', externalData: false }, { width: 96, height: 64 }],
];

for (const [name, options, size] of variants) {
  test(`${name}: the cluster gives the in-process PNG`, async () => {
    const s = await serve(options);
    try {
      await sameAsInProcess(s, { prompt: 'a photo of a cat', negativePrompt: 'blurry', seed: 5, steps: 6, sampler: 'euler-a', ...size });
    } finally {
      await s.stop();
    }
  });
}

describe("Optimum's layout (model.onnx_data, a scalar float timestep), two UNet replicas", () => {
  let s: Served;
  before(async () => {
    s = await serve({}, 2);
  });
  after(() => s?.stop());

  test('non-square images, every sampler: byte-identical to one process', async () => {
    for (const sampler of ['euler', 'heun', 'dpmpp-2m', 'euler-a']) await sameAsInProcess(s, { prompt: 'a photo of a cat', seed: 11, steps: 5, sampler, width: 64, height: 96 });
  });

  test('DescribePipeline shows the latent base stage, the decode stage and the features', async () => {
    const d = await s.client.describePipeline();
    assert.deepEqual(d.experts.map((e) => [e.name, e.sigmaLo, e.sigmaHi ?? null, e.parameterization, e.inputs, e.guidance]), [['unet', 0, null, 'eps', ['encoder_hidden_states'], 7.5]]);
    assert.deepEqual(d.decode, { name: 'decode', scalingFactor: 0.18215, factor: 8 });
    assert.deepEqual(d.latent, { channels: 4, factor: 8, sizeStep: 8, defaultWidth: 64, defaultHeight: 64, previews: true });
    assert.deepEqual(d.sizes, [64]);
    assert.deepEqual(d.features, ['negative-prompt', 'prompt-switch', 'guidance-per-expert', 'width-height', 'previews', 'timestep-schedule']);
    assert.deepEqual(d.superResolution, []);
  });

  test('every evaluation goes to a UNet replica; the decode stage runs on its sr-node; previews are latent-sized', async () => {
    const all = await events(s, { prompt: 'a photo of a cat', seed: 2, steps: 6, sampler: 'heun', width: 64, height: 96, previewEvery: 2 } as GenerateRequest);
    const evaluations = all.flatMap((e) => (e.type === 'evaluation' ? [e] : []));
    assert.equal(evaluations.length, 2 * 6 - 1);
    const unets = s.cluster.nodes.filter((n) => n.role === 'expert-node').map((n) => n.address);
    assert.ok(evaluations.every((e) => e.stage === 'base' && e.expert === 'unet' && unets.includes(e.replica)));
    const previews = all.flatMap((e) => (e.type === 'preview' ? [e] : []));
    assert.deepEqual(previews.map((p) => p.step), [1, 3, 5]);
    const meta = await sharp(previews[0]!.png).metadata();
    assert.deepEqual([meta.width, meta.height], [8, 12], 'the latent resolution');
    const result = all.at(-1)!;
    assert.equal(result.type, 'result');
    if (result.type === 'result') assert.deepEqual(result.stages.map((t) => t.stage), ['base', 'decode']);
    const decodeNode = s.cluster.nodes.find((n) => n.role === 'sr-node' && n.name === 'decode')!;
    assert.ok((await metricSum(decodeNode.metrics, 'ediff_sr_evaluations_total')) > 0);
  });

  test('concurrent jobs of different sizes and sigmas share the replicas and each gets its own image', async () => {
    const requests = [64, 96, 64, 128].map((height, i) => ({ prompt: ['a cat', 'a dog', 'a red car', 'a house'][i]!, seed: 30 + i, steps: 4 + i, sampler: 'euler', width: 64, height }));
    const results = await Promise.all(requests.map((r) => s.client.generateImage(r)));
    for (const [i, r] of requests.entries()) assert.ok(results[i]!.png.equals(await encodePng((await s.local.generate(r)).image)), `job ${i}`);
  });

  test('a UNet replica killed mid-job: its evaluations are retried on the other, and the image is unchanged', async () => {
    const request = { prompt: 'a photo of a cat', seed: 8, steps: 30, sampler: 'euler', width: 64, height: 64 };
    const expected = await encodePng((await s.local.generate(request)).image);
    let killed = false;
    let result: Extract<GenerateEvent, { type: 'result' }> | null = null;
    for await (const e of s.client.generate(request)) {
      if (e.type === 'evaluation' && e.evaluation === 5 && !killed) {
        killed = true;
        await s.cluster.nodes.find((n) => n.address === e.replica)!.stop('SIGKILL');
      }
      if (e.type === 'result') result = e;
    }
    assert.ok(killed && result);
    assert.ok(result.png.equals(expected));
    assert.ok((await metricSum(s.cluster.coordinator.metrics, 'ediff_retries_total')) >= 1);
  });

  test('paint-with-words and style images are refused naming the feature and the pack; a long prompt is truncated with a warning', async () => {
    const refused = async (request: GenerateRequest, message: RegExp) =>
      assert.rejects(s.client.generateImage(request), (e: unknown) => e instanceof EdiffError && e.codeName === 'INVALID_ARGUMENT' && message.test(e.details));
    await refused({ prompt: 'a cat', paint: [{ phrase: 'cat', mask: await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } }).png().toBuffer() }] }, /^paint: pack .* does not support paint-with-words$/);
    await refused({ prompt: 'a cat', style: new Uint8Array(8) }, /^style_image: pack .* does not support style images/);
    await refused({ prompt: 'a cat', width: 63 }, /^width: must be a multiple of 8/);
    const long = await s.client.generateImage({ prompt: Array.from({ length: 80 }, () => 'cat').join(' '), seed: 1, steps: 1, sampler: 'euler' });
    assert.deepEqual(long.warnings, ['the prompt is 82 tokens long for encoder text_encoder, which takes 77: "cat cat cat cat cat" was dropped']);
  });
});

test('dynamic batching of a [batch]-timestep UNet: concurrent jobs share model calls, and their images do not change', async () => {
  // A simulated GPU (the model, then a hold of 20 ms per call) so that the jobs' evaluations meet.
  const s = await serve({ timestep: 'float-batch' }, 1, ['--executor', 'simulated-gpu', '--latency-ms', '20,0']);
  try {
    const requests = Array.from({ length: 4 }, (_, i) => ({ prompt: 'a cat', seed: i, steps: 6 + i, sampler: 'euler', width: 64, height: 64 }));
    const results = await Promise.all(requests.map((r) => s.client.generateImage(r)));
    for (const [i, r] of requests.entries()) assert.ok(results[i]!.png.equals(await encodePng((await s.local.generate(r)).image)), `job ${i}`);
    const unet = s.cluster.nodes.find((n) => n.role === 'expert-node')!.metrics;
    const rows = (await metricSum(unet, 'ediff_expert_batch_size_sum')) / (await metricSum(unet, 'ediff_expert_batch_size_count'));
    assert.ok(rows > 2, `${rows.toFixed(2)} rows per model call: more than one guided evaluation`);
  } finally {
    await s.stop();
  }
});

test('a latent pack with an SR stage after its decode stage: base, decode and SR on their nodes, the in-process PNG', async () => {
  const s = await serve('latent-with-sr');
  try {
    const request = { prompt: 'a photo of a cat', seed: 4, width: 128, height: 128 };
    await sameAsInProcess(s, request);
    const result = await s.client.generateImage(request);
    assert.deepEqual(result.stages.map((t) => t.stage), ['base', 'decode', 'sr128']);
    assert.deepEqual((await s.client.describePipeline()).sizes, [64, 128]);
    const plain = await s.client.generateImage({ prompt: 'a photo of a cat', seed: 4, width: 64, height: 96 });
    assert.deepEqual(plain.stages.map((t) => t.stage), ['base', 'decode']);
  } finally {
    await s.stop();
  }
});
