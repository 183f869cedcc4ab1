/**
 * Writes a tiny Stable Diffusion ONNX export with random weights, in the exact file layout of a
 * real one: Hugging Face Optimum's (`optimum-cli export onnx`) or the legacy diffusers one
 * (`OnnxStableDiffusionPipeline`), with the real config files' fields, CLIP's real vocabulary and
 * every variant of the real exports: the three timestep forms, int64 or int32 input ids, float16,
 * weights beside the model (`model.onnx_data`, or the legacy `weights.pb`), eps or v prediction.
 * Nothing here can be downloaded, so this is how the export path is tried and tested.
 */
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { packWriter } from '../builder/tokenizers.ts';
import { textEncoderOnnx, unetOnnx, vaeDecoderOnnx, type TimestepForm, type UnetSize } from './networks.ts';

export interface TestExportOptions {
  /** @default 'optimum' */
  layout?: 'optimum' | 'legacy';
  /** `epsilon` as SD 1.x, `v_prediction` as SD 2.x 768-v (which also pads with `!`). @default 'epsilon' */
  prediction?: 'epsilon' | 'v_prediction';
  /** @default 'float-scalar' (Optimum >= 1.24) for optimum, 'float-batch' for legacy */
  timestep?: TimestepForm;
  /** @default 'int64' for optimum, 'int32' for legacy */
  inputIds?: 'int64' | 'int32';
  /** @default 'fp32' */
  precision?: 'fp32' | 'fp16';
  /** The UNet's weights in a file beside it (`model.onnx_data`; legacy: `weights.pb`). @default true */
  externalData?: boolean;
  /** The UNet's sample_size (latent side; the default image is 8x that). @default 8 */
  sampleSize?: number;
  /** The UNet's width and depth (the benchmarks' float16 comparison uses a heavier one). @default 8 channels, no blocks */
  unet?: UnetSize;
  /** Leave these keys out of scheduler_config.json (to try the scheduler class's defaults). */
  schedulerOmits?: string[];
  /** Leave scaling_factor out of vae_decoder/config.json. */
  omitScalingFactor?: boolean;
  /** A VAE decoder whose activations pass float16's range (see vaeDecoderOnnx), and its config's force_upcast. @default no overflow, force_upcast true */
  vae?: { overflow?: boolean; forceUpcast?: boolean };
  /** @default 1 */
  seed?: number;
}

/** The width of the tiny text encoder's hidden states. */
export const TEST_EXPORT_HIDDEN_SIZE = 32;

export const json = (value: unknown) => JSON.stringify(value, null, 2) + '\n';

function modelIndex(layout: 'optimum' | 'legacy'): object {
  if (layout === 'legacy') {
    return {
      _class_name: 'OnnxStableDiffusionPipeline',
      _diffusers_version: '0.6.0',
      feature_extractor: ['transformers', 'CLIPFeatureExtractor'],
      safety_checker: [null, null],
      scheduler: ['diffusers', 'PNDMScheduler'],
      text_encoder: ['diffusers', 'OnnxRuntimeModel'],
      tokenizer: ['transformers', 'CLIPTokenizer'],
      unet: ['diffusers', 'OnnxRuntimeModel'],
      vae_decoder: ['diffusers', 'OnnxRuntimeModel'],
      vae_encoder: ['diffusers', 'OnnxRuntimeModel'],
    };
  }
  // Optimum keeps the diffusers pipeline's own model_index.json (it still says vae: AutoencoderKL).
  return {
    _class_name: 'StableDiffusionPipeline',
    _diffusers_version: '0.30.0',
    feature_extractor: [null, null],
    image_encoder: [null, null],
    requires_safety_checker: false,
    safety_checker: [null, null],
    scheduler: ['diffusers', 'PNDMScheduler'],
    text_encoder: ['transformers', 'CLIPTextModel'],
    tokenizer: ['transformers', 'CLIPTokenizer'],
    unet: ['diffusers', 'UNet2DConditionModel'],
    vae: ['diffusers', 'AutoencoderKL'],
  };
}

function schedulerConfig(prediction: 'epsilon' | 'v_prediction', omit: string[]): object {
  const config: Record<string, unknown> =
    prediction === 'epsilon'
      ? { _class_name: 'PNDMScheduler', _diffusers_version: '0.30.0', beta_end: 0.012, beta_schedule: 'scaled_linear', beta_start: 0.00085, num_train_timesteps: 1000, prediction_type: 'epsilon', set_alpha_to_one: false, skip_prk_steps: true, steps_offset: 1, timestep_spacing: 'leading', trained_betas: null }
      : { _class_name: 'DDIMScheduler', _diffusers_version: '0.30.0', beta_end: 0.012, beta_schedule: 'scaled_linear', beta_start: 0.00085, clip_sample: false, num_train_timesteps: 1000, prediction_type: 'v_prediction', set_alpha_to_one: false, steps_offset: 1, timestep_spacing: 'leading', trained_betas: null };
  for (const key of omit) delete config[key];
  return config;
}

/** tokenizer_config.json and special_tokens_map.json as CLIPTokenizer writes them. */
export function tokenizerConfigs(pad: string): { config: object; specials: object } {
  const token = (content: string) => ({ content, lstrip: false, normalized: true, rstrip: false, single_word: false });
  return {
    config: { add_prefix_space: false, bos_token: token('<|startoftext|>'), clean_up_tokenization_spaces: true, do_lower_case: true, eos_token: token('<|endoftext|>'), errors: 'replace', model_max_length: 77, pad_token: pad, tokenizer_class: 'CLIPTokenizer', unk_token: token('<|endoftext|>') },
    specials: { bos_token: token('<|startoftext|>'), eos_token: token('<|endoftext|>'), pad_token: pad, unk_token: token('<|endoftext|>') },
  };
}

/**
 * Writes the export into `dir`. `vocabulary` is the folder with CLIP's `vocab.json` and
 * `merges.txt` (the repository has them in test/fixtures/clip).
 */
export function writeTestExport(dir: string, vocabulary: string, options: TestExportOptions = {}): void {
  const layout = options.layout ?? 'optimum';
  const prediction = options.prediction ?? 'epsilon';
  const timestep = options.timestep ?? (layout === 'optimum' ? 'float-scalar' : 'float-batch');
  const ids = options.inputIds ?? (layout === 'optimum' ? 'int64' : 'int32');
  const precision = options.precision ?? 'fp32';
  const sampleSize = options.sampleSize ?? 8;
  const seed = options.seed ?? 1;
  const D = TEST_EXPORT_HIDDEN_SIZE;
  const net = { precision, hiddenSize: D, seed };
  const write = packWriter(dir);
  const optimum = layout === 'optimum';

  write('model_index.json', json(modelIndex(layout)));
  write('scheduler/scheduler_config.json', json(schedulerConfig(prediction, options.schedulerOmits ?? [])));

  const pad = prediction === 'v_prediction' ? '!' : '<|endoftext|>';
  const { config, specials } = tokenizerConfigs(pad);
  write('tokenizer/tokenizer_config.json', json(config));
  write('tokenizer/special_tokens_map.json', json(specials));
  for (const file of ['vocab.json', 'merges.txt']) copyFileSync(path.join(vocabulary, file), path.join(dir, 'tokenizer', file));

  write('text_encoder/model.onnx', textEncoderOnnx({ ...net, ids }));
  const unet = unetOnnx({ ...net, timestep, size: options.unet ?? { channels: 8, blocks: 0 } });
  if (options.externalData ?? true) {
    const location = optimum ? 'model.onnx_data' : 'weights.pb';
    const { model, data } = unet.encodeWithExternalData({ location });
    write('unet/model.onnx', model);
    write(`unet/${location}`, data);
  } else write('unet/model.onnx', unet.encode());
  write('vae_decoder/model.onnx', vaeDecoderOnnx({ ...net, overflow: options.vae?.overflow ?? false }));
  if (!optimum) return;

  write('text_encoder/config.json', json({ _name_or_path: 'tiny-clip-text', architectures: ['CLIPTextModel'], attention_dropout: 0, bos_token_id: 0, eos_token_id: 2, hidden_act: 'quick_gelu', hidden_size: D, intermediate_size: 4 * D, max_position_embeddings: 77, model_type: 'clip_text_model', num_attention_heads: 1, num_hidden_layers: 1, pad_token_id: 1, projection_dim: D, torch_dtype: precision === 'fp16' ? 'float16' : 'float32', vocab_size: 49408 }));
  write('unet/config.json', json({ _class_name: 'UNet2DConditionModel', _diffusers_version: '0.30.0', act_fn: 'silu', attention_head_dim: 1, block_out_channels: [options.unet?.channels ?? 8], center_input_sample: false, cross_attention_dim: D, down_block_types: ['CrossAttnDownBlock2D'], flip_sin_to_cos: true, freq_shift: 0, in_channels: 4, layers_per_block: 1, norm_num_groups: 8, out_channels: 4, sample_size: sampleSize, up_block_types: ['CrossAttnUpBlock2D'] }));
  write('vae_decoder/config.json', json({ _class_name: 'AutoencoderKL', _diffusers_version: '0.30.0', act_fn: 'silu', block_out_channels: [8, 8, 8, 8], down_block_types: ['DownEncoderBlock2D', 'DownEncoderBlock2D', 'DownEncoderBlock2D', 'DownEncoderBlock2D'], force_upcast: options.vae?.forceUpcast ?? true, in_channels: 3, latent_channels: 4, layers_per_block: 1, norm_num_groups: 8, out_channels: 3, sample_size: sampleSize * 8, ...(!options.omitScalingFactor && { scaling_factor: 0.18215 }), up_block_types: ['UpDecoderBlock2D', 'UpDecoderBlock2D', 'UpDecoderBlock2D', 'UpDecoderBlock2D'] }));
}
