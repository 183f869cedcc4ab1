/**
 * Builds the tiny-unet pack: three eDiff-I-shaped experts (high / middle / low noise) with seeded
 * random weights and the encoder ensemble they consume. Its pictures are noise; it exists for
 * realistic compute (a few ms per evaluation on a CPU) and for distributed == in-process checks.
 */
import { MANIFEST_FILE, PACK_FORMAT, type ExpertSpec, type PackManifest } from '../../common/pack/manifest.ts';
import { packWriter, writeTokenizers } from '../builder/tokenizers.ts';
import { vocabularyWords } from '../reference/dataset.ts';
import { TINY, tinyImageEncoderOnnx, tinyTextEncoderOnnx, tinyUnetOnnx } from './network.ts';

export const TINY_UNET_PACK_NAME = 'tiny-unet';
export const TINY_UNET_PACK_VERSION = 1;

const CONDITIONING = ['clip_text_tokens', 'clip_text_pooled', 't5_tokens', 'clip_image', 'paint', 'paint_weight'];

function manifest(): PackManifest {
  const expert = (name: string, sigma_lo: number, sigma_hi: number | null, guidance: number): ExpertSpec => ({
    name,
    model: `base/${name}.onnx`,
    sigma_lo,
    sigma_hi,
    parameterization: { type: 'edm' },
    inputs: CONDITIONING,
    guidance,
    max_batch: 32,
    max_delay_ms: 2,
  });
  return {
    format: PACK_FORMAT,
    name: TINY_UNET_PACK_NAME,
    description: 'An eDiff-I-shaped network with seeded random weights: realistic compute for benchmarks and equivalence checks. Its pictures are noise.',
    encoders: [
      { name: 't5', kind: 't5-text', model: 'encoders/t5.onnx', tokenizer: 'encoders/t5-tokenizer.json', max_tokens: TINY.t5Tokens, outputs: { tokens: 't5_tokens' } },
      {
        name: 'clip_text',
        kind: 'clip-text',
        model: 'encoders/clip-text.onnx',
        tokenizer: 'encoders/clip-tokenizer.json',
        max_tokens: TINY.clipTokens,
        outputs: { tokens: 'clip_text_tokens', pooled: 'clip_text_pooled' },
      },
      { name: 'clip_image', kind: 'clip-image', model: 'encoders/clip-image.onnx', image_size: TINY.size, outputs: { pooled: 'clip_image' } },
    ],
    base: { channels: 3, size: TINY.size, experts: [expert('high', 10, null, 5), expert('middle', 1, 10, 4), expert('low', 0, 1, 3)] },
    paint: { tokens: 't5_tokens', encoder: 't5', size: TINY.paintSize },
    super_resolution: [],
    defaults: { sampler: 'heun', steps: 25, sigma_min: 0.002, sigma_max: 80, rho: 7, guidance: 4, paint_weight: 1 },
  };
}

export function buildTinyUnetPack(dir: string): void {
  const write = packWriter(dir);
  const vocab = writeTokenizers(write, vocabularyWords());
  write('encoders/t5.onnx', tinyTextEncoderOnnx('t5', Object.keys(vocab.t5).length, TINY.t5Tokens, TINY.t5Dim, 101));
  write('encoders/clip-text.onnx', tinyTextEncoderOnnx('clip-text', Object.keys(vocab.clip).length, TINY.clipTokens, TINY.clipDim, 102));
  write('encoders/clip-image.onnx', tinyImageEncoderOnnx(TINY.size, TINY.imageDim, 103));
  write('base/high.onnx', tinyUnetOnnx('high', 1));
  write('base/middle.onnx', tinyUnetOnnx('middle', 2));
  write('base/low.onnx', tinyUnetOnnx('low', 3));
  write(MANIFEST_FILE, JSON.stringify(manifest(), null, 2) + '\n');
}
