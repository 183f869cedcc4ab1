/**
 * Reading a Stable Diffusion ONNX export folder as it ships, as a pack (no conversion step):
 * Hugging Face Optimum's layout (`unet/`, `text_encoder/`, `vae_decoder/`, `tokenizer/`,
 * `scheduler/`, a `config.json` beside each model) or the legacy diffusers one
 * (`OnnxStableDiffusionPipeline`: no per-part config, the UNet's weights in `weights.pb`). Parts
 * are found by folder, not by model_index.json's keys; the facts are in ../shared/EXPORTS.md.
 *
 * The result is an ordinary PackManifest: one CLIP text encoder (CLIP's vocab.json + merges.txt),
 * one expert (the UNet, eps or v from the scheduler config, owning every sigma), a latent base
 * stage and a decode stage (the VAE decoder). Every missing file or field is a PackError naming it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PackError } from '../errors.ts';
import { DiscreteSigmas, type DiscreteSchedule } from '../sampling/discrete-schedule.ts';
import { Reader, readJsonFile } from './json-reader.ts';
import { PACK_FORMAT, type LatentSpec, type PackManifest } from './manifest.ts';
import { readModelSignature, type ModelSignature } from './onnx-signature.ts';

export const MODEL_INDEX_FILE = 'model_index.json';

/** `optimum`: a config.json beside each model; `legacy`: diffusers' OnnxStableDiffusionPipeline, none. */
export type ExportLayout = 'optimum' | 'legacy';

export interface ReadExport {
  /** The file errors about the pack as a whole name (model_index.json). */
  file: string;
  manifest: PackManifest;
  layout: ExportLayout;
  /** What was assumed (a default taken for a missing field): the nodes log these. */
  warnings: string[];
  /** The config and tokenizer files the pack is made of besides those the manifest names (hashed with it). */
  files: string[];
}

/** SD 1.x / 2.x's VAE scaling factor: what legacy exports hard-code, and the fallback for a config without one. */
export const SD_VAE_SCALING_FACTOR = 0.18215;

/** What a diffusers scheduler class takes when its config leaves a field out (the classes' own defaults). */
const DDPM_DEFAULTS = { num_train_timesteps: 1000, beta_start: 0.0001, beta_end: 0.02, beta_schedule: 'linear', prediction_type: 'epsilon' } as const;
const LCM_DEFAULTS = { ...DDPM_DEFAULTS, beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear' } as const;
const SCHEDULER_DEFAULTS: Record<string, Record<string, string | number>> = Object.fromEntries([
  ...['DDPMScheduler', 'DDIMScheduler', 'PNDMScheduler', 'LMSDiscreteScheduler', 'EulerDiscreteScheduler', 'EulerAncestralDiscreteScheduler', 'DPMSolverMultistepScheduler',
    'DPMSolverSinglestepScheduler', 'DPMSolverSDEScheduler', 'HeunDiscreteScheduler', 'KDPM2DiscreteScheduler', 'KDPM2AncestralDiscreteScheduler', 'UniPCMultistepScheduler',
    'DEISMultistepScheduler'].map((c) => [c, DDPM_DEFAULTS]),
  ['LCMScheduler', LCM_DEFAULTS],
  ['TCDScheduler', LCM_DEFAULTS],
]);

/**
 * A linear map from SD's 4 latent channels to RGB, for previews without a VAE call: the
 * "approximate (cheap)" preview coefficients of the AUTOMATIC1111 web UI.
 */
export const SD_LATENT_RGB = [
  [0.298, 0.207, 0.208],
  [0.187, 0.286, 0.173],
  [-0.158, 0.189, 0.264],
  [-0.184, -0.271, -0.473],
];

/** The folders and files an export must have, in the order they are checked. */
const REQUIRED = ['unet/model.onnx', 'text_encoder/model.onnx', 'vae_decoder/model.onnx', 'tokenizer/vocab.json', 'tokenizer/merges.txt', 'scheduler/scheduler_config.json'];

/** The training schedule and what the network predicts, from scheduler_config.json. */
export function readScheduler(file: string, warnings: string[]): { schedule: DiscreteSchedule; prediction: 'eps' | 'v' } {
  const r = readJsonFile(file);
  const className = r.field('_class_name').string();
  const defaults = SCHEDULER_DEFAULTS[className];
  const value = (key: string): Reader => {
    if (r.has(key) && r.field(key).value !== null) return r.field(key);
    if (!defaults || defaults[key] === undefined) r.field(key).fail(`is missing, and ${className} is not a scheduler class whose defaults ediff knows (${Object.keys(SCHEDULER_DEFAULTS).join(', ')})`);
    warnings.push(`${file}: ${key} is missing: ${className}'s default ${JSON.stringify(defaults[key])} is used`);
    return new Reader(file, defaults[key], key);
  };
  if (r.has('trained_betas') && r.field('trained_betas').value !== null) r.field('trained_betas').fail('explicit betas are not supported yet; give beta_schedule, beta_start and beta_end');
  if (r.has('rescale_betas_zero_snr') && r.field('rescale_betas_zero_snr').value === true) r.field('rescale_betas_zero_snr').fail('zero terminal SNR schedules (infinite sigma_max) are not supported');
  const schedule: DiscreteSchedule = {
    beta_schedule: value('beta_schedule').oneOf(['linear', 'scaled_linear'] as const, 'beta schedule'),
    beta_start: value('beta_start').number((n) => n > 0 && n < 1, 'in (0, 1)'),
    beta_end: value('beta_end').number((n) => n > 0 && n < 1, 'in (0, 1)'),
    timesteps: value('num_train_timesteps').positiveInt(),
  };
  const prediction = value('prediction_type').oneOf(['epsilon', 'v_prediction'] as const, 'prediction type');
  return { schedule, prediction: prediction === 'epsilon' ? 'eps' : 'v' };
}

/** A tokenizer's special token as its config writes it: a string, or an AddedToken object with `content`. */
function tokenText(r: Reader): string {
  return typeof r.value === 'string' ? r.string() : r.field('content').string();
}

/** The pad token and sequence length, from tokenizer_config.json and special_tokens_map.json. */
function readTokenizerConfig(dir: string, warnings: string[], rel: (...parts: string[]) => string): { pad: string; maxTokens: number; files: string[] } {
  const files: string[] = [];
  let pad: string | null = null;
  let maxTokens = 77;
  for (const name of ['special_tokens_map.json', 'tokenizer_config.json']) {
    const file = path.join(dir, name);
    if (!existsSync(file)) continue;
    files.push(rel('tokenizer', name));
    const r = readJsonFile(file);
    if (r.has('pad_token') && r.field('pad_token').value !== null) pad = tokenText(r.field('pad_token'));
    // Unset lengths are written as a huge number (1e30): CLIP's 77 stands then.
    if (r.has('model_max_length')) maxTokens = Math.min(maxTokens, r.field('model_max_length').positiveInt());
  }
  if (pad === null) {
    pad = '<|endoftext|>';
    warnings.push(`${dir}: no pad_token in tokenizer_config.json or special_tokens_map.json: padding with ${pad} (CLIP's end token, as SD 1.x does)`);
  }
  return { pad, maxTokens, files };
}

/** A model's input or output by name, or a PackError naming the part and what it has. */
function tensor(file: string, sig: ModelSignature, io: 'inputs' | 'outputs', name: string) {
  const found = sig[io].find((v) => v.name === name);
  if (!found) throw new PackError(file, '', `has no ${io === 'inputs' ? 'input' : 'output'} named ${name} (its ${io}: ${sig[io].map((v) => v.name).join(', ')})`);
  return found;
}

const signatureOf = (file: string) => {
  try {
    return readModelSignature(file);
  } catch (cause) {
    throw new PackError(file, '', `is not a readable ONNX model (${(cause as Error).message})`, { cause });
  }
};

/** A part's config.json (Optimum layout), or null (legacy layout). */
const partConfig = (dir: string, part: string): Reader | null => {
  const file = path.join(dir, part, 'config.json');
  return existsSync(file) ? readJsonFile(file) : null;
};

/** 2^(number of resolution levels - 1): how much a UNet or VAE scales between its ends. */
const levelFactor = (config: Reader) => 2 ** (config.field('block_out_channels').array().length - 1);

export function readExport(dir: string): ReadExport {
  const file = path.join(dir, MODEL_INDEX_FILE);
  const index = readJsonFile(file);
  const pipelineClass = index.field('_class_name').string();
  if (existsSync(path.join(dir, 'text_encoder_2'))) throw new PackError(file, '', `${pipelineClass} has a second text encoder (text_encoder_2/): SDXL exports are not supported yet; Stable Diffusion 1.x and 2.x are`);
  for (const rel of REQUIRED) if (!existsSync(path.join(dir, rel))) throw new PackError(path.join(dir, rel), '', `missing: a Stable Diffusion ONNX export has ${REQUIRED.join(', ')}`);
  const warnings: string[] = [];
  const rel = (...parts: string[]) => path.join(...parts);
  const layout: ExportLayout = existsSync(path.join(dir, 'unet', 'config.json')) ? 'optimum' : 'legacy';
  const files = [MODEL_INDEX_FILE, rel('scheduler', 'scheduler_config.json')];
  const { schedule, prediction } = readScheduler(path.join(dir, 'scheduler', 'scheduler_config.json'), warnings);
  const tokenizer = readTokenizerConfig(path.join(dir, 'tokenizer'), warnings, rel);
  files.push(...tokenizer.files);

  // The UNet: what it takes and how big its latents are.
  const unetFile = path.join(dir, 'unet', 'model.onnx');
  const unet = signatureOf(unetFile);
  const sample = tensor(unetFile, unet, 'inputs', 'sample');
  tensor(unetFile, unet, 'inputs', 'timestep');
  const hidden = tensor(unetFile, unet, 'inputs', 'encoder_hidden_states');
  tensor(unetFile, unet, 'outputs', 'out_sample');
  const extra = unet.inputs.map((v) => v.name).filter((n) => !['sample', 'timestep', 'encoder_hidden_states'].includes(n));
  if (extra.length > 0) throw new PackError(unetFile, '', `takes ${extra.join(', ')}${extra.includes('time_ids') ? " (SDXL's micro-conditioning)" : ''}: not supported yet; Stable Diffusion 1.x / 2.x UNets take sample, timestep and encoder_hidden_states`);
  const unetConfig = partConfig(dir, 'unet');
  if (unetConfig) files.push(rel('unet', 'config.json'));
  const channels = typeof sample.dims[1] === 'number' ? sample.dims[1] : unetConfig?.has('in_channels') ? unetConfig.field('in_channels').positiveInt() : 4;
  const [h, w] = sample.dims.slice(2);
  const fixed = typeof h === 'number' && typeof w === 'number' ? { height: h, width: w } : null;
  let sampleSize: number;
  if (unetConfig?.has('sample_size')) {
    const s = unetConfig.field('sample_size');
    sampleSize = Array.isArray(s.value) ? s.array()[0]!.positiveInt() : s.positiveInt();
  } else if (fixed) sampleSize = fixed.height;
  else {
    sampleSize = 64;
    if (layout === 'optimum') warnings.push(`${unetFile}: no sample_size in unet/config.json: the default size is 512x512 (latents 64x64)`);
  }
  // Latent sides must survive the UNet's downsampling; legacy exports have no config: SD's 3 downsamplings.
  const multiple = unetConfig?.has('block_out_channels') ? levelFactor(unetConfig) : 8;

  // The text encoder: its hidden states condition the UNet.
  const textFile = path.join(dir, 'text_encoder', 'model.onnx');
  const text = signatureOf(textFile);
  tensor(textFile, text, 'inputs', 'input_ids');
  const textHidden = tensor(textFile, text, 'outputs', 'last_hidden_state');
  const [unetWidth, textWidth] = [hidden.dims[2], textHidden.dims[2]];
  if (typeof unetWidth === 'number' && typeof textWidth === 'number' && unetWidth !== textWidth) {
    throw new PackError(unetFile, '', `takes encoder_hidden_states of ${unetWidth} features, but text_encoder/model.onnx gives ${textWidth}: the parts are from different models`);
  }
  if (partConfig(dir, 'text_encoder')) files.push(rel('text_encoder', 'config.json'));

  // The VAE decoder: latents / scaling_factor -> pixels.
  const vaeFile = path.join(dir, 'vae_decoder', 'model.onnx');
  const vae = signatureOf(vaeFile);
  const latentInput = tensor(vaeFile, vae, 'inputs', 'latent_sample');
  tensor(vaeFile, vae, 'outputs', 'sample');
  if (typeof latentInput.dims[1] === 'number' && latentInput.dims[1] !== channels) throw new PackError(vaeFile, '', `decodes latents of ${latentInput.dims[1]} channels, but the UNet makes ${channels}`);
  const vaeConfig = partConfig(dir, 'vae_decoder');
  let scalingFactor = SD_VAE_SCALING_FACTOR;
  let factor = 8;
  if (!vaeConfig && layout === 'optimum') warnings.push(`${path.join(dir, 'vae_decoder')}: no config.json: scaling_factor ${SD_VAE_SCALING_FACTOR} and a factor of 8 (SD 1.x / 2.x) are used`);
  if (vaeConfig) {
    files.push(rel('vae_decoder', 'config.json'));
    if (vaeConfig.has('scaling_factor')) scalingFactor = vaeConfig.field('scaling_factor').number((n) => n > 0, 'a number > 0');
    else warnings.push(`${path.join(dir, 'vae_decoder', 'config.json')}: no scaling_factor: ${SD_VAE_SCALING_FACTOR} (SD 1.x / 2.x) is used`);
    if (vaeConfig.has('block_out_channels')) factor = levelFactor(vaeConfig);
    if (vaeConfig.has('latent_channels') && vaeConfig.field('latent_channels').positiveInt() !== channels) {
      vaeConfig.field('latent_channels').fail(`is ${vaeConfig.field('latent_channels').value}, but the UNet makes latents of ${channels} channels`);
    }
  }

  const sigmas = new DiscreteSigmas(schedule);
  const latent: LatentSpec = { factor, multiple, fixed, preview_rgb: channels === SD_LATENT_RGB.length ? SD_LATENT_RGB : null };
  const manifest: PackManifest = {
    format: PACK_FORMAT,
    name: path.basename(dir),
    description: `${pipelineClass} (${layout === 'optimum' ? "Optimum's" : 'the legacy diffusers'} ONNX layout, ${prediction === 'eps' ? 'epsilon' : 'v'}-prediction), read in place from ${dir}`,
    encoders: [
      {
        name: 'text_encoder',
        kind: 'clip-text',
        model: rel('text_encoder', 'model.onnx'),
        tokenizer: { vocab: rel('tokenizer', 'vocab.json'), merges: rel('tokenizer', 'merges.txt') },
        pad_token: tokenizer.pad,
        max_tokens: tokenizer.maxTokens,
        outputs: { last_hidden_state: 'encoder_hidden_states' },
      },
    ],
    base: {
      channels,
      size: sampleSize,
      latent,
      experts: [
        {
          name: 'unet',
          model: rel('unet', 'model.onnx'),
          tensors: { x: 'sample', noise: 'timestep', output: 'out_sample' },
          sigma_lo: 0,
          sigma_hi: null,
          parameterization: { type: prediction, schedule },
          inputs: ['encoder_hidden_states'],
          max_batch: 8,
        },
      ],
    },
    decode: { name: 'decode', model: rel('vae_decoder', 'model.onnx'), scaling_factor: scalingFactor, tensors: { input: 'latent_sample', output: 'sample' } },
    super_resolution: [],
    // diffusers' default guidance (7.5); DPM++ 2M over a Karras schedule of the training sigmas, as A1111 does.
    defaults: { sampler: 'dpmpp-2m', steps: 25, sigma_min: sigmas.sigmaMin, sigma_max: sigmas.sigmaMax, rho: 7, guidance: 7.5, paint_weight: 1 },
  };
  return { file, manifest, layout, warnings, files };
}
