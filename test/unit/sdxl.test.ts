/**
 * SDXL exports and ensembles composed by noise range (common/pack/export.ts, ensemble.ts), through
 * tiny random-weight exports in SDXL's layout (packs/test-exports/sdxl.ts): what is read, the
 * boundary, the conditioning each expert receives (read back from a probe UNet whose output is
 * its inputs), force-zeros, micro-conditioning, and the refusals of mismatched exports.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { NonFiniteOutputError, PackError } from '../../common/errors.ts';
import { boundarySigma, DEFAULT_REFINER_AT, ENSEMBLE_FORMAT } from '../../common/pack/ensemble.ts';
import { SDXL_SIZES } from '../../common/pack/export.ts';
import { loadPack, type Pack } from '../../common/pack/load.ts';
import { MANIFEST_FILE } from '../../common/pack/manifest.ts';
import { conditioningFor, unconditionalBranch, type BranchRequest } from '../../common/pipeline/conditioning.ts';
import { packFeatures, resolveRequest } from '../../common/pipeline/request.ts';
import { ConditioningBuilder } from '../../common/runtime/conditioning.ts';
import { DecoderModel } from '../../common/runtime/decoder.ts';
import { EncoderEnsemble } from '../../common/runtime/encoders.ts';
import { ExpertModel } from '../../common/runtime/expert.ts';
import { InProcessPipeline } from '../../common/runtime/in-process.ts';
import { DiscreteSigmas } from '../../common/sampling/discrete-schedule.ts';
import { stack } from '../../common/tensor.ts';
import { SDXL_TEST_WIDTHS } from '../../packs/test-exports/sdxl.ts';
import { sdxlExports, testExport } from '../helpers/exports.ts';
import { tempDir } from '../helpers/reference.ts';
import { writeTinyPack } from '../helpers/tiny-pack.ts';

const made: { remove: () => void }[] = [];
after(() => made.forEach((m) => m.remove()));
const exports = (...args: Parameters<typeof sdxlExports>) => {
  const e = sdxlExports(...args);
  made.push(e);
  return e;
};
const W = SDXL_TEST_WIDTHS;

test("an SDXL base export: CLIP-L and bigG's penultimate hidden states joined, bigG's pooled embedding, time_ids of 6, force-zeros, SDXL's sizes", () => {
  const e = exports({ sampleSize: 128 });
  const pack = loadPack(e.base);
  const m = pack.manifest;
  assert.deepEqual(
    m.encoders.map((x) => [x.name, x.pad_token, x.outputs]),
    [
      ['text_encoder', '<|endoftext|>', { 'hidden_states.11': 'text_encoder.hidden_states.11' }],
      ['text_encoder_2', '!', { 'hidden_states.31': 'text_encoder_2.hidden_states.31', text_embeds: 'text_encoder_2.text_embeds' }],
    ],
  );
  assert.deepEqual(m.conditioning, [
    { name: 'encoder_hidden_states', join: ['text_encoder.hidden_states.11', 'text_encoder_2.hidden_states.31'], zero_for_empty_negative: true },
    { name: 'text_embeds', join: ['text_encoder_2.text_embeds'], zero_for_empty_negative: true },
    { name: 'time_ids', time_ids: ['original_height', 'original_width', 'crop_top', 'crop_left', 'target_height', 'target_width'] },
  ]);
  const unet = m.base.experts[0]!;
  assert.deepEqual([unet.name, unet.inputs, unet.tensors], ['unet', ['encoder_hidden_states', 'text_embeds', 'time_ids'], { x: 'sample', noise: 'timestep', output: 'out_sample' }]);
  assert.deepEqual([m.decode!.scaling_factor, m.defaults.guidance, m.recommended_sizes], [0.13025, 5, SDXL_SIZES]);
  assert.ok(packFeatures(m).includes('micro-conditioning') && !packFeatures(m).includes('aesthetic-score'));
  const r = resolveRequest(m, { prompt: 'a cat' });
  assert.deepEqual([r.width, r.height, r.micro!.cond], [1024, 1024, { original_height: 1024, original_width: 1024, crop_top: 0, crop_left: 0, target_height: 1024, target_width: 1024, aesthetic_score: 6 }]);
  assert.deepEqual(resolveRequest(m, { prompt: 'a cat', width: 832, height: 1216 }).baseDims, [4, 152, 104]);
});

test('an SDXL refiner export: bigG alone, time_ids of 5 with the aesthetic score, no force-zeros', () => {
  const m = loadPack(exports().refiner).manifest;
  assert.deepEqual(m.encoders.map((x) => x.name), ['text_encoder_2']);
  assert.deepEqual(m.conditioning, [
    { name: 'encoder_hidden_states', join: ['text_encoder_2.hidden_states.31'] },
    { name: 'text_embeds', join: ['text_encoder_2.text_embeds'] },
    { name: 'time_ids', time_ids: ['original_height', 'original_width', 'crop_top', 'crop_left', 'aesthetic_score'] },
  ]);
  assert.ok(packFeatures(m).includes('aesthetic-score'));
  const r = resolveRequest(m, { prompt: 'a cat', aestheticScore: 7, negativeAestheticScore: 1 });
  assert.deepEqual([r.micro!.cond.aesthetic_score, r.micro!.uncond.aesthetic_score], [7, 1]);
});

test("base + refiner: the base owns sigma >= denoising_end's sigma (0.8 -> t 200 -> 0.5717), bigG is loaded once, the refiner's VAE decodes", () => {
  const e = exports();
  const pack = loadPack({ dir: e.base, refiner: e.refiner });
  const m = pack.manifest;
  const schedule = { beta_schedule: 'scaled_linear' as const, beta_start: 0.00085, beta_end: 0.012, timesteps: 1000 };
  const boundary = boundarySigma(schedule, DEFAULT_REFINER_AT);
  assert.ok(Math.abs(boundary - 0.57167) < 1e-4, `boundary ${boundary}`);
  assert.deepEqual(m.base.experts.map((x) => [x.name, x.sigma_lo, x.sigma_hi, x.guidance]), [['base', boundary, null, 5], ['refiner', 0, boundary, 5]]);
  assert.deepEqual(m.encoders.map((x) => x.name), ['base.text_encoder', 'base.text_encoder_2']);
  const refinerHidden = m.conditioning!.find((d) => d.name === 'refiner.encoder_hidden_states');
  assert.deepEqual(refinerHidden, { name: 'refiner.encoder_hidden_states', join: ['base.text_encoder_2.hidden_states.31'] });
  assert.deepEqual(m.base.experts[1]!.tensors!.inputs, { 'refiner.encoder_hidden_states': 'encoder_hidden_states', 'refiner.text_embeds': 'text_embeds', 'refiner.time_ids': 'time_ids' });
  assert.equal(m.decode!.model, path.join('..', 'refiner', 'vae_decoder', 'model.onnx'));
  assert.equal(pack.source.kind, 'ensemble');
  // Another fraction moves the boundary; the same pack loaded twice hashes alike.
  const later = loadPack({ dir: e.base, refiner: e.refiner, refinerAt: 0.5 });
  assert.ok(Math.abs(later.manifest.base.experts[0]!.sigma_lo - boundarySigma(schedule, 0.5)) < 1e-12 && boundarySigma(schedule, 0.5) > boundary);
  assert.equal(loadPack({ dir: e.base, refiner: e.refiner }).hash, pack.hash);
  assert.notEqual(later.hash, pack.hash);
});

/** What the probe UNet of `expert` is fed for a branch: time_ids, text_embeds, and encoder_hidden_states averaged over tokens. */
async function probe(pack: Pack, expert: string, branch: Awaited<ReturnType<ConditioningBuilder['branch']>>['conditioning']): Promise<{ timeIds: number[]; pooled: number[]; hidden: number[] }> {
  const spec = pack.manifest.base.experts.find((x) => x.name === expert)!;
  const model = await ExpertModel.load(pack, spec);
  try {
    const c = conditioningFor(spec, branch);
    const sigma = 2;
    const D = await model.evaluate({ x: { dims: [1, 4, 8, 8], data: new Float32Array(256) }, sigma: [sigma], inputs: Object.fromEntries(spec.inputs.map((n) => [n, stack([c[n]!])])) });
    // eps model, x = 0: D = -sigma * out_sample.
    const F = Array.from(D, (v) => -v / sigma);
    const k = spec.name === 'base' ? 6 : 5;
    const hiddenWidth = spec.name === 'base' ? W.clipL + W.bigG : W.bigG;
    return { timeIds: F.slice(0, k), pooled: F.slice(k, k + W.pooled), hidden: F.slice(k + W.pooled, k + W.pooled + hiddenWidth) };
  } finally {
    await model.release();
  }
}

const tokenMean = (t: { dims: number[]; data: Float32Array }) => {
  const [T, D] = t.dims as [number, number];
  return Array.from({ length: D }, (_, d) => {
    let s = 0;
    for (let i = 0; i < T; i++) s += t.data[i * D + d]!;
    return s / T;
  });
};
const close = (a: number[], b: number[], what: string) => {
  assert.equal(a.length, b.length, what);
  const worst = a.reduce((w, v, i) => Math.max(w, Math.abs(v - b[i]!)), 0);
  assert.ok(worst < 1e-4 * Math.max(1, ...b.map(Math.abs)), `${what}: off by ${worst}`);
};

test('each expert is fed exactly its conditioning: the base CLIP-L + bigG joined, the refiner bigG alone, both the pooled vector; time_ids per branch; force-zeros for the base only', async () => {
  const e = exports({ probe: true });
  const pack = loadPack({ dir: e.base, refiner: e.refiner });
  const encoders = await EncoderEnsemble.load(pack);
  try {
    const builder = new ConditioningBuilder(pack.manifest, encoders);
    const r = resolveRequest(pack.manifest, { prompt: 'a photo of a cat', width: 64, height: 64, originalWidth: 2048, originalHeight: 1536, cropTop: 16, cropLeft: 32, aestheticScore: 7.5 });
    const cond: BranchRequest = { prompt: r.prompt, style: null, paint: [], paintWeight: 1, paintRequired: true, micro: r.micro!.cond };
    const branch = await builder.branch(cond);
    const empty = await builder.branch(unconditionalBranch('', r.micro!.uncond));
    // The encoders' own outputs, to compare with.
    const raw = (await encoders.encodePrompt('a photo of a cat')).conditioning;
    const rawEmpty = (await encoders.encodePrompt('')).conditioning;
    const L = tokenMean(raw['base.text_encoder.hidden_states.11']!);
    const G = tokenMean(raw['base.text_encoder_2.hidden_states.31']!);
    const pooled = Array.from(raw['base.text_encoder_2.text_embeds']!.data);

    const base = await probe(pack, 'base', branch.conditioning);
    close(base.timeIds, [1536, 2048, 16, 32, 64, 64], 'base time_ids');
    close(base.pooled, pooled, 'base text_embeds');
    close(base.hidden, [...L, ...G], 'base encoder_hidden_states (CLIP-L then bigG)');
    const refiner = await probe(pack, 'refiner', branch.conditioning);
    close(refiner.timeIds, [1536, 2048, 16, 32, 7.5], 'refiner time_ids');
    close(refiner.pooled, pooled, 'refiner text_embeds');
    close(refiner.hidden, G, 'refiner encoder_hidden_states (bigG)');

    // No negative prompt: zeros for the base (force_zeros_for_empty_prompt), the encoding of "" for the refiner; the negative aesthetic score.
    const baseEmpty = await probe(pack, 'base', empty.conditioning);
    close(baseEmpty.timeIds, [1536, 2048, 16, 32, 64, 64], 'base negative time_ids');
    assert.ok([...baseEmpty.pooled, ...baseEmpty.hidden].every((v) => v === 0), 'the base gets zeros for an empty negative prompt');
    const refinerEmpty = await probe(pack, 'refiner', empty.conditioning);
    close(refinerEmpty.timeIds, [1536, 2048, 16, 32, 2.5], 'refiner negative time_ids');
    close(refinerEmpty.hidden, tokenMean(rawEmpty['base.text_encoder_2.hidden_states.31']!), 'the refiner gets the encoding of ""');
    assert.ok(refinerEmpty.hidden.some((v) => v !== 0));
    // A negative prompt is encoded for both.
    const negative = await probe(pack, 'base', (await builder.branch(unconditionalBranch('blurry', r.micro!.uncond))).conditioning);
    assert.ok(negative.hidden.some((v) => v !== 0));
    // Only what some expert consumes is served: not the raw hidden states.
    assert.deepEqual(Object.keys(branch.conditioning).sort(), ['base.encoder_hidden_states', 'base.text_embeds', 'base.time_ids', 'refiner.encoder_hidden_states', 'refiner.text_embeds', 'refiner.time_ids']);
  } finally {
    await encoders.release();
  }
});

test("the timesteps sigma schedule follows the export's diffusers scheduler (SDXL: leading spacing, steps_offset 1), so denoising_end 0.8 splits 20 steps 16:4", () => {
  const e = exports();
  const m = loadPack({ dir: e.base, refiner: e.refiner }).manifest;
  assert.deepEqual(m.defaults.timesteps, { spacing: 'leading', steps_offset: 1 });
  const train = new DiscreteSigmas({ beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012, timesteps: 1000 }).sigmas;
  const r = resolveRequest(m, { prompt: 'x', steps: 20, sigmaSchedule: 'timesteps' });
  // diffusers: timesteps 951, 901, ..., 1, then a final 0.
  assert.deepEqual(Array.from(r.sigmas), [...Array.from({ length: 20 }, (_, i) => train[951 - 50 * i]!), 0]);
  const boundary = m.base.experts[0]!.sigma_lo;
  assert.equal(r.sigmas.filter((s) => s >= boundary).length, 16);
  const karras = resolveRequest(m, { prompt: 'x', steps: 20 });
  assert.equal(karras.sigmas.filter((s) => s >= boundary).length, 12, 'Karras spends more steps at low noise');
  assert.ok(packFeatures(m).includes('timestep-schedule'));
  const trailing = new DiscreteSigmas({ beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012, timesteps: 1000 }).timestepSigmas(4, { spacing: 'trailing', steps_offset: 0 });
  assert.deepEqual(Array.from(trailing), [train[999], train[749], train[499], train[249], 0]);
  assert.throws(() => resolveRequest(m, { prompt: 'x', sigmaSchedule: 'cosine' as never }), /sigma_schedule: unknown sigma schedule "cosine"; choose one of karras, timesteps/);
});

test('micro-conditioning and aesthetic scores are refused by packs that take none, naming the field and the pack', () => {
  const sd = testExport();
  made.push(sd);
  const m = loadPack(sd.dir).manifest;
  assert.throws(() => resolveRequest(m, { prompt: 'x', originalWidth: 512 }), /original_width: pack .* does not take micro-conditioning/);
  assert.throws(() => resolveRequest(m, { prompt: 'x', aestheticScore: 6 }), /aesthetic_score: pack .* does not take an aesthetic score/);
  const base = loadPack(exports().base).manifest;
  assert.throws(() => resolveRequest(base, { prompt: 'x', aestheticScore: 6 }), /aesthetic_score: .* does not take an aesthetic score \(SDXL's refiner does\)/);
  assert.throws(() => resolveRequest(base, { prompt: 'x', expertGuidance: { refiner: 3 } }), /expert_guidance\.refiner: pack .* has no base expert refiner \(it has unet\)/);
  const tiny = tempDir('tiny');
  made.push(tiny);
  writeTinyPack(tiny.dir);
  assert.throws(() => resolveRequest(loadPack(tiny.dir).manifest, { prompt: 'x', sigmaSchedule: 'timesteps' }), /sigma_schedule: pack tiny has no diffusers scheduler whose timesteps to follow; use karras/);
});

test('exports that do not compose are refused with a line naming the file and field', () => {
  const refusal = (load: () => unknown, message: RegExp) => assert.throws(load, (err: unknown) => err instanceof PackError && message.test(err.message) && !err.message.includes('\n'));
  const schedule = exports({}, { scheduler: { beta_end: 0.02 } });
  refusal(() => loadPack({ dir: schedule.base, refiner: schedule.refiner }), /refiner\/scheduler\/scheduler_config\.json: beta_end: is 0\.02, but base's is 0\.012 .*: the experts of an ensemble must share one training schedule/);
  const vae = exports({}, { scalingFactor: 0.18215 });
  refusal(() => loadPack({ dir: vae.base, refiner: vae.refiner }), /refiner\/vae_decoder\/config\.json: scaling_factor: is 0\.18215, but base's is 0\.13025 .*one VAE/);
  const sd = testExport();
  made.push(sd);
  refusal(() => loadPack({ dir: schedule.base, refiner: sd.dir }), /vae_decoder\/config\.json: scaling_factor: is 0\.18215, but base's is 0\.13025/);
  // An ensemble pack.json: bad orderings and names.
  const ensemble = (experts: object[]) => {
    const dir = tempDir('ensemble');
    made.push(dir);
    writeFileSync(path.join(dir.dir, MANIFEST_FILE), JSON.stringify({ format: ENSEMBLE_FORMAT, name: 'e', experts }));
    return dir.dir;
  };
  const e = exports();
  refusal(() => loadPack(ensemble([{ name: 'base', export: e.base }])), /experts: an ensemble needs at least two experts/);
  refusal(() => loadPack(ensemble([{ name: 'base', export: e.base }, { name: 'refiner', export: e.refiner }])), /experts\[0\]\.denoising_end: is missing/);
  refusal(() => loadPack(ensemble([{ name: 'base', export: e.base, denoising_end: 0.8 }, { name: 'refiner', export: e.refiner, denoising_end: 0.9 }])), /experts\[1\]\.denoising_end: the last expert owns every sigma below/);
  refusal(() => loadPack(ensemble([{ name: 'Base', export: e.base, denoising_end: 0.8 }, { name: 'refiner', export: e.refiner }])), /experts\[0\]\.name: must be lower-case letters/);
  refusal(() => loadPack(ensemble([{ name: 'a', export: e.base, denoising_end: 0.8 }, { name: 'b', export: e.base, denoising_end: 0.5 }, { name: 'c', export: e.refiner }])), /experts\[1\]\.denoising_end: must be larger than experts\[0\]'s \(0\.8\)/);
  refusal(() => loadPack(ensemble([{ name: 'a', export: e.base, denoising_end: 0.8 }, { name: 'b', export: path.join(e.dir, 'nowhere') }])), /nowhere\/model_index\.json: not valid JSON|nowhere\/model_index\.json/);
});

test('three SD 1.5-layout exports compose into an ensemble of three experts that routes every evaluation as its ranges say', async () => {
  const parts = [1, 2, 3].map((seed) => {
    const p = testExport({ seed }, `sd${seed}`);
    made.push(p);
    return p.dir;
  });
  const dir = tempDir('ensemble3');
  made.push(dir);
  const guidance = [7.5, 6, 4];
  writeFileSync(
    path.join(dir.dir, MANIFEST_FILE),
    JSON.stringify({
      format: ENSEMBLE_FORMAT,
      name: 'three',
      experts: [
        { name: 'high', export: path.relative(dir.dir, parts[0]!), denoising_end: 0.4 },
        { name: 'middle', export: parts[1], denoising_end: 0.75, guidance: guidance[1] },
        { name: 'low', export: parts[2], guidance: guidance[2] },
      ],
    }),
  );
  const pack = loadPack(dir.dir);
  const experts = pack.manifest.base.experts;
  assert.deepEqual(experts.map((x) => [x.name, x.guidance, x.inputs, x.tensors?.inputs]), [
    ['high', 7.5, ['high.encoder_hidden_states'], { 'high.encoder_hidden_states': 'encoder_hidden_states' }],
    ['middle', 6, ['middle.encoder_hidden_states'], { 'middle.encoder_hidden_states': 'encoder_hidden_states' }],
    ['low', 4, ['low.encoder_hidden_states'], { 'low.encoder_hidden_states': 'encoder_hidden_states' }],
  ]);
  assert.equal(pack.manifest.encoders.length, 3, 'three different text encoders (the exports were written with three seeds)');
  assert.ok(experts[0]!.sigma_lo > experts[1]!.sigma_lo && experts[1]!.sigma_lo > 0 && experts[1]!.sigma_hi === experts[0]!.sigma_lo && experts[2]!.sigma_hi === experts[1]!.sigma_lo);
  const pipeline = await InProcessPipeline.load(pack);
  try {
    const seen: { sigma: number; expert: string }[] = [];
    await pipeline.generate({ prompt: 'a cat', seed: 3, steps: 12, sampler: 'heun' }, { onProgress: (ev) => ev.type === 'evaluation' && seen.push(ev) });
    const owner = (sigma: number) => experts.find((x) => x.sigma_lo <= sigma && (x.sigma_hi === null || sigma < x.sigma_hi))!.name;
    for (const ev of seen) assert.equal(ev.expert, owner(ev.sigma), `sigma ${ev.sigma}`);
    assert.deepEqual([...new Set(seen.map((ev) => ev.expert))], ['high', 'middle', 'low']);
  } finally {
    await pipeline.release();
  }
  assert.match(pack.manifest.description!, /an ensemble of 3 experts composed by noise range: high \(sigma >= .*\), middle \(sigma in \[.*\), low \(sigma < /);
});

test('a float16 VAE that overflows: with force_upcast it runs in float32 and decodes; without, the job fails naming the stage, never a black image', async () => {
  const request = { prompt: 'a cat', seed: 2, steps: 2, sampler: 'euler', width: 64, height: 64 };
  const upcast = testExport({ precision: 'fp16', vae: { overflow: true, forceUpcast: true } });
  const plain = testExport({ precision: 'fp16', vae: { overflow: true, forceUpcast: false } });
  made.push(upcast, plain);
  const [up, fp16] = [loadPack(upcast.dir), loadPack(plain.dir)];
  assert.deepEqual([up.manifest.decode!.upcast, fp16.manifest.decode!.upcast], [true, undefined]);
  const decoder = await DecoderModel.load(up, up.manifest.decode!);
  assert.deepEqual([decoder.upcast, decoder.inputType], [true, 'float32'], 'the float16 model runs in float32');
  await decoder.release();
  const ok = await InProcessPipeline.load(up);
  try {
    const r = await ok.generate(request);
    assert.ok(r.image.data.every(Number.isFinite));
  } finally {
    await ok.release();
  }
  const failing = await InProcessPipeline.load(fp16);
  try {
    await assert.rejects(failing.generate(request), (e: unknown) => e instanceof NonFiniteOutputError && /^stage decode: the VAE decoder returned (-)?Infinity at value \d+ \(a float16 VAE overflows on some latents: export the VAE decoder in float32, or set force_upcast/.test(e.message));
  } finally {
    await failing.release();
  }
});
