import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadPack, type Pack } from '../../common/pack/load.ts';
import { buildTinyUnetPack } from '../../packs/tiny-unet/build.ts';
import { InProcessPipeline } from '../../common/runtime/in-process.ts';
import { EncoderEnsemble } from '../../common/runtime/encoders.ts';
import { ExpertModel } from '../../common/runtime/expert.ts';
import { stack, zeros, type Tensor } from '../../common/tensor.ts';
import { halfMaskPng, solidPng, tempDir } from '../helpers/reference.ts';

let dir: { dir: string; remove: () => void };
let pack: Pack;
let pipeline: InProcessPipeline;

before(async () => {
  dir = tempDir('tiny-unet');
  buildTinyUnetPack(dir.dir);
  pack = loadPack(dir.dir);
  pipeline = await InProcessPipeline.load(pack);
});
after(async () => {
  await pipeline?.release();
  dir?.remove();
});

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

test('the tiny-unet pack builds byte-identically and validates: three experts tiling [0, inf), all conditioning consumed', () => {
  const again = tempDir('tiny-unet-again');
  try {
    buildTinyUnetPack(again.dir);
    assert.equal(loadPack(again.dir).hash, pack.hash);
    for (const f of ['pack.json', 'base/high.onnx', 'encoders/t5.onnx']) assert.ok(readFileSync(path.join(dir.dir, f)).equals(readFileSync(path.join(again.dir, f))), f);
  } finally {
    again.remove();
  }
  const experts = pack.manifest.base.experts;
  assert.deepEqual(experts.map((e) => [e.name, e.sigma_lo, e.sigma_hi]), [['high', 10, null], ['middle', 1, 10], ['low', 0, 1]]);
  for (const e of experts) assert.deepEqual([...e.inputs].sort(), ['clip_image', 'clip_text_pooled', 'clip_text_tokens', 'paint', 'paint_weight', 't5_tokens']);
  assert.notEqual(readFileSync(path.join(dir.dir, 'base/high.onnx')).length, 0);
  assert.ok(!readFileSync(path.join(dir.dir, 'base/high.onnx')).equals(readFileSync(path.join(dir.dir, 'base/low.onnx'))), 'experts have their own weights');
});

test('every conditioning input reaches the network: prompt, style image and paint mask each change the output', async () => {
  const request = { prompt: 'a red circle on a blue background', seed: 3, steps: 6 };
  const plain = (await pipeline.generate(request)).image.data;
  assert.ok(plain.every(Number.isFinite));
  assert.deepEqual((await pipeline.generate(request)).image.data, plain, 'deterministic');
  const variants = {
    prompt: { ...request, prompt: 'a green square on a white background' },
    style: { ...request, style: await solidPng('#ffff00') },
    paint: { ...request, paint: [{ phrase: 'circle', mask: await halfMaskPng('left') }] },
    negative: { ...request, negativePrompt: 'red' },
  };
  for (const [name, variant] of Object.entries(variants)) {
    const diff = maxDiff((await pipeline.generate(variant)).image.data, plain);
    assert.ok(diff > 1e-3, `${name} changed the output by only ${diff}`);
  }
});

test('a batch gives the same D as its items evaluated one by one (within float32 rounding)', async () => {
  const encoders = await EncoderEnsemble.load(pack);
  const expert = await ExpertModel.load(pack, pack.manifest.base.experts[1]!);
  try {
    const conditioning = async (prompt: string): Promise<Record<string, Tensor>> => ({
      ...(await encoders.encodePrompt(prompt)).conditioning,
      ...(await encoders.encodeImage(null)),
      paint: zeros([32, 16, 16]),
      paint_weight: { dims: [], data: Float32Array.of(1) },
    });
    const conds = [await conditioning('a red circle'), await conditioning('')];
    const xs = [0, 1].map((k) => ({ dims: [1, 3, 64, 64], data: Float32Array.from({ length: 3 * 4096 }, (_, i) => Math.sin(i * (k + 1)) * 4) }));
    const sigmas = [4, 2.5];
    const one = async (k: number) => expert.evaluate({ x: xs[k]!, sigma: [sigmas[k]!], inputs: Object.fromEntries(expert.spec.inputs.map((n) => [n, stack([conds[k]![n]!])])) });
    const batched = await expert.evaluate({
      x: { dims: [2, 3, 64, 64], data: Float32Array.from([...xs[0]!.data, ...xs[1]!.data]) },
      sigma: sigmas,
      inputs: Object.fromEntries(expert.spec.inputs.map((n) => [n, stack(conds.map((c) => c[n]!))])),
    });
    for (const k of [0, 1]) {
      const diff = maxDiff(batched.subarray(k * 3 * 4096, (k + 1) * 3 * 4096), await one(k));
      assert.ok(diff < 1e-4, `item ${k} differs by ${diff}`);
    }
  } finally {
    await expert.release();
    await encoders.release();
  }
});
