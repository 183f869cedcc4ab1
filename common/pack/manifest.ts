/**
 * The model-pack manifest (`pack.json`), as Triton's model repository has a config per model.
 * A pack is a folder: this manifest plus the ONNX files and tokenizers it names (paths relative
 * to the folder). Field names are snake_case, as written in the JSON.
 *
 * ONNX conventions the loader checks:
 * - a base or SR expert takes `x` [B, C, H, W] float32 and `sigma` [B] (parameterization `edm`)
 *   or `timestep` [B] (`eps`, `v`), plus each conditioning input it lists (SR experts also take
 *   `low_res` [B, C, h, w]); it returns `denoised` (edm), `eps` or `v`;
 * - a text encoder takes `input_ids` int64 [B, max_tokens]; an image encoder takes `image`
 *   float32 [B, 3, image_size, image_size] in [-1, 1]; their outputs are mapped to
 *   conditioning names by `outputs`;
 * - an expert whose model uses other names for x, the noise level, its output or its
 *   conditioning inputs says so in `tensors` (a Stable Diffusion UNet: `sample`, `timestep`,
 *   `out_sample`);
 * - a latent pack has `base.latent` and a `decode` stage (a VAE decoder, `latent_sample` ->
 *   `sample` unless `tensors` says otherwise); its SR stages start at the decoded default size.
 *
 * A Stable Diffusion export folder needs no pack.json: export.ts reads it into this same form;
 * an ensemble of export folders (`ediff-ensemble/1`, ensemble.ts) is composed into it too.
 */
import type { DiscreteSchedule, TimestepSpacing } from '../sampling/discrete-schedule.ts';
import type { SamplerName } from '../sampling/samplers.ts';

export type { DiscreteSchedule } from '../sampling/discrete-schedule.ts';

export const PACK_FORMAT = 'ediff-pack/1';
export const MANIFEST_FILE = 'pack.json';

/**
 * What the network predicts, and so how an expert node turns it into D(x, sigma):
 * - `edm`: the graph applies EDM preconditioning itself and returns D;
 * - `eps`: k-diffusion's DiscreteEpsDDPMDenoiser (input x / sqrt(sigma^2 + 1), output noise);
 * - `v`: k-diffusion's DiscreteVDDPMDenoiser (v-prediction, sigma_data 1).
 */
export type Parameterization = { type: 'edm' } | { type: 'eps'; schedule: DiscreteSchedule } | { type: 'v'; schedule: DiscreteSchedule };

export type EncoderKind = 't5-text' | 'clip-text' | 'clip-image';

/** CLIP's byte-pair encoding as real exports ship it: `vocab.json` and `merges.txt`. */
export interface ClipBpeFiles {
  vocab: string;
  merges: string;
}

/** A tokenizer.json (the Hugging Face tokenizers format), or CLIP's two files. */
export type TokenizerFiles = string | ClipBpeFiles;

export interface EncoderSpec {
  name: string;
  kind: EncoderKind;
  model: string;
  /** Text encoders only. */
  tokenizer?: TokenizerFiles;
  /** The token prompts are padded with. @default CLIP's end token (clip-text), `<pad>` (t5-text) */
  pad_token?: string;
  /** Sequence length the text encoder takes (padded / truncated). */
  max_tokens?: number;
  /** Side of the square image the image encoder takes. */
  image_size?: number;
  /** ONNX output name -> conditioning name. */
  outputs: Record<string, string>;
}

/** The ONNX names of an expert's own tensors, where they are not ediff's (`x`, `sigma` or `timestep`, `denoised`, `eps` or `v`). */
export interface ExpertTensorNames {
  x: string;
  noise: string;
  output: string;
  /** The ONNX input each conditioning input is fed to, where the names differ (an ensemble's `base.text_embeds` -> `text_embeds`). */
  inputs?: Record<string, string>;
}

export interface ExpertSpec {
  name: string;
  model: string;
  /** @default ediff's names (see expertIo) */
  tensors?: ExpertTensorNames;
  /** Lower end of the sigma range the expert owns (inclusive). */
  sigma_lo: number;
  /** Upper end (exclusive); null = infinity. */
  sigma_hi: number | null;
  parameterization: Parameterization;
  /** Conditioning inputs the expert consumes: encoder outputs, derived conditioning, `paint`, `paint_weight`. */
  inputs: string[];
  /** Classifier-free guidance scale for this expert; falls back to the pack default. */
  guidance?: number;
  /** Dynamic batcher: largest batch. @default 32 */
  max_batch?: number;
  /** Dynamic batcher: longest wait for a fuller batch, in ms. @default 2 */
  max_delay_ms?: number;
}

/** The values SDXL's micro-conditioning (`time_ids`) is made of, in the order a pack lists them. */
export const MICRO_FIELDS = ['original_height', 'original_width', 'crop_top', 'crop_left', 'target_height', 'target_width', 'aesthetic_score'] as const;
export type MicroField = (typeof MICRO_FIELDS)[number];

/**
 * Conditioning the pipeline makes for each branch out of encoder outputs and the request (the
 * encoder node serves it beside the encoders' own outputs):
 * - `join`: encoder outputs concatenated on their last (feature) axis, in order: SDXL's base
 *   takes CLIP-L's and OpenCLIP bigG's penultimate hidden states as one 2048-wide sequence. With
 *   `zero_for_empty_negative`, the negative branch of an empty negative prompt is all zeros
 *   instead (diffusers' `force_zeros_for_empty_prompt`);
 * - `time_ids`: the listed micro-conditioning values as a vector (SDXL's base: original size,
 *   crop, target size; its refiner: original size, crop, aesthetic score).
 */
export type DerivedConditioning = { name: string; join: string[]; zero_for_empty_negative?: boolean } | { name: string; time_ids: MicroField[] };

export interface SamplingDefaults {
  sampler: SamplerName;
  steps: number;
  sigma_min: number;
  sigma_max: number;
  /** @default 7 */
  rho: number;
}

export interface SuperResolutionStage extends SamplingDefaults {
  name: string;
  from_size: number;
  size: number;
  experts: ExpertSpec[];
}

/** Paint-with-words: which token sequence the masks index, and the mask resolution. */
export interface PaintSpec {
  /** The conditioning name of the token sequence (e.g. `t5_tokens`). */
  tokens: string;
  /** The encoder whose tokenizer turns phrases into token positions. */
  encoder: string;
  /** Side of the square mask tensor the experts take. */
  size: number;
}

/**
 * A base stage that denoises latents (Stable Diffusion's), which a decode stage turns into
 * pixels. Its `size` is the default latent side; requests choose width and height.
 */
export interface LatentSpec {
  /** Pixels per latent cell along each side (the VAE decoder's upsampling: 8 for SD). */
  factor: number;
  /** Latent sides must be multiples of this (the UNet's downsampling: 8 for SD). */
  multiple: number;
  /** Latent sides the UNet is fixed to (a static export), or null when it takes any. */
  fixed: { height: number; width: number } | null;
  /** A linear latent -> RGB map ([channels][3]) for cheap previews; null: no previews. */
  preview_rgb: number[][] | null;
}

/** The image stage that turns the base stage's latents into pixels: a VAE decoder. */
export interface DecodeStage {
  name: string;
  model: string;
  /** The latents are divided by it before decoding (0.18215 for SD 1.x / 2.x). */
  scaling_factor: number;
  /** ONNX names of the decoder's latent input and its image output. */
  tensors: { input: string; output: string };
  /** Run a float16 decoder in float32 (diffusers' `force_upcast`: SDXL's VAE overflows in float16). */
  upcast?: boolean;
}

export interface PackManifest {
  format: typeof PACK_FORMAT;
  name: string;
  description?: string;
  encoders: EncoderSpec[];
  base: { channels: number; size: number; experts: ExpertSpec[]; latent?: LatentSpec };
  /** Runs right after the base stage of a latent pack. */
  decode?: DecodeStage;
  paint?: PaintSpec;
  super_resolution: SuperResolutionStage[];
  /** Conditioning made from encoder outputs and the request (see DerivedConditioning). */
  conditioning?: DerivedConditioning[];
  /** Output sizes the pack's models were trained for, [width, height] (SDXL's aspect-ratio buckets); the default first. */
  recommended_sizes?: [number, number][];
  /**
   * `timesteps`: how the export's diffusers scheduler spaces n steps over the training timesteps,
   * for requests that ask for that sigma schedule instead of Karras's (exports only).
   */
  defaults: SamplingDefaults & { guidance: number; paint_weight: number; timesteps?: TimestepSpacing };
}

/** The image stages an sr-node can serve (`--stage NAME`): the decode stage, then each SR stage. */
export const imageStageNames = (m: PackManifest): string[] => [...(m.decode ? [m.decode.name] : []), ...m.super_resolution.map((s) => s.name)];

/** Channels of the images SR stages take and make: RGB after a decode stage, else the base stage's. */
export const imageChannels = (m: PackManifest): number => (m.decode ? 3 : m.base.channels);

/** Every expert of the pack: the base stage's, then each SR stage's. */
export const allExperts = (m: PackManifest): ExpertSpec[] => [...m.base.experts, ...m.super_resolution.flatMap((s) => s.experts)];

/**
 * The encoders whose outputs some expert consumes (directly, or through derived conditioning),
 * or whose tokenizer paint-with-words uses: the only ones the encoder node loads and runs.
 */
export function usedEncoders(m: PackManifest): EncoderSpec[] {
  const consumed = new Set(allExperts(m).flatMap((e) => e.inputs));
  for (const d of m.conditioning ?? []) if ('join' in d && consumed.has(d.name)) for (const name of d.join) consumed.add(name);
  return m.encoders.filter((e) => e.name === m.paint?.encoder || Object.values(e.outputs).some((name) => consumed.has(name)));
}

/** Guidance of an SR expert that sets none: SR stages run unguided unless the pack says otherwise. */
export const SR_DEFAULT_GUIDANCE = 1;

/** Inputs an expert may list besides encoder outputs. */
export const BUILTIN_EXPERT_INPUTS = ['paint', 'paint_weight'] as const;

/** Does the expert's half-open range [sigma_lo, sigma_hi) hold sigma? */
export const ownsSigma = (e: Pick<ExpertSpec, 'sigma_lo' | 'sigma_hi'>, sigma: number) => e.sigma_lo <= sigma && (e.sigma_hi === null || sigma < e.sigma_hi);

/** The item whose expert range holds sigma. Ranges are validated to tile [0, inf). */
export function expertFor<E>(experts: readonly E[], sigma: number, specOf: (e: E) => Pick<ExpertSpec, 'sigma_lo' | 'sigma_hi'>): E {
  const expert = experts.find((e) => ownsSigma(specOf(e), sigma));
  if (expert === undefined) throw new RangeError(`no expert owns sigma ${sigma}`);
  return expert;
}

/** The ONNX input a conditioning input of an expert is fed to. */
export const expertInputName = (e: Pick<ExpertSpec, 'tensors'>, conditioning: string): string => e.tensors?.inputs?.[conditioning] ?? conditioning;

/** The ONNX names of an expert's input, its noise-level input and the output it returns. */
export function expertIo(e: Pick<ExpertSpec, 'parameterization' | 'tensors'>): ExpertTensorNames {
  if (e.tensors) return e.tensors;
  const p = e.parameterization;
  return p.type === 'edm' ? { x: 'x', noise: 'sigma', output: 'denoised' } : { x: 'x', noise: 'timestep', output: p.type };
}
