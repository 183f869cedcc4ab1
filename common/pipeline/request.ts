/**
 * A generation request, and its resolution against a pack: defaults filled in, every field
 * checked, errors naming the field (InvalidArgumentError).
 */
import { InvalidArgumentError } from '../errors.ts';
import type { PackManifest } from '../pack/manifest.ts';
import { MAX_SEED } from '../rng.ts';
import { SAMPLERS, isSamplerName, type SamplerName } from '../sampling/samplers.ts';
import type { Tensor } from '../tensor.ts';

export const MAX_PROMPT_CHARS = 4096;
export const MAX_STEPS = 1000;
export const MAX_GUIDANCE = 100;
export const MAX_PAINT_WEIGHT = 100;

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
  /** Output side in pixels: the base size or an SR stage's size. @default the largest */
  size?: number;
  /** A style reference image (PNG / JPEG / WebP bytes). */
  style?: Uint8Array;
  paint?: PaintRegion[];
  /** @default the pack's paint_weight */
  paintWeight?: number;
}

export interface ResolvedRequest {
  prompt: string;
  negativePrompt: string;
  promptSwitch: { prompt: string; atFraction: number } | null;
  seed: number;
  noise: Tensor | null;
  sampler: SamplerName;
  steps: number;
  guidance: number | null;
  size: number;
  style: Uint8Array | null;
  paint: PaintRegion[];
  paintWeight: number;
}

/** The output sizes a pack can produce: the base size, then each SR stage's. */
export const availableSizes = (m: PackManifest) => [m.base.size, ...m.super_resolution.map((s) => s.size)];

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

export function resolveRequest(m: PackManifest, r: GenerateRequest): ResolvedRequest {
  const sizes = availableSizes(m);
  const sampler = r.sampler ?? m.defaults.sampler;
  if (!isSamplerName(sampler)) throw new InvalidArgumentError('sampler', `unknown sampler ${JSON.stringify(sampler)}; choose one of ${Object.keys(SAMPLERS).join(', ')}`);
  const size = r.size ?? sizes[sizes.length - 1]!;
  if (!sizes.includes(size)) throw new InvalidArgumentError('size', `${size} is not a size this pack makes; choose one of ${sizes.join(', ')}`);
  if (r.noise) {
    const want = [m.base.channels, m.base.size, m.base.size];
    if (r.noise.dims.join() !== want.join()) throw new InvalidArgumentError('noise', `must have shape [${want}], got [${r.noise.dims}]`);
    const bad = r.noise.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new InvalidArgumentError('noise', `value ${bad} is ${r.noise.data[bad]}; noise must be finite`);
  }
  const paint = r.paint ?? [];
  paint.forEach((p, i) => {
    if (!p.phrase.trim()) throw new InvalidArgumentError(`paint[${i}].phrase`, 'must name words of the prompt');
  });
  if (paint.length > 0 && !m.paint) throw new InvalidArgumentError('paint', `pack ${m.name} does not support paint-with-words`);
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
    steps: checkNumber('steps', r.steps ?? m.defaults.steps, 1, MAX_STEPS, true),
    guidance: r.guidance === undefined ? null : checkNumber('guidance', r.guidance, 0, MAX_GUIDANCE),
    size,
    style: r.style ?? null,
    paint,
    paintWeight: checkNumber('paint_weight', r.paintWeight ?? m.defaults.paint_weight, 0, MAX_PAINT_WEIGHT),
  };
}
