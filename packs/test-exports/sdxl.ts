/**
 * Writes a tiny SDXL ONNX export with random weights in Optimum's layout: the base
 * (`text_encoder/` CLIP-L and `text_encoder_2/` OpenCLIP bigG with `tokenizer/` and
 * `tokenizer_2/`, a UNet taking text_embeds and time_ids of 6) or the refiner (bigG alone, time_ids
 * of 5), with the real tensor names and config fields (../shared/EXPORTS.md). The bigG and the VAE
 * of a base and a refiner written with the same seed are the same files, as in the real exports.
 */
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { packWriter } from '../builder/tokenizers.ts';
import { json, tokenizerConfigs } from './build.ts';
import { unetOnnx, vaeDecoderOnnx, type TimestepForm } from './networks.ts';
import { probeUnetOnnx, sdxlTextEncoderOnnx } from './sdxl-networks.ts';

/** Widths of the tiny encoders: CLIP-L's hidden states, bigG's, and bigG's pooled projection. */
export const SDXL_TEST_WIDTHS = { clipL: 8, bigG: 12, pooled: 16 } as const;

export interface SdxlTestExportOptions {
  role: 'base' | 'refiner';
  /** The UNet copies its conditioning into its output (see probeUnetOnnx); latents are then fixed to 8x8. */
  probe?: boolean;
  /** @default 'float-scalar' */
  timestep?: TimestepForm;
  /** @default 128, SDXL's (1024-pixel images); the tests use less */
  sampleSize?: number;
  /** model_index.json's force_zeros_for_empty_prompt. @default true for the base, false for the refiner (as the real ones say) */
  forceZeros?: boolean;
  /** Override scheduler_config.json fields (to try mismatched exports). */
  scheduler?: Record<string, unknown>;
  /** vae_decoder/config.json's scaling_factor. @default 0.13025 (SDXL's) */
  scalingFactor?: number;
  /** Seed of the UNet's weights (the encoders and VAE keep theirs, so that two exports share them). @default 1 */
  unetSeed?: number;
}

const SDXL_SCHEDULER = {
  _class_name: 'EulerDiscreteScheduler',
  _diffusers_version: '0.30.0',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  interpolation_type: 'linear',
  num_train_timesteps: 1000,
  prediction_type: 'epsilon',
  sample_max_value: 1,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  timestep_spacing: 'leading',
  trained_betas: null,
  use_karras_sigmas: false,
};

export function writeSdxlTestExport(dir: string, vocabulary: string, o: SdxlTestExportOptions): void {
  const base = o.role === 'base';
  const write = packWriter(dir);
  const W = SDXL_TEST_WIDTHS;
  const net = (hiddenSize: number, seed: number) => ({ precision: 'fp32' as const, hiddenSize, seed });
  const sampleSize = o.probe ? 8 : (o.sampleSize ?? 128);
  const timeIds = base ? 6 : 5;
  const hidden = base ? W.clipL + W.bigG : W.bigG;

  write(
    'model_index.json',
    json({
      _class_name: base ? 'StableDiffusionXLPipeline' : 'StableDiffusionXLImg2ImgPipeline',
      _diffusers_version: '0.30.0',
      feature_extractor: [null, null],
      force_zeros_for_empty_prompt: o.forceZeros ?? base,
      image_encoder: [null, null],
      ...(!base && { requires_aesthetics_score: true }),
      scheduler: ['diffusers', 'EulerDiscreteScheduler'],
      text_encoder: base ? ['transformers', 'CLIPTextModel'] : [null, null],
      text_encoder_2: ['transformers', 'CLIPTextModelWithProjection'],
      tokenizer: base ? ['transformers', 'CLIPTokenizer'] : [null, null],
      tokenizer_2: ['transformers', 'CLIPTokenizer'],
      unet: ['diffusers', 'UNet2DConditionModel'],
      vae: ['diffusers', 'AutoencoderKL'],
    }),
  );
  write('scheduler/scheduler_config.json', json({ ...SDXL_SCHEDULER, ...o.scheduler }));

  const encoders = [
    ...(base ? [{ folder: 'text_encoder', tokenizer: 'tokenizer', pad: '<|endoftext|>', width: W.clipL, layers: 12, seed: 11, projection: undefined }] : []),
    { folder: 'text_encoder_2', tokenizer: 'tokenizer_2', pad: '!', width: W.bigG, layers: 32, seed: 12, projection: W.pooled },
  ];
  for (const e of encoders) {
    const { config, specials } = tokenizerConfigs(e.pad);
    write(`${e.tokenizer}/tokenizer_config.json`, json(config));
    write(`${e.tokenizer}/special_tokens_map.json`, json(specials));
    for (const file of ['vocab.json', 'merges.txt']) copyFileSync(path.join(vocabulary, file), path.join(dir, e.tokenizer, file));
    write(`${e.folder}/model.onnx`, sdxlTextEncoderOnnx({ ...net(e.width, e.seed), layers: e.layers, ...(e.projection && { projection: e.projection }) }));
    write(
      `${e.folder}/config.json`,
      json({ architectures: [e.projection ? 'CLIPTextModelWithProjection' : 'CLIPTextModel'], hidden_act: e.projection ? 'gelu' : 'quick_gelu', hidden_size: e.width, model_type: 'clip_text_model', num_hidden_layers: e.layers, projection_dim: e.projection ?? e.width, torch_dtype: 'float32', vocab_size: 49408 }),
    );
  }

  const timestep = o.timestep ?? 'float-scalar';
  const unetSeed = o.unetSeed ?? 1;
  if (o.probe) write('unet/model.onnx', probeUnetOnnx({ ...net(hidden, unetSeed), timestep, pooled: W.pooled, timeIds, side: sampleSize }));
  else {
    const unet = unetOnnx({ ...net(hidden, unetSeed), timestep, size: { channels: 8, blocks: 0 }, sdxl: { pooled: W.pooled, timeIds } });
    const { model, data } = unet.encodeWithExternalData({ location: 'model.onnx_data' });
    write('unet/model.onnx', model);
    write('unet/model.onnx_data', data);
  }
  write(
    'unet/config.json',
    json({
      _class_name: 'UNet2DConditionModel',
      _diffusers_version: '0.30.0',
      addition_embed_type: 'text_time',
      addition_time_embed_dim: 256,
      block_out_channels: [8, 8, 8],
      cross_attention_dim: hidden,
      in_channels: 4,
      out_channels: 4,
      projection_class_embeddings_input_dim: W.pooled + timeIds * 256,
      sample_size: sampleSize,
    }),
  );
  write('vae_decoder/model.onnx', vaeDecoderOnnx(net(8, 7)));
  write(
    'vae_decoder/config.json',
    json({ _class_name: 'AutoencoderKL', _diffusers_version: '0.30.0', block_out_channels: [8, 8, 8, 8], force_upcast: true, in_channels: 3, latent_channels: 4, out_channels: 3, sample_size: 1024, scaling_factor: o.scalingFactor ?? 0.13025 }),
  );
}
