/**
 * Reading a Stable Diffusion ONNX export folder as it ships, as a pack (no conversion step):
 * Hugging Face Optimum's layout (`unet/`, `text_encoder/`, `vae_decoder/`, `tokenizer/`,
 * `scheduler/`, a `config.json` beside each model) or the legacy diffusers one
 * (`OnnxStableDiffusionPipeline`: no per-part config, the UNet's weights in `weights.pb`). Parts
 * are found by folder, not by model_index.json's keys; the facts are in ../shared/EXPORTS.md.
 *
 * The result is an ordinary PackManifest: the CLIP text encoders (vocab.json + merges.txt), one
 * expert (the UNet, eps or v from the scheduler config, owning every sigma), a latent base stage
 * and a decode stage (the VAE decoder). SDXL's exports (text_encoder_2/, a UNet that takes
 * text_embeds and time_ids) add the conditioning their UNet is fed: the encoders' penultimate
 * hidden states joined, bigG's pooled embedding, and the time_ids (the base's 6, the refiner's 5).
 * Every missing file or field is a PackError naming it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PackError } from '../errors.ts';
import { DiscreteSigmas, type DiscreteSchedule, type TimestepSpacing } from '../sampling/discrete-schedule.ts';
import { Reader, readJsonFile } from './json-reader.ts';
import { PACK_FORMAT, type DerivedConditioning, type LatentSpec, type MicroField, type PackManifest } from './manifest.ts';
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
const DDPM_DEFAULTS = { num_train_timesteps: 1000, beta_start: 0.0001, beta_end: 0.02, beta_schedule: 'linear', prediction_type: 'epsilon', timestep_spacing: 'leading', steps_offset: 0 } as const;
const LINSPACE_DEFAULTS = { ...DDPM_DEFAULTS, timestep_spacing: 'linspace' } as const;
const LCM_DEFAULTS = { ...DDPM_DEFAULTS, beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear' } as const;
const SCHEDULER_DEFAULTS: Record<string, Record<string, string | number>> = Object.fromEntries([
  ...['DDPMScheduler', 'DDIMScheduler', 'PNDMScheduler'].map((c) => [c, DDPM_DEFAULTS]),
  ...['LMSDiscreteScheduler', 'EulerDiscreteScheduler', 'EulerAncestralDiscreteScheduler', 'DPMSolverMultistepScheduler', 'DPMSolverSinglestepScheduler', 'DPMSolverSDEScheduler',
    'HeunDiscreteScheduler', 'KDPM2DiscreteScheduler', 'KDPM2AncestralDiscreteScheduler', 'UniPCMultistepScheduler', 'DEISMultistepScheduler'].map((c) => [c, LINSPACE_DEFAULTS]),
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

/** The folders and files every export must have, in the order they are checked (a text encoder too, see TEXT_ENCODERS). */
const REQUIRED = ['unet/model.onnx', 'vae_decoder/model.onnx', 'scheduler/scheduler_config.json'];

/** The text encoders an export may have, each with its tokenizer folder: SD's CLIP; SDXL adds OpenCLIP bigG (its refiner has bigG alone). */
const TEXT_ENCODERS = [
  { name: 'text_encoder', tokenizer: 'tokenizer' },
  { name: 'text_encoder_2', tokenizer: 'tokenizer_2' },
] as const;

/**
 * SDXL's latent -> RGB map for cheap previews (its VAE's latents are not SD's): the coefficients
 * ComfyUI's and the AUTOMATIC1111 web UI's SDXL "approximate" previews use.
 */
export const SDXL_LATENT_RGB = [
  [0.3651, 0.4232, 0.4341],
  [-0.2533, -0.0042, 0.1068],
  [0.1076, 0.1111, -0.0362],
  [-0.3165, -0.2492, -0.2188],
];

/** SDXL's aspect-ratio buckets near one megapixel, [width, height], the square first (the sizes its UNets were trained at). */
export const SDXL_SIZES: [number, number][] = [
  [1024, 1024],
  [1152, 896],
  [896, 1152],
  [1216, 832],
  [832, 1216],
  [1344, 768],
  [768, 1344],
  [1536, 640],
  [640, 1536],
];

/** SDXL's time_ids: the base's [orig_h, orig_w, crop_top, crop_left, target_h, target_w]; the refiner's ends with the aesthetic score instead of the target size. */
const BASE_TIME_IDS: MicroField[] = ['original_height', 'original_width', 'crop_top', 'crop_left', 'target_height', 'target_width'];
const REFINER_TIME_IDS: MicroField[] = ['original_height', 'original_width', 'crop_top', 'crop_left', 'aesthetic_score'];

/** The training schedule and what the network predicts, from scheduler_config.json. */
export function readScheduler(file: string, warnings: string[]): { schedule: DiscreteSchedule; prediction: 'eps' | 'v'; timesteps: TimestepSpacing } {
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
  // Only the opt-in `timesteps` sigma schedule uses these: the class default stands without a warning (older configs lack them).
  const quiet = (key: string) => (r.has(key) && r.field(key).value !== null ? r.field(key) : new Reader(file, (defaults ?? DDPM_DEFAULTS)[key], key));
  const timesteps: TimestepSpacing = {
    spacing: quiet('timestep_spacing').oneOf(['leading', 'trailing', 'linspace'] as const, 'timestep spacing'),
    steps_offset: quiet('steps_offset').number((n) => Number.isInteger(n) && n >= 0, 'a whole number >= 0'),
  };
  return { schedule, prediction: prediction === 'epsilon' ? 'eps' : 'v', timesteps };
}

/** A tokenizer's special token as its config writes it: a string, or an AddedToken object with `content`. */
function tokenText(r: Reader): string {
  return typeof r.value === 'string' ? r.string() : r.field('content').string();
}

/** The pad token and sequence length of the export's tokenizer folder `folder`, from tokenizer_config.json and special_tokens_map.json. */
function readTokenizerConfig(root: string, folder: string, warnings: string[]): { pad: string; maxTokens: number; files: string[] } {
  const dir = path.join(root, folder);
  const files: string[] = [];
  let pad: string | null = null;
  let maxTokens = 77;
  for (const name of ['special_tokens_map.json', 'tokenizer_config.json']) {
    const file = path.join(dir, name);
    if (!existsSync(file)) continue;
    files.push(path.join(folder, name));
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

/** The highest N of a model's `hidden_states.N` outputs (its last layer), or null when it has none. */
function lastHiddenLayer(sig: ModelSignature): number | null {
  const layers = sig.outputs.map((v) => /^hidden_states\.(\d+)$/.exec(v.name)?.[1]).filter((n): n is string => n !== undefined).map(Number);
  return layers.length > 0 ? Math.max(...layers) : null;
}

/** A text encoder of the export, as found on disk. */
interface FoundEncoder {
  name: string;
  file: string;
  sig: ModelSignature;
  tokenizer: { dir: string; pad: string; maxTokens: number };
}

export interface ReadExportOptions {
  /**
   * The expert's name in an ensemble: the expert is named so, and its encoders and conditioning
   * are prefixed with it (`base.text_encoder`), so that several exports compose into one pack.
   * @default none: the expert is `unet`, names are unprefixed
   */
  part?: string;
}

export function readExport(dir: string, options: ReadExportOptions = {}): ReadExport {
  const file = path.join(dir, MODEL_INDEX_FILE);
  const index = readJsonFile(file);
  const pipelineClass = index.field('_class_name').string();
  for (const rel of REQUIRED) if (!existsSync(path.join(dir, rel))) throw new PackError(path.join(dir, rel), '', `missing: a Stable Diffusion ONNX export has ${REQUIRED.join(', ')} and a text encoder`);
  const prefix = options.part ? `${options.part}.` : '';
  const warnings: string[] = [];
  const rel = (...parts: string[]) => path.join(...parts);
  const layout: ExportLayout = existsSync(path.join(dir, 'unet', 'config.json')) ? 'optimum' : 'legacy';
  const files = [MODEL_INDEX_FILE, rel('scheduler', 'scheduler_config.json')];
  const { schedule, prediction, timesteps } = readScheduler(path.join(dir, 'scheduler', 'scheduler_config.json'), warnings);

  // The text encoders there are, each with its tokenizer.
  const encoders: FoundEncoder[] = [];
  for (const { name, tokenizer } of TEXT_ENCODERS) {
    const modelFile = path.join(dir, name, 'model.onnx');
    if (!existsSync(modelFile)) continue;
    for (const f of ['vocab.json', 'merges.txt']) if (!existsSync(path.join(dir, tokenizer, f))) throw new PackError(path.join(dir, tokenizer, f), '', `missing: ${name}/ needs its tokenizer (${tokenizer}/vocab.json and merges.txt)`);
    const sig = signatureOf(modelFile);
    tensor(modelFile, sig, 'inputs', 'input_ids');
    const config = readTokenizerConfig(dir, tokenizer, warnings);
    files.push(...config.files);
    if (partConfig(dir, name)) files.push(rel(name, 'config.json'));
    encoders.push({ name, file: modelFile, sig, tokenizer: { dir: tokenizer, pad: config.pad, maxTokens: config.maxTokens } });
  }
  if (encoders.length === 0) throw new PackError(path.join(dir, 'text_encoder', 'model.onnx'), '', 'missing: a Stable Diffusion ONNX export has a text encoder (text_encoder/, and text_encoder_2/ for SDXL)');

  // The UNet: what it takes and how big its latents are.
  const unetFile = path.join(dir, 'unet', 'model.onnx');
  const unet = signatureOf(unetFile);
  const sample = tensor(unetFile, unet, 'inputs', 'sample');
  tensor(unetFile, unet, 'inputs', 'timestep');
  const hidden = tensor(unetFile, unet, 'inputs', 'encoder_hidden_states');
  tensor(unetFile, unet, 'outputs', 'out_sample');
  const sdxl = unet.inputs.some((v) => v.name === 'time_ids');
  const known = ['sample', 'timestep', 'encoder_hidden_states', ...(sdxl ? ['text_embeds', 'time_ids'] : [])];
  const extra = unet.inputs.map((v) => v.name).filter((n) => !known.includes(n));
  if (extra.length > 0) throw new PackError(unetFile, '', `takes ${extra.join(', ')}: not supported; a Stable Diffusion UNet takes ${known.join(', ')}${sdxl ? '' : ' (SDXL adds text_embeds and time_ids)'}`);
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
    sampleSize = sdxl ? 128 : 64;
    if (layout === 'optimum') warnings.push(`${unetFile}: no sample_size in unet/config.json: the default size is ${sampleSize * 8}x${sampleSize * 8} (latents ${sampleSize}x${sampleSize})`);
  }
  // Latent sides must survive the UNet's downsampling; legacy exports have no config: SD's 3 downsamplings.
  const multiple = unetConfig?.has('block_out_channels') ? levelFactor(unetConfig) : 8;

  const expertName = options.part ?? 'unet';
  const output = (e: FoundEncoder, name: string) => `${prefix}${e.name}.${name}`;
  const conditioning: DerivedConditioning[] = [];
  const encoderOutputs = new Map<FoundEncoder, Record<string, string>>(encoders.map((e) => [e, {}]));
  let inputs: Record<string, string>;
  if (!sdxl) {
    // Stable Diffusion 1.x / 2.x: CLIP's last hidden states are the UNet's encoder_hidden_states.
    const clip = encoders.find((e) => e.name === 'text_encoder');
    if (!clip || encoders.length > 1) throw new PackError(unetFile, '', `takes no time_ids, so it is a Stable Diffusion 1.x / 2.x UNet, which is conditioned by text_encoder/ alone; this export has ${encoders.map((e) => `${e.name}/`).join(' and ')}`);
    const textHidden = tensor(clip.file, clip.sig, 'outputs', 'last_hidden_state');
    checkWidth(unetFile, hidden.dims[2], [{ label: 'text_encoder/model.onnx', width: textHidden.dims[2] }]);
    encoderOutputs.get(clip)!.last_hidden_state = `${prefix}encoder_hidden_states`;
    inputs = { [`${prefix}encoder_hidden_states`]: 'encoder_hidden_states' };
  } else {
    // SDXL: the penultimate hidden states of each encoder, joined on the feature axis (the base:
    // CLIP-L's and bigG's, 768 + 1280; the refiner: bigG's), bigG's pooled text_embeds, and time_ids.
    const bigG = encoders.find((e) => e.name === 'text_encoder_2');
    if (!bigG) throw new PackError(path.join(dir, 'text_encoder_2', 'model.onnx'), '', `missing: the UNet takes time_ids and text_embeds (SDXL), which come with text_encoder_2/ (OpenCLIP bigG)`);
    tensor(bigG.file, bigG.sig, 'outputs', 'text_embeds');
    const timeIds = tensor(unetFile, unet, 'inputs', 'time_ids');
    const idCount = timeIds.dims[1];
    if (idCount !== 6 && idCount !== 5) throw new PackError(unetFile, '', `takes time_ids of [${timeIds.dims}]: SDXL's base takes 6 (original size, crop, target size), its refiner 5 (original size, crop, aesthetic score)`);
    const penultimate = (e: FoundEncoder) => {
      const last = lastHiddenLayer(e.sig);
      if (last === null || last < 1) throw new PackError(e.file, '', `has no hidden_states.N outputs: SDXL conditions on each encoder's penultimate layer (export it with its hidden states, as Optimum does)`);
      return { name: `hidden_states.${last - 1}`, width: tensor(e.file, e.sig, 'outputs', `hidden_states.${last - 1}`).dims[2] };
    };
    const joined = encoders.map((e) => ({ e, ...penultimate(e) }));
    checkWidth(unetFile, hidden.dims[2], joined.map((j) => ({ label: `${j.e.name}/model.onnx ${j.name}`, width: j.width })));
    for (const j of joined) encoderOutputs.get(j.e)![j.name] = output(j.e, j.name);
    encoderOutputs.get(bigG)!.text_embeds = output(bigG, 'text_embeds');
    const forceZeros = index.has('force_zeros_for_empty_prompt') ? index.field('force_zeros_for_empty_prompt').boolean() : idCount === 6;
    if (!index.has('force_zeros_for_empty_prompt')) warnings.push(`${file}: no force_zeros_for_empty_prompt: ${forceZeros} is used (as diffusers' SDXL ${idCount === 6 ? 'base' : 'refiner'} exports say)`);
    conditioning.push(
      { name: `${prefix}encoder_hidden_states`, join: joined.map((j) => output(j.e, j.name)), ...(forceZeros && { zero_for_empty_negative: true }) },
      { name: `${prefix}text_embeds`, join: [output(bigG, 'text_embeds')], ...(forceZeros && { zero_for_empty_negative: true }) },
      { name: `${prefix}time_ids`, time_ids: idCount === 6 ? BASE_TIME_IDS : REFINER_TIME_IDS },
    );
    inputs = { [`${prefix}encoder_hidden_states`]: 'encoder_hidden_states', [`${prefix}text_embeds`]: 'text_embeds', [`${prefix}time_ids`]: 'time_ids' };
  }

  // The VAE decoder: latents / scaling_factor -> pixels.
  const vaeFile = path.join(dir, 'vae_decoder', 'model.onnx');
  const vae = signatureOf(vaeFile);
  const latentInput = tensor(vaeFile, vae, 'inputs', 'latent_sample');
  tensor(vaeFile, vae, 'outputs', 'sample');
  if (typeof latentInput.dims[1] === 'number' && latentInput.dims[1] !== channels) throw new PackError(vaeFile, '', `decodes latents of ${latentInput.dims[1]} channels, but the UNet makes ${channels}`);
  const vaeConfig = partConfig(dir, 'vae_decoder');
  let scalingFactor = SD_VAE_SCALING_FACTOR;
  let factor = 8;
  let upcast = false;
  if (!vaeConfig && layout === 'optimum') warnings.push(`${path.join(dir, 'vae_decoder')}: no config.json: scaling_factor ${SD_VAE_SCALING_FACTOR} and a factor of 8 (SD 1.x / 2.x) are used`);
  if (vaeConfig) {
    files.push(rel('vae_decoder', 'config.json'));
    if (vaeConfig.has('scaling_factor')) scalingFactor = vaeConfig.field('scaling_factor').number((n) => n > 0, 'a number > 0');
    else warnings.push(`${path.join(dir, 'vae_decoder', 'config.json')}: no scaling_factor: ${SD_VAE_SCALING_FACTOR} (SD 1.x / 2.x) is used`);
    if (vaeConfig.has('block_out_channels')) factor = levelFactor(vaeConfig);
    if (vaeConfig.has('force_upcast')) upcast = vaeConfig.field('force_upcast').boolean();
    if (vaeConfig.has('latent_channels') && vaeConfig.field('latent_channels').positiveInt() !== channels) {
      vaeConfig.field('latent_channels').fail(`is ${vaeConfig.field('latent_channels').value}, but the UNet makes latents of ${channels} channels`);
    }
  }

  const sigmas = new DiscreteSigmas(schedule);
  const previewRgb = sdxl ? SDXL_LATENT_RGB : SD_LATENT_RGB;
  const latent: LatentSpec = { factor, multiple, fixed, preview_rgb: channels === previewRgb.length ? previewRgb : null };
  const manifest: PackManifest = {
    format: PACK_FORMAT,
    name: path.basename(dir),
    description: `${pipelineClass} (${layout === 'optimum' ? "Optimum's" : 'the legacy diffusers'} ONNX layout, ${prediction === 'eps' ? 'epsilon' : 'v'}-prediction), read in place from ${dir}`,
    encoders: encoders.map((e) => ({
      name: `${prefix}${e.name}`,
      kind: 'clip-text',
      model: rel(e.name, 'model.onnx'),
      tokenizer: { vocab: rel(e.tokenizer.dir, 'vocab.json'), merges: rel(e.tokenizer.dir, 'merges.txt') },
      pad_token: e.tokenizer.pad,
      max_tokens: e.tokenizer.maxTokens,
      outputs: encoderOutputs.get(e)!,
    })),
    base: {
      channels,
      size: sampleSize,
      latent,
      experts: [
        {
          name: expertName,
          model: rel('unet', 'model.onnx'),
          tensors: { x: 'sample', noise: 'timestep', output: 'out_sample', ...(Object.entries(inputs).some(([c, onnx]) => c !== onnx) && { inputs }) },
          sigma_lo: 0,
          sigma_hi: null,
          parameterization: { type: prediction, schedule },
          inputs: Object.keys(inputs),
          max_batch: 8,
        },
      ],
    },
    decode: { name: 'decode', model: rel('vae_decoder', 'model.onnx'), scaling_factor: scalingFactor, tensors: { input: 'latent_sample', output: 'sample' }, ...(upcast && { upcast }) },
    super_resolution: [],
    ...(conditioning.length > 0 && { conditioning }),
    // SDXL's buckets where its UNet is the 1024-pixel one; else the trained size alone.
    recommended_sizes: sdxl && !fixed && sampleSize * factor === 1024 ? SDXL_SIZES : [[(fixed?.width ?? sampleSize) * factor, (fixed?.height ?? sampleSize) * factor]],
    // DPM++ 2M over a Karras schedule of the training sigmas, as A1111 does; diffusers' default guidance (7.5; SDXL's 5).
    defaults: { sampler: 'dpmpp-2m', steps: 25, sigma_min: sigmas.sigmaMin, sigma_max: sigmas.sigmaMax, rho: 7, guidance: sdxl ? 5 : 7.5, paint_weight: 1, timesteps },
  };
  return { file, manifest, layout, warnings, files };
}

/** Checks the UNet's text width is the sum of what the encoders give (where both are known). */
function checkWidth(unetFile: string, want: number | string | undefined, parts: { label: string; width: number | string | undefined }[]): void {
  if (typeof want !== 'number' || !parts.every((p) => typeof p.width === 'number')) return;
  const sum = parts.reduce((n, p) => n + (p.width as number), 0);
  if (sum !== want) throw new PackError(unetFile, '', `takes encoder_hidden_states of ${want} features, but ${parts.map((p) => `${p.label} gives ${p.width}`).join(' and ')}: the parts are from different models`);
}
