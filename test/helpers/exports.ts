/** Tiny Stable Diffusion and SDXL exports (packs/test-exports) written into temporary folders for tests. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MANIFEST_FILE, PACK_FORMAT } from '../../common/pack/manifest.ts';
import { writeTestExport, type TestExportOptions } from '../../packs/test-exports/build.ts';
import { writeSdxlTestExport, type SdxlTestExportOptions } from '../../packs/test-exports/sdxl.ts';
import { tempDir } from './reference.ts';
import { gaussianSrOnnx } from './tiny-pack.ts';

export const CLIP_FIXTURES = fileURLToPath(new URL('../fixtures/clip/', import.meta.url));

/** Writes a tiny export with `options` into a new temporary folder. */
export function testExport(options: TestExportOptions = {}, name = 'export'): { dir: string; remove: () => void } {
  const tmp = tempDir(name);
  writeTestExport(tmp.dir, CLIP_FIXTURES, options);
  return tmp;
}

/**
 * A pack.json beside a tiny export's files that adds an SR stage after the decode stage
 * (64 -> 128, a Gaussian SR expert): a latent pipeline with super-resolution, as a composed pack
 * declares one.
 */
export function latentPackWithSr(): { dir: string; remove: () => void } {
  const tmp = testExport({}, 'latent-sr');
  mkdirSync(path.join(tmp.dir, 'sr'));
  writeFileSync(path.join(tmp.dir, 'sr', 'gaussian.onnx'), gaussianSrOnnx(64, 128));
  const manifest = {
    format: PACK_FORMAT,
    name: 'latent-sr',
    encoders: [{ name: 'text_encoder', kind: 'clip-text', model: 'text_encoder/model.onnx', tokenizer: { vocab: 'tokenizer/vocab.json', merges: 'tokenizer/merges.txt' }, max_tokens: 77, outputs: { last_hidden_state: 'encoder_hidden_states' } }],
    base: {
      channels: 4,
      size: 8,
      latent: { factor: 8, multiple: 1, preview_rgb: null },
      experts: [{ name: 'unet', model: 'unet/model.onnx', tensors: { x: 'sample', noise: 'timestep', output: 'out_sample' }, sigma_lo: 0, sigma_hi: null, parameterization: { type: 'eps', schedule: { beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012 } }, inputs: ['encoder_hidden_states'] }],
    },
    decode: { name: 'decode', model: 'vae_decoder/model.onnx', scaling_factor: 0.18215 },
    super_resolution: [{ name: 'sr128', from_size: 64, size: 128, sampler: 'euler', steps: 4, sigma_min: 0.02, sigma_max: 10, experts: [{ name: 'sr', model: 'sr/gaussian.onnx', sigma_lo: 0, sigma_hi: null, parameterization: { type: 'edm' }, inputs: [] }] }],
    defaults: { sampler: 'euler', steps: 4, sigma_min: 0.0292, sigma_max: 14.6, guidance: 5 },
  };
  writeFileSync(path.join(tmp.dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2));
  return tmp;
}

/**
 * A tiny SDXL base and refiner (packs/test-exports/sdxl.ts) in one temporary folder, as `base/`
 * and `refiner/`; the refiner's UNet has weights of its own, its bigG and VAE are the base's.
 */
export function sdxlExports(options: Partial<Omit<SdxlTestExportOptions, 'role'>> = {}, refiner: Partial<Omit<SdxlTestExportOptions, 'role'>> = {}): { base: string; refiner: string; dir: string; remove: () => void } {
  const tmp = tempDir('sdxl');
  const base = path.join(tmp.dir, 'base');
  const ref = path.join(tmp.dir, 'refiner');
  writeSdxlTestExport(base, CLIP_FIXTURES, { sampleSize: 8, ...options, role: 'base' });
  writeSdxlTestExport(ref, CLIP_FIXTURES, { sampleSize: 8, unetSeed: 2, ...options, ...refiner, role: 'refiner' });
  return { ...tmp, base, refiner: ref };
}
