/**
 * Builds the reference pack: closed-form encoders and denoisers over the procedural image set
 * (dataset.ts), three base experts (high / middle / low noise, eDiff-I style), SR 64 -> 256 (two
 * experts) and 256 -> 1024 (one). Byte-identical on every build.
 */
import { MANIFEST_FILE, PACK_FORMAT, type ExpertSpec, type PackManifest } from '../../common/pack/manifest.ts';
import { packWriter, writeTokenizers } from '../builder/tokenizers.ts';
import { items, vocabularyWords } from './dataset.ts';
import { imageEncoderOnnx, textEncoderOnnx } from './encoders.ts';
import { baseData, baseExpertOnnx, srExpertOnnx } from './denoisers.ts';

export const REFERENCE_PACK_NAME = 'reference';
/** Bump when the built pack changes, so caches rebuild. */
export const REFERENCE_PACK_VERSION = 2;

const BASE_SIZE = 64;
const PAINT_SIZE = 16;
const T5_TOKENS = 32;
const CLIP_TOKENS = 77;

const edm = { type: 'edm' } as const;

function manifest(): PackManifest {
  const baseInputs = ['t5_tokens', 'clip_image', 'paint', 'paint_weight'];
  const expert = (name: string, model: string, sigma_lo: number, sigma_hi: number | null, inputs: string[], guidance: number): ExpertSpec => ({
    name,
    model,
    sigma_lo,
    sigma_hi,
    parameterization: edm,
    inputs,
    guidance,
    max_batch: 32,
    max_delay_ms: 2,
  });
  const srSampling = { sampler: 'euler', steps: 8, sigma_min: 0.002, sigma_max: 10, rho: 7 } as const;
  return {
    format: PACK_FORMAT,
    name: REFERENCE_PACK_NAME,
    description:
      'Closed-form denoisers of a procedural image set (shapes, colours, backgrounds, positions): right, checkable pictures on a CPU in seconds, with every eDiff-I feature visible.',
    encoders: [
      { name: 't5', kind: 't5-text', model: 'encoders/t5.onnx', tokenizer: 'encoders/t5-tokenizer.json', max_tokens: T5_TOKENS, outputs: { tokens: 't5_tokens' } },
      {
        name: 'clip_text',
        kind: 'clip-text',
        model: 'encoders/clip-text.onnx',
        tokenizer: 'encoders/clip-tokenizer.json',
        max_tokens: CLIP_TOKENS,
        outputs: { tokens: 'clip_text_tokens', pooled: 'clip_text_pooled' },
      },
      { name: 'clip_image', kind: 'clip-image', model: 'encoders/clip-image.onnx', image_size: BASE_SIZE, outputs: { pooled: 'clip_image' } },
    ],
    base: {
      channels: 3,
      size: BASE_SIZE,
      experts: [
        expert('high', 'base/high.onnx', 10, null, ['clip_text_pooled', ...baseInputs], 3),
        expert('middle', 'base/middle.onnx', 1, 10, baseInputs, 3),
        expert('low', 'base/low.onnx', 0, 1, [], 1),
      ],
    },
    paint: { tokens: 't5_tokens', encoder: 't5', size: PAINT_SIZE },
    super_resolution: [
      {
        name: 'sr256',
        from_size: 64,
        size: 256,
        ...srSampling,
        experts: [expert('sr256-high', 'sr/sr256-high.onnx', 1, null, ['clip_text_pooled'], 1), expert('sr256-low', 'sr/sr256-low.onnx', 0, 1, [], 1)],
      },
      { name: 'sr1024', from_size: 256, size: 1024, ...srSampling, experts: [expert('sr1024', 'sr/sr1024.onnx', 0, null, [], 1)] },
    ],
    defaults: { sampler: 'heun', steps: 25, sigma_min: 0.002, sigma_max: 80, rho: 7, guidance: 3, paint_weight: 1 },
  };
}

/** Writes the reference pack into `dir` (created if missing). */
export function buildReferencePack(dir: string): void {
  const write = packWriter(dir);
  const vocab = writeTokenizers(write, vocabularyWords());
  write('encoders/t5.onnx', textEncoderOnnx('t5', vocab.t5, T5_TOKENS));
  write('encoders/clip-text.onnx', textEncoderOnnx('clip-text', vocab.clip, CLIP_TOKENS));
  write('encoders/clip-image.onnx', imageEncoderOnnx(BASE_SIZE));

  const data = baseData(items(), BASE_SIZE, PAINT_SIZE);
  const io = { t5Tokens: T5_TOKENS };
  write('base/high.onnx', baseExpertOnnx('high', data, { t5: true, clipPooled: true, clipImage: true, paint: true }, io));
  write('base/middle.onnx', baseExpertOnnx('middle', data, { t5: true, clipImage: true, paint: true }, io));
  write('base/low.onnx', baseExpertOnnx('low', data, {}, io));

  write('sr/sr256-high.onnx', srExpertOnnx('sr256-high', { fromSize: 64, size: 256, text: true }));
  write('sr/sr256-low.onnx', srExpertOnnx('sr256-low', { fromSize: 64, size: 256, text: false }));
  write('sr/sr1024.onnx', srExpertOnnx('sr1024', { fromSize: 256, size: 1024, text: false }));
  write(MANIFEST_FILE, JSON.stringify(manifest(), null, 2) + '\n');
}
