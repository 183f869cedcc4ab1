/**
 * Stable Diffusion ONNX exports read in place (common/pack/export.ts), through tiny random-weight
 * exports in the exact layouts of real ones (packs/test-exports): detection, the facts read from
 * their config files, the UNet wrapped as k-diffusion wraps it, float16, and every refusal.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { PackError } from '../../common/errors.ts';
import { loadPack, type Pack } from '../../common/pack/load.ts';
import { availableSizes, packFeatures, resolveRequest } from '../../common/pipeline/request.ts';
import { ExpertModel } from '../../common/runtime/expert.ts';
import { GraphBuilder } from '../../packs/onnx/graph.ts';
import { TEST_EXPORT_HIDDEN_SIZE } from '../../packs/test-exports/build.ts';
import { latentPackWithSr, testExport } from '../helpers/exports.ts';
import { tempDir } from '../helpers/reference.ts';

const made: { remove: () => void }[] = [];
after(() => made.forEach((m) => m.remove()));
const exported = (options: Parameters<typeof testExport>[0] = {}) => {
  const e = testExport(options);
  made.push(e);
  return e.dir;
};
const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));
const rewrite = (file: string, edit: (j: Record<string, unknown>) => void) => {
  const j = json(file);
  edit(j);
  writeFileSync(file, JSON.stringify(j));
};

test("an Optimum export is read in place: parts by folder, the schedule, the latent shape, the VAE's factors, the tokenizer config", () => {
  const pack = loadPack(exported());
  const m = pack.manifest;
  assert.deepEqual(pack.source, { kind: 'export', layout: 'optimum', warnings: [] });
  assert.deepEqual(m.encoders.map((e) => [e.name, e.kind, e.model, e.tokenizer, e.pad_token, e.max_tokens, e.outputs]), [
    ['text_encoder', 'clip-text', 'text_encoder/model.onnx', { vocab: 'tokenizer/vocab.json', merges: 'tokenizer/merges.txt' }, '<|endoftext|>', 77, { last_hidden_state: 'encoder_hidden_states' }],
  ]);
  const [unet] = m.base.experts;
  assert.equal(m.base.experts.length, 1);
  assert.deepEqual([unet!.name, unet!.model, unet!.sigma_lo, unet!.sigma_hi, unet!.inputs, unet!.tensors], ['unet', 'unet/model.onnx', 0, null, ['encoder_hidden_states'], { x: 'sample', noise: 'timestep', output: 'out_sample' }]);
  assert.deepEqual(unet!.parameterization, { type: 'eps', schedule: { beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012, timesteps: 1000 } });
  assert.deepEqual([m.base.channels, m.base.size, m.base.latent?.factor, m.base.latent?.multiple, m.base.latent?.fixed], [4, 8, 8, 1, null]);
  assert.deepEqual(m.decode, { name: 'decode', model: 'vae_decoder/model.onnx', scaling_factor: 0.18215, tensors: { input: 'latent_sample', output: 'sample' }, upcast: true });
  assert.deepEqual(m.recommended_sizes, [[64, 64]]);
  // A Karras schedule over the training schedule's own sigma range, as k-diffusion and A1111 run SD.
  assert.ok(Math.abs(m.defaults.sigma_min - 0.029167) < 1e-6 && Math.abs(m.defaults.sigma_max - 14.614641) < 1e-6, `${m.defaults.sigma_min}-${m.defaults.sigma_max}`);
  assert.equal(m.super_resolution.length, 0);
});

test('the legacy diffusers layout: weights.pb, int32 ids, no per-part config (SD 1.x values stand in: 0.18215, 512x512, sides in multiples of 64)', () => {
  const dir = exported({ layout: 'legacy' });
  const pack = loadPack(dir);
  assert.deepEqual(pack.source, { kind: 'export', layout: 'legacy', warnings: [] });
  assert.equal(json(path.join(dir, 'model_index.json'))._class_name, 'OnnxStableDiffusionPipeline');
  assert.deepEqual([pack.manifest.decode?.scaling_factor, pack.manifest.base.size, pack.manifest.base.latent?.multiple], [0.18215, 64, 8]);
  assert.deepEqual(resolveRequest(pack.manifest, { prompt: '', width: 640, height: 384 }).baseDims, [4, 48, 80]);
  assert.throws(() => resolveRequest(pack.manifest, { prompt: '', width: 64, height: 96 }), /^InvalidArgumentError: height: must be a multiple of 64 in \[64, 4096\] for pack/);
});

test('SD 2.x: v-prediction from scheduler_config.json and the "!" pad token from the tokenizer config', () => {
  const pack = loadPack(exported({ prediction: 'v_prediction' }));
  assert.equal(pack.manifest.base.experts[0]!.parameterization.type, 'v');
  assert.equal(pack.manifest.encoders[0]!.pad_token, '!');
});

test("a missing scheduler field takes the default of the scheduler class it names, with a warning; an unknown class is refused", () => {
  const dir = exported({ schedulerOmits: ['beta_schedule', 'beta_start', 'beta_end', 'prediction_type'] });
  const pack = loadPack(dir);
  // PNDMScheduler's own defaults: DDPM's linear betas, not SD's values.
  assert.deepEqual(pack.manifest.base.experts[0]!.parameterization, { type: 'eps', schedule: { beta_schedule: 'linear', beta_start: 0.0001, beta_end: 0.02, timesteps: 1000 } });
  assert.equal(pack.source.kind === 'export' && pack.source.warnings.length, 4);
  assert.match(pack.source.kind === 'export' ? pack.source.warnings[0]! : '', /scheduler_config\.json: beta_schedule is missing: PNDMScheduler's default "linear" is used$/);
  rewrite(path.join(dir, 'scheduler', 'scheduler_config.json'), (j) => (j._class_name = 'MyScheduler'));
  assert.throws(() => loadPack(dir), /scheduler_config\.json: beta_schedule: is missing, and MyScheduler is not a scheduler class whose defaults ediff knows/);
});

test('a VAE config without scaling_factor gives 0.18215 and a warning (not the fallback of 8)', () => {
  const pack = loadPack(exported({ omitScalingFactor: true }));
  assert.equal(pack.manifest.decode!.scaling_factor, 0.18215);
  assert.match(pack.source.kind === 'export' ? pack.source.warnings.join('\n') : '', /vae_decoder\/config\.json: no scaling_factor: 0\.18215 \(SD 1\.x \/ 2\.x\) is used/);
});

test('the pack hash is stable and covers the weights kept beside the model (model.onnx_data)', () => {
  const dir = exported();
  const first = loadPack(dir).hash;
  assert.equal(loadPack(dir).hash, first);
  appendFileSync(path.join(dir, 'unet', 'model.onnx_data'), Buffer.alloc(4));
  assert.notEqual(loadPack(dir).hash, first);
});

test('weights files over 64 MiB are hashed by their size and 16 sampled MiB, first and last included', () => {
  const dir = exported();
  const data = path.join(dir, 'unet', 'model.onnx_data');
  const original = readFileSync(data);
  // Pad the weights to 80 MiB (the model never reads past its tensors' offsets).
  const big = Buffer.alloc(80 * 1024 * 1024);
  original.copy(big);
  writeFileSync(data, big);
  const hash = loadPack(dir).hash;
  const flip = (offset: number) => {
    big[offset] = big[offset]! ^ 1;
    writeFileSync(data, big);
    const changed = loadPack(dir).hash;
    big[offset] = big[offset]! ^ 1;
    return changed;
  };
  assert.notEqual(flip(10), hash, 'the first MiB is sampled');
  assert.notEqual(flip(big.length - 1), hash, 'the last byte is sampled');
  // Between two samples (5 MiB apart here, each 1 MiB long) a change goes unseen: the price of starting in seconds.
  assert.equal(flip(Math.floor(big.length / 30) + 2 * 1024 * 1024), hash);
});

test('a folder that is not a pack or export, or an export missing a part, gets one line naming the file or field', () => {
  const work = tempDir('bad-exports');
  made.push(work);
  const refusal = (dir: string, message: RegExp) => assert.throws(() => loadPack(dir), (e: unknown) => e instanceof PackError && message.test(e.message) && !e.message.includes('\n'));
  const empty = path.join(work.dir, 'empty');
  mkdirSync(empty);
  refusal(empty, /empty: neither pack\.json \(an ediff pack or ensemble\) nor model_index\.json \(a diffusers or Optimum ONNX export\) is here$/);
  refusal(path.join(work.dir, 'nowhere'), /nowhere: no such folder$/);
  const broken = (edit: (dir: string) => void) => {
    const dir = exported();
    edit(dir);
    return dir;
  };
  refusal(broken((d) => rmSync(path.join(d, 'unet', 'model.onnx'))), /unet\/model\.onnx: missing: a Stable Diffusion ONNX export has unet\/model\.onnx, vae_decoder\/model\.onnx, scheduler\/scheduler_config\.json and a text encoder$/);
  refusal(broken((d) => rmSync(path.join(d, 'text_encoder'), { recursive: true })), /text_encoder\/model\.onnx: missing: a Stable Diffusion ONNX export has a text encoder \(text_encoder\/, and text_encoder_2\/ for SDXL\)$/);
  refusal(broken((d) => rmSync(path.join(d, 'tokenizer', 'merges.txt'))), /tokenizer\/merges\.txt: missing/);
  refusal(broken((d) => rmSync(path.join(d, 'unet', 'model.onnx_data'))), /base\.experts\[0\]\.model: unet\/model\.onnx keeps its weights in model\.onnx_data, which is missing/);
  refusal(broken((d) => writeFileSync(path.join(d, 'model_index.json'), '{')), /model_index\.json: not valid JSON/);
  refusal(broken((d) => rewrite(path.join(d, 'model_index.json'), (j) => delete j._class_name)), /model_index\.json: _class_name: is missing/);
  refusal(broken((d) => rewrite(path.join(d, 'scheduler', 'scheduler_config.json'), (j) => (j.beta_schedule = 'squaredcos_cap_v2'))), /beta_schedule: unknown beta schedule "squaredcos_cap_v2" \(known: linear, scaled_linear\)/);
  refusal(broken((d) => rewrite(path.join(d, 'scheduler', 'scheduler_config.json'), (j) => (j.prediction_type = 'sample'))), /prediction_type: unknown prediction type "sample"/);
  refusal(
    broken((d) => rewrite(path.join(d, 'vae_decoder', 'config.json'), (j) => (j.latent_channels = 16))),
    /vae_decoder\/config\.json: latent_channels: is 16, but the UNet makes latents of 4 channels/,
  );
  // A UNet with SDXL's micro-conditioning inputs, and one whose text width is not the encoder's.
  const unet = (extra: string, width: number) => {
    const g = new GraphBuilder('unet');
    g.input('sample', 'float32', ['batch', 4, 'h', 'w']);
    g.input('timestep', 'float32', []);
    const h = g.input('encoder_hidden_states', 'float32', ['batch', 77, width]);
    if (extra) g.input(extra, 'float32', ['batch', 6]);
    g.output(g.op('Identity', [h]), 'out_sample', 'float32', ['batch', 4, 'h', 'w']);
    return g.encode();
  };
  refusal(
    broken((d) => {
      rmSync(path.join(d, 'unet', 'model.onnx_data'));
      writeFileSync(path.join(d, 'unet', 'model.onnx'), unet('time_ids', TEST_EXPORT_HIDDEN_SIZE));
    }),
    /text_encoder_2\/model\.onnx: missing: the UNet takes time_ids and text_embeds \(SDXL\), which come with text_encoder_2\/ \(OpenCLIP bigG\)$/,
  );
  refusal(
    broken((d) => {
      rmSync(path.join(d, 'unet', 'model.onnx_data'));
      writeFileSync(path.join(d, 'unet', 'model.onnx'), unet('', 768));
    }),
    /unet\/model\.onnx: takes encoder_hidden_states of 768 features, but text_encoder\/model\.onnx gives 32: the parts are from different models/,
  );
});

test("requests to an export: width and height in multiples of 8, latent noise, and paint or style refused naming the feature and the pack", () => {
  const pack = loadPack(exported());
  const m = pack.manifest;
  const r = resolveRequest(m, { prompt: 'a cat' });
  assert.deepEqual([r.width, r.height, r.baseDims, r.stages], [64, 64, [4, 8, 8], []]);
  assert.deepEqual(resolveRequest(m, { prompt: '', width: 64, height: 96 }).baseDims, [4, 12, 8]);
  assert.deepEqual(resolveRequest(m, { prompt: '', size: 128 }).baseDims, [4, 16, 16]);
  const refused = (request: Parameters<typeof resolveRequest>[1], message: RegExp) => assert.throws(() => resolveRequest(m, request), (e: Error) => e.name === 'InvalidArgumentError' && message.test(e.message));
  refused({ prompt: '', width: 60 }, /^width: must be a multiple of 8 in \[8, 4096\] for pack .*, got 60$/);
  refused({ prompt: '', size: 5000 }, /^size: must be a multiple of 8 in \[8, 4096\]/);
  refused({ prompt: '', noise: { dims: [3, 64, 64], data: new Float32Array(3 * 64 * 64) } }, /^noise: must have shape \[4,8,8\], got \[3,64,64\]$/);
  refused({ prompt: 'a cat', paint: [{ phrase: 'cat', mask: new Uint8Array(1) }] }, /^paint: pack .* does not support paint-with-words$/);
  refused({ prompt: 'a cat', style: new Uint8Array(1) }, /^style_image: pack .* does not support style images \(it has no image encoder\)$/);
});

/** SD's training sigmas, sqrt((1 - alphas_cumprod) / alphas_cumprod) of the scaled_linear betas, in float64. */
const SD_SIGMAS = (() => {
  const sigmas: number[] = [];
  let cumprod = 1;
  for (let t = 0; t < 1000; t++) {
    const beta = (Math.sqrt(0.00085) + ((Math.sqrt(0.012) - Math.sqrt(0.00085)) * t) / 999) ** 2;
    cumprod *= 1 - beta;
    sigmas.push(Math.sqrt((1 - cumprod) / cumprod));
  }
  return sigmas;
})();

test("SD's schedule: sigma 0.029167 at t = 0, 0.57167 at t = 200, 14.614641 at t = 999, as diffusers' scaled_linear betas give", () => {
  for (const [t, sigma] of [[0, 0.029167], [200, 0.57167], [999, 14.614641]] as const) assert.ok(Math.abs(SD_SIGMAS[t]! - sigma) < 1e-5, `t ${t}: ${SD_SIGMAS[t]}`);
});

/** D as k-diffusion's DiscreteEpsDDPMDenoiser / DiscreteVDDPMDenoiser compute it, from the UNet called directly. */
async function kDiffusionD(dir: string, kind: 'eps' | 'v', x: Float32Array, sigma: number, t: number | bigint, hidden: Float32Array, timestep: 'float-scalar' | 'int64' | 'float-batch') {
  const session = await ort.InferenceSession.create(path.join(dir, 'unet', 'model.onnx'));
  try {
    const cIn = 1 / Math.sqrt(sigma * sigma + 1);
    const feeds = {
      sample: new ort.Tensor('float32', Float32Array.from(x, (v) => v * cIn), [1, 4, 8, 8]),
      timestep: timestep === 'int64' ? new ort.Tensor('int64', BigInt64Array.of(BigInt(t)), [1]) : timestep === 'float-scalar' ? new ort.Tensor('float32', Float32Array.of(Number(t)), []) : new ort.Tensor('float32', Float32Array.of(Number(t)), [1]),
      encoder_hidden_states: new ort.Tensor('float32', hidden, [1, 77, TEST_EXPORT_HIDDEN_SIZE]),
    };
    const F = (await session.run(feeds)).out_sample!.data as Float32Array;
    return Float32Array.from(x, (v, j) => (kind === 'eps' ? v - sigma * F[j]! : v / (sigma * sigma + 1) - (sigma / Math.sqrt(sigma * sigma + 1)) * F[j]!));
  } finally {
    await session.release();
  }
}

for (const [kind, timestep] of [['eps', 'float-scalar'], ['eps', 'int64'], ['v', 'float-batch'], ['v', 'int64']] as const) {
  test(`the ${kind} UNet with a ${timestep} timestep gives k-diffusion's D(x, sigma) on SD's schedule`, async () => {
    const dir = exported({ prediction: kind === 'eps' ? 'epsilon' : 'v_prediction', timestep });
    const pack: Pack = loadPack(dir);
    const expert = await ExpertModel.load(pack, pack.manifest.base.experts[0]!);
    try {
      assert.deepEqual(expert.noise, { scalar: timestep === 'float-scalar', integer: timestep === 'int64' });
      const x = Float32Array.from({ length: 4 * 64 }, (_, i) => Math.sin(i * 0.7) * 2);
      const hidden = Float32Array.from({ length: 77 * TEST_EXPORT_HIDDEN_SIZE }, (_, i) => Math.cos(i * 0.3));
      // SD's sigmas at t = 0, 200, 999, and one 30% of the way (in log sigma) from t = 199 to 200.
      const between = Math.exp(0.7 * Math.log(SD_SIGMAS[199]!) + 0.3 * Math.log(SD_SIGMAS[200]!));
      for (const [sigma, t] of [[SD_SIGMAS[0]!, 0], [SD_SIGMAS[200]!, 200], [SD_SIGMAS[999]!, 999], [between, timestep === 'int64' ? 199 : 199.3]] as const) {
        const D = await expert.evaluate({ x: { dims: [1, 4, 8, 8], data: x }, sigma: [sigma], inputs: { encoder_hidden_states: { dims: [1, 77, TEST_EXPORT_HIDDEN_SIZE], data: hidden } } });
        const expected = await kDiffusionD(dir, kind, x, sigma, timestep === 'int64' ? BigInt(t) : t, hidden, timestep);
        const worst = D.reduce((w, v, j) => Math.max(w, Math.abs(v - expected[j]!)), 0);
        assert.ok(worst < 1e-5, `sigma ${sigma}: max |D - D_k-diffusion| = ${worst}`);
      }
    } finally {
      await expert.release();
    }
  });
}

test('a float16 export takes and returns float16 at the session boundary, and stays close to its float32 twin', async () => {
  const [fp16, fp32] = [loadPack(exported({ precision: 'fp16', timestep: 'float-batch' })), loadPack(exported({ timestep: 'float-batch' }))];
  const [e16, e32] = await Promise.all([fp16, fp32].map((p) => ExpertModel.load(p, p.manifest.base.experts[0]!)));
  try {
    assert.deepEqual(e16!.inputDims().encoder_hidden_states, ['sequence_length', TEST_EXPORT_HIDDEN_SIZE]);
    const session = await ort.InferenceSession.create(path.join(fp16.dir, 'unet', 'model.onnx'));
    assert.deepEqual(session.inputMetadata.map((m) => (m.isTensor ? m.type : '')), ['float16', 'float16', 'float16']);
    await session.release();
    const x = Float32Array.from({ length: 2 * 4 * 64 }, (_, i) => Math.sin(i * 0.7) * 2);
    const hidden = Float32Array.from({ length: 2 * 77 * TEST_EXPORT_HIDDEN_SIZE }, (_, i) => Math.cos(i * 0.3));
    const batch = { x: { dims: [2, 4, 8, 8], data: x }, sigma: [0.8, 6], inputs: { encoder_hidden_states: { dims: [2, 77, TEST_EXPORT_HIDDEN_SIZE], data: hidden } } };
    const [d16, d32] = await Promise.all([e16!.evaluate(batch), e32!.evaluate(batch)]);
    const worst = d16.reduce((w, v, j) => Math.max(w, Math.abs(v - d32[j]!)), 0);
    assert.ok(worst > 0 && worst < 0.05, `max |D16 - D32| = ${worst}`);
  } finally {
    await Promise.all([e16!.release(), e32!.release()]);
  }
});

test('a UNet with a scalar timestep runs one sigma per call: a batch of mixed sigmas is refused', async () => {
  const pack = loadPack(exported());
  const expert = await ExpertModel.load(pack, pack.manifest.base.experts[0]!);
  try {
    assert.equal(expert.oneSigmaPerCall, true);
    const batch = (sigmas: number[]) => ({ x: { dims: [2, 4, 8, 8], data: new Float32Array(512) }, sigma: sigmas, inputs: { encoder_hidden_states: { dims: [2, 77, TEST_EXPORT_HIDDEN_SIZE], data: new Float32Array(2 * 77 * TEST_EXPORT_HIDDEN_SIZE) } } });
    assert.equal((await expert.evaluate(batch([2, 2]))).length, 512);
    await assert.rejects(expert.evaluate(batch([2, 3])), /expert unet: its model takes one noise level per call, but the batch mixes sigmas 2, 3/);
  } finally {
    await expert.release();
  }
});

test('a pack.json declares a latent base stage, a decode stage and SR stages after it; a request for an SR size runs them', () => {
  const folder = latentPackWithSr();
  made.push(folder);
  const pack = loadPack(folder.dir);
  const m = pack.manifest;
  assert.equal(pack.source.kind, 'pack');
  assert.deepEqual([m.base.latent, m.decode?.tensors], [{ factor: 8, multiple: 1, fixed: null, preview_rgb: null }, { input: 'latent_sample', output: 'sample' }]);
  assert.deepEqual(availableSizes(m), [64, 128]);
  assert.deepEqual(packFeatures(m), ['negative-prompt', 'prompt-switch', 'guidance-per-expert', 'super-resolution', 'width-height']);
  const sr = resolveRequest(m, { prompt: '', size: 128 });
  assert.deepEqual([sr.width, sr.height, sr.baseDims, sr.stages.map((s) => s.name)], [128, 128, [4, 8, 8], ['sr128']]);
  const plain = resolveRequest(m, { prompt: '', width: 128, height: 64 });
  assert.deepEqual([plain.baseDims, plain.stages], [[4, 8, 16], []]);
  // The SR chain starts at the decoded default size (64), not the latent side (8).
  rewrite(path.join(folder.dir, 'pack.json'), (j) => ((j.super_resolution as { from_size: number }[])[0]!.from_size = 8));
  assert.throws(() => loadPack(folder.dir), /super_resolution\[0\]\.from_size: must be 64, the size of the stage before it/);
  rewrite(path.join(folder.dir, 'pack.json'), (j) => delete j.decode);
  assert.throws(() => loadPack(folder.dir), /base\.latent: a latent base stage needs a decode stage/);
});
