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
 *   conditioning names by `outputs`.
 */
import type { SamplerName } from '../sampling/samplers.ts';

export const PACK_FORMAT = 'ediff-pack/1';
export const MANIFEST_FILE = 'pack.json';

/** A discrete-time training schedule (DDPM betas), for `eps` and `v` parameterizations. */
export interface DiscreteSchedule {
  beta_schedule: 'linear' | 'scaled_linear';
  beta_start: number;
  beta_end: number;
  /** Number of training timesteps. @default 1000 */
  timesteps: number;
}

/**
 * What the network predicts, and so how an expert node turns it into D(x, sigma):
 * - `edm`: the graph applies EDM preconditioning itself and returns D;
 * - `eps`: k-diffusion's DiscreteEpsDDPMDenoiser (input x / sqrt(sigma^2 + 1), output noise);
 * - `v`: k-diffusion's DiscreteVDDPMDenoiser (v-prediction, sigma_data 1).
 */
export type Parameterization = { type: 'edm' } | { type: 'eps'; schedule: DiscreteSchedule } | { type: 'v'; schedule: DiscreteSchedule };

export type EncoderKind = 't5-text' | 'clip-text' | 'clip-image';

export interface EncoderSpec {
  name: string;
  kind: EncoderKind;
  model: string;
  /** tokenizer.json (text encoders only). */
  tokenizer?: string;
  /** Sequence length the text encoder takes (padded / truncated). */
  max_tokens?: number;
  /** Side of the square image the image encoder takes. */
  image_size?: number;
  /** ONNX output name -> conditioning name. */
  outputs: Record<string, string>;
}

export interface ExpertSpec {
  name: string;
  model: string;
  /** Lower end of the sigma range the expert owns (inclusive). */
  sigma_lo: number;
  /** Upper end (exclusive); null = infinity. */
  sigma_hi: number | null;
  parameterization: Parameterization;
  /** Conditioning inputs the expert consumes: encoder outputs, `paint`, `paint_weight`. */
  inputs: string[];
  /** Classifier-free guidance scale for this expert; falls back to the pack default. */
  guidance?: number;
  /** Dynamic batcher: largest batch. @default 32 */
  max_batch?: number;
  /** Dynamic batcher: longest wait for a fuller batch, in ms. @default 2 */
  max_delay_ms?: number;
}

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

export interface PackManifest {
  format: typeof PACK_FORMAT;
  name: string;
  description?: string;
  encoders: EncoderSpec[];
  base: { channels: number; size: number; experts: ExpertSpec[] };
  paint?: PaintSpec;
  super_resolution: SuperResolutionStage[];
  defaults: SamplingDefaults & { guidance: number; paint_weight: number };
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

/** The ONNX input the noise level is fed through, and the output the model returns. */
export function expertIo(p: Parameterization): { noiseInput: 'sigma' | 'timestep'; output: 'denoised' | 'eps' | 'v' } {
  return p.type === 'edm' ? { noiseInput: 'sigma', output: 'denoised' } : { noiseInput: 'timestep', output: p.type };
}
