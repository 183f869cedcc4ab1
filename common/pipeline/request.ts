/**
 * A generation request, and its resolution against a pack: defaults filled in, every field
 * checked, errors naming the field (InvalidArgumentError).
 */
import { InvalidArgumentError } from '../errors.ts';
import type { MicroField, PackManifest, SuperResolutionStage } from '../pack/manifest.ts';
import type { MicroConditioning } from './conditioning.ts';
import { DiscreteSigmas } from '../sampling/discrete-schedule.ts';
import { karrasSigmas } from '../sampling/schedule.ts';
import { MAX_SEED } from '../rng.ts';
import { SAMPLERS, isSamplerName, type SamplerName } from '../sampling/samplers.ts';
import type { Tensor } from '../tensor.ts';

export const MAX_PROMPT_CHARS = 4096;
export const MAX_STEPS = 1000;
export const MAX_GUIDANCE = 100;
export const MAX_PAINT_WEIGHT = 100;
/** Paint-with-words regions one request may have. */
export const MAX_PAINT_REGIONS = 32;
/** The pixels all of a request's paint masks may have together (16 masks of 2048x2048). */
export const MAX_PAINT_PIXELS = 16 * 2048 * 2048;
/** The largest width or height a latent pack is asked for, in pixels. */
export const MAX_SIDE = 4096;

export interface PaintRegion {
  /** Words of the prompt the region is for. */
  phrase: string;
  /** PNG / JPEG / WebP bytes; white marks the region. */
  mask: Uint8Array;
}

export interface GenerateRequest {
  prompt: string;
  /** What the image must not show; the unconditional branch of classifier-free guidance. @default '' */
  negativePrompt?: string;
  /** Switch to another prompt once this fraction of the steps has run (eDiff-I's prompt switching). */
  promptSwitch?: { prompt: string; atFraction: number };
  /** 32-bit unsigned seed of every random draw of the job. @default a random seed */
  seed?: number;
  /** Initial noise [C, H, W] of the base stage (unit variance) instead of drawing it from the seed. */
  noise?: Tensor;
  /** @default the pack's default sampler */
  sampler?: string;
  /** @default the pack's default steps */
  steps?: number;
  /** Classifier-free guidance scale for every base expert. @default each expert's scale from the pack */
  guidance?: number;
  /** Output side in pixels (square): the base size or an SR stage's size; for a latent pack, width and height at once. @default the largest */
  size?: number;
  /** Latent packs: output width in pixels, a multiple of the pack's step (8 for SD). @default the UNet's sample_size x 8 */
  width?: number;
  /** Latent packs: output height in pixels. @default the UNet's sample_size x 8 */
  height?: number;
  /** A style reference image (PNG / JPEG / WebP bytes). */
  style?: Uint8Array;
  paint?: PaintRegion[];
  /** @default the pack's paint_weight */
  paintWeight?: number;
  /** Guidance scale of single base experts by name (SDXL: `base`, `refiner`); wins over `guidance`. */
  expertGuidance?: Record<string, number>;
  /** SDXL micro-conditioning: the size the image is said to come from. @default the output's width and height */
  originalWidth?: number;
  originalHeight?: number;
  /** SDXL micro-conditioning: the crop's top-left corner in the original. @default 0, 0 */
  cropTop?: number;
  cropLeft?: number;
  /** SDXL refiner: the aesthetic score the image is conditioned on. @default 6 */
  aestheticScore?: number;
  /** SDXL refiner: the aesthetic score of the negative branch. @default 2.5 */
  negativeAestheticScore?: number;
  /**
   * The base stage's sigmas: `karras` (over the pack's sigma range, as k-diffusion and A1111), or
   * `timesteps` (exports: the training timesteps the export's diffusers scheduler picks, so that
   * a refiner's `denoising_end` splits the steps as in diffusers). @default 'karras'
   */
  sigmaSchedule?: SigmaScheduleName;
  /** Queued interactive jobs start before batch ones. @default 'interactive' */
  priority?: JobPriority;
}

export const JOB_PRIORITIES = ['interactive', 'batch'] as const;
export type JobPriority = (typeof JOB_PRIORITIES)[number];

/** A request's priority (interactive by default); another value is INVALID_ARGUMENT. */
export function jobPriority(r: Pick<GenerateRequest, 'priority'>): JobPriority {
  const priority = r.priority ?? 'interactive';
  if (!JOB_PRIORITIES.includes(priority)) throw new InvalidArgumentError('priority', `must be one of ${JOB_PRIORITIES.join(', ')}, got ${JSON.stringify(priority)}`);
  return priority;
}

export const SIGMA_SCHEDULES = ['karras', 'timesteps'] as const;
export type SigmaScheduleName = (typeof SIGMA_SCHEDULES)[number];

/** SDXL's defaults (diffusers' StableDiffusionXLImg2ImgPipeline). */
export const DEFAULT_AESTHETIC_SCORE = 6;
export const DEFAULT_NEGATIVE_AESTHETIC_SCORE = 2.5;
export const MAX_AESTHETIC_SCORE = 10;

export interface ResolvedRequest {
  prompt: string;
  negativePrompt: string;
  promptSwitch: { prompt: string; atFraction: number } | null;
  seed: number;
  noise: Tensor | null;
  sampler: SamplerName;
  steps: number;
  guidance: number | null;
  expertGuidance: Record<string, number>;
  /** The base stage's sigmas (steps + 1 values, the last 0). */
  sigmas: Float64Array;
  /** The time_ids values of each branch (packs with micro-conditioning), else null. */
  micro: { cond: MicroConditioning; uncond: MicroConditioning } | null;
  /** The output image's width and height in pixels. */
  width: number;
  height: number;
  /** [C, H, W] of the base stage's sample (pixels, or latents). */
  baseDims: number[];
  /** The SR stages the job runs, in order. */
  stages: SuperResolutionStage[];
  style: Uint8Array | null;
  paint: PaintRegion[];
  paintWeight: number;
}

/**
 * The square output sizes a pack makes: the base stage's (for a latent pack, decoded at the size
 * it was trained at; any multiple of sizeStep works too), then each SR stage's.
 */
export const availableSizes = (m: PackManifest) => [m.base.size * (m.base.latent?.factor ?? 1), ...m.super_resolution.map((s) => s.size)];

/** Latent packs: widths and heights must be multiples of this many pixels. */
export const sizeStep = (m: PackManifest) => (m.base.latent ? m.base.latent.factor * m.base.latent.multiple : null);

/** A prompt within the length limit (INVALID_ARGUMENT naming `field` otherwise). */
export function checkPrompt(field: string, value: unknown): string {
  if (typeof value !== 'string') throw new InvalidArgumentError(field, 'must be a string');
  if (value.length > MAX_PROMPT_CHARS) throw new InvalidArgumentError(field, `is ${value.length} characters long; the limit is ${MAX_PROMPT_CHARS}`);
  return value;
}

function checkNumber(field: string, value: number, lo: number, hi: number, integer = false): number {
  if (!Number.isFinite(value) || value < lo || value > hi || (integer && !Number.isInteger(value))) {
    throw new InvalidArgumentError(field, `must be ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}], got ${value}`);
  }
  return value;
}

/** The output's width and height, the base stage's dims and the SR stages to run. */
function resolveSize(m: PackManifest, r: GenerateRequest): Pick<ResolvedRequest, 'width' | 'height' | 'baseDims' | 'stages'> {
  const sizes = availableSizes(m);
  const latent = m.base.latent;
  if (!latent) {
    let size = r.size ?? sizes[sizes.length - 1]!;
    if (r.width !== undefined || r.height !== undefined) {
      const width = r.width ?? r.height!;
      const height = r.height ?? r.width!;
      if (width !== height) throw new InvalidArgumentError('width', `pack ${m.name} makes square images only (sizes ${sizes.join(', ')}), got ${width}x${height}`);
      if (r.size !== undefined && r.size !== width) throw new InvalidArgumentError('size', `${r.size} disagrees with width and height (${width}x${height})`);
      size = width;
    }
    if (!sizes.includes(size)) throw new InvalidArgumentError('size', `${size} is not a size this pack makes; choose one of ${sizes.join(', ')}`);
    return { width: size, height: size, baseDims: [m.base.channels, m.base.size, m.base.size], stages: m.super_resolution.filter((s) => s.size <= size) };
  }
  // A square size an SR stage makes: the base stage runs at the size the first SR stage takes.
  const square = r.size ?? (r.width !== undefined && r.width === r.height ? r.width : undefined);
  if (square !== undefined && m.super_resolution.some((s) => s.size === square) && (r.width ?? square) === square && (r.height ?? square) === square) {
    return { width: square, height: square, baseDims: [m.base.channels, m.base.size, m.base.size], stages: m.super_resolution.filter((s) => s.size <= square) };
  }
  const step = sizeStep(m)!;
  const side = (field: 'width' | 'height') => {
    const given = r[field] !== undefined ? field : r.size !== undefined ? 'size' : null;
    const value = r[field] ?? r.size ?? m.base.size * latent.factor;
    if (!Number.isInteger(value) || value < step || value > MAX_SIDE || value % step !== 0) {
      throw new InvalidArgumentError(given ?? field, `must be a multiple of ${step} in [${step}, ${MAX_SIDE}] for pack ${m.name}, got ${value}`);
    }
    return value;
  };
  const width = side('width');
  const height = side('height');
  const fixed = latent.fixed;
  if (fixed && (width !== fixed.width * latent.factor || height !== fixed.height * latent.factor)) {
    throw new InvalidArgumentError('width', `pack ${m.name}'s UNet was exported for ${fixed.width * latent.factor}x${fixed.height * latent.factor} only, got ${width}x${height}`);
  }
  return { width, height, baseDims: [m.base.channels, height / latent.factor, width / latent.factor], stages: [] };
}

/** Checks the dims of one base-stage sample (an evaluation's x) against the pack: InvalidArgumentError naming `field`. */
export function checkBaseDims(m: PackManifest, field: string, dims: readonly number[]): void {
  const latent = m.base.latent;
  const C = m.base.channels;
  if (!latent) {
    const want = [C, m.base.size, m.base.size];
    if (dims.join() !== want.join()) throw new InvalidArgumentError(field, `must have shape [${want}], got [${dims}]`);
    return;
  }
  const [c, h, w] = dims;
  const fits = (n: number | undefined) => n !== undefined && n > 0 && n % latent.multiple === 0 && n * latent.factor <= MAX_SIDE;
  if (dims.length !== 3 || c !== C || !fits(h) || !fits(w) || (latent.fixed && (h !== latent.fixed.height || w !== latent.fixed.width))) {
    const sides = latent.fixed ? `${latent.fixed.height}, ${latent.fixed.width}` : `H, W] with H and W multiples of ${latent.multiple} up to ${MAX_SIDE / latent.factor}`;
    throw new InvalidArgumentError(field, `must have shape [${C}, ${sides}${latent.fixed ? ']' : ''}, got [${dims}]`);
  }
}

/** The micro-conditioning fields a pack's time_ids take. */
const microFields = (m: PackManifest): Set<MicroField> => new Set((m.conditioning ?? []).flatMap((d) => ('time_ids' in d ? d.time_ids : [])));

/** What requests to this pack may use (DescribePipeline's features; a request for another is refused). */
export function packFeatures(m: PackManifest): string[] {
  const latent = m.base.latent;
  const micro = microFields(m);
  return [
    'negative-prompt',
    'prompt-switch',
    'guidance-per-expert',
    ...(m.encoders.some((e) => e.kind === 'clip-image') ? ['style-image'] : []),
    ...(m.paint ? ['paint-with-words'] : []),
    ...(m.super_resolution.length > 0 ? ['super-resolution'] : []),
    ...(latent ? ['width-height'] : []),
    ...(!latent || latent.preview_rgb ? ['previews'] : []),
    ...(micro.has('original_height') || micro.has('crop_top') ? ['micro-conditioning'] : []),
    ...(micro.has('aesthetic_score') ? ['aesthetic-score'] : []),
    ...(m.defaults.timesteps ? ['timestep-schedule'] : []),
  ];
}

/** The time_ids values of the two branches, or null for a pack without micro-conditioning (which refuses them). */
function resolveMicro(m: PackManifest, r: GenerateRequest, width: number, height: number): ResolvedRequest['micro'] {
  const fields = microFields(m);
  const sizeFields = { originalWidth: 'original_width', originalHeight: 'original_height', cropTop: 'crop_top', cropLeft: 'crop_left' } as const;
  for (const [key, field] of Object.entries(sizeFields)) {
    if (r[key as keyof typeof sizeFields] !== undefined && !fields.has(field)) throw new InvalidArgumentError(field, `pack ${m.name} does not take micro-conditioning (SDXL's original size and crop)`);
  }
  for (const [key, field] of [['aestheticScore', 'aesthetic_score'], ['negativeAestheticScore', 'negative_aesthetic_score']] as const) {
    if (r[key] !== undefined && !fields.has('aesthetic_score')) throw new InvalidArgumentError(field, `pack ${m.name} does not take an aesthetic score (SDXL's refiner does)`);
  }
  if (fields.size === 0) return null;
  const side = (field: string, value: number | undefined, fallback: number) => checkNumber(field, value ?? fallback, 0, 4 * MAX_SIDE, true);
  const shared = {
    original_height: side('original_height', r.originalHeight, height),
    original_width: side('original_width', r.originalWidth, width),
    crop_top: side('crop_top', r.cropTop, 0),
    crop_left: side('crop_left', r.cropLeft, 0),
    target_height: height,
    target_width: width,
  };
  return {
    cond: { ...shared, aesthetic_score: checkNumber('aesthetic_score', r.aestheticScore ?? DEFAULT_AESTHETIC_SCORE, 0, MAX_AESTHETIC_SCORE) },
    uncond: { ...shared, aesthetic_score: checkNumber('negative_aesthetic_score', r.negativeAestheticScore ?? DEFAULT_NEGATIVE_AESTHETIC_SCORE, 0, MAX_AESTHETIC_SCORE) },
  };
}

/** Guidance scales by base expert name; an unknown expert is refused. */
function resolveExpertGuidance(m: PackManifest, given: Record<string, number> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, scale] of Object.entries(given ?? {})) {
    if (!m.base.experts.some((e) => e.name === name)) throw new InvalidArgumentError(`expert_guidance.${name}`, `pack ${m.name} has no base expert ${name} (it has ${m.base.experts.map((e) => e.name).join(', ')})`);
    out[name] = checkNumber(`expert_guidance.${name}`, scale, 0, MAX_GUIDANCE);
  }
  return out;
}

/** The base stage's sigmas for `steps` steps under the named schedule (INVALID_ARGUMENT where the pack has no training timesteps). */
function baseSigmas(m: PackManifest, name: string, steps: number): Float64Array {
  const d = m.defaults;
  if (name === 'karras') return karrasSigmas(steps, d.sigma_min, d.sigma_max, d.rho);
  if (name !== 'timesteps') throw new InvalidArgumentError('sigma_schedule', `unknown sigma schedule ${JSON.stringify(name)}; choose one of ${SIGMA_SCHEDULES.join(', ')}`);
  const discrete = m.base.experts.map((e) => e.parameterization).find((p) => p.type !== 'edm');
  if (!d.timesteps || !discrete) throw new InvalidArgumentError('sigma_schedule', `pack ${m.name} has no diffusers scheduler whose timesteps to follow; use karras`);
  return new DiscreteSigmas(discrete.schedule).timestepSigmas(steps, d.timesteps);
}

export function resolveRequest(m: PackManifest, r: GenerateRequest): ResolvedRequest {
  const sampler = r.sampler ?? m.defaults.sampler;
  if (!isSamplerName(sampler)) throw new InvalidArgumentError('sampler', `unknown sampler ${JSON.stringify(sampler)}; choose one of ${Object.keys(SAMPLERS).join(', ')}`);
  const size = resolveSize(m, r);
  if (r.noise) {
    const want = size.baseDims;
    if (r.noise.dims.join() !== want.join()) throw new InvalidArgumentError('noise', `must have shape [${want}], got [${r.noise.dims}]`);
    const bad = r.noise.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new InvalidArgumentError('noise', `value ${bad} is ${r.noise.data[bad]}; noise must be finite`);
  }
  const paint = r.paint ?? [];
  if (paint.length > MAX_PAINT_REGIONS) throw new InvalidArgumentError('paint', `has ${paint.length} regions; the limit is ${MAX_PAINT_REGIONS}`);
  paint.forEach((p, i) => {
    if (!p.phrase.trim()) throw new InvalidArgumentError(`paint[${i}].phrase`, 'must name words of the prompt');
  });
  if (paint.length > 0 && !m.paint) throw new InvalidArgumentError('paint', `pack ${m.name} does not support paint-with-words`);
  if (r.style && !m.encoders.some((e) => e.kind === 'clip-image')) throw new InvalidArgumentError('style_image', `pack ${m.name} does not support style images (it has no image encoder)`);
  const steps = checkNumber('steps', r.steps ?? m.defaults.steps, 1, MAX_STEPS, true);
  const promptSwitch = r.promptSwitch
    ? { prompt: checkPrompt('prompt_switch.prompt', r.promptSwitch.prompt), atFraction: checkNumber('prompt_switch.at_fraction', r.promptSwitch.atFraction, 0, 1) }
    : null;
  return {
    prompt: checkPrompt('prompt', r.prompt),
    negativePrompt: checkPrompt('negative_prompt', r.negativePrompt ?? ''),
    promptSwitch,
    seed: r.seed === undefined ? Math.floor(Math.random() * (MAX_SEED + 1)) : checkNumber('seed', r.seed, 0, MAX_SEED, true),
    noise: r.noise ?? null,
    sampler,
    steps,
    sigmas: baseSigmas(m, r.sigmaSchedule ?? 'karras', steps),
    guidance: r.guidance === undefined ? null : checkNumber('guidance', r.guidance, 0, MAX_GUIDANCE),
    expertGuidance: resolveExpertGuidance(m, r.expertGuidance),
    micro: resolveMicro(m, r, size.width, size.height),
    ...size,
    style: r.style ?? null,
    paint,
    paintWeight: checkNumber('paint_weight', r.paintWeight ?? m.defaults.paint_weight, 0, MAX_PAINT_WEIGHT),
  };
}
