/**
 * One sampling stage (the base, or an SR stage): draw the initial noise, run the sampler over a
 * routed denoiser, return the image. The coordinator runs the base stage with remote experts; an
 * SR node runs its stage with local ones; the in-process pipeline runs both locally.
 */
import type { ExpertSpec, SamplingDefaults } from '../pack/manifest.ts';
import type { NoiseGenerator } from '../rng.ts';
import { SAMPLERS, type SamplerState, type StepEvent } from '../sampling/samplers.ts';
import { karrasSigmas } from '../sampling/schedule.ts';
import type { Tensor } from '../tensor.ts';
import { routedDenoiser, type EvaluationEvent, type ExpertHandle } from './routing.ts';
import type { Branches } from './conditioning.ts';

export interface StageRun {
  experts: readonly ExpertHandle[];
  sampling: SamplingDefaults;
  /** The sigmas to visit (steps + 1, the last 0) instead of Karras's over `sampling`'s range. */
  sigmas?: Float64Array;
  /** [C, H, W] of the stage's output. */
  dims: number[];
  guidance: (expert: ExpertSpec) => number;
  branchesAt: (step: number) => Branches;
  /** Draws the initial noise (unless given) and any sampler noise, in that order. */
  rng: NoiseGenerator;
  /** Unit-variance initial noise instead of drawing it. */
  initialNoise?: Float32Array | null;
  lowRes?: Tensor;
  signal?: AbortSignal;
  onEvaluation?: (event: EvaluationEvent) => void;
  onStep?: (event: StepEvent) => void;
  /** Continue from this sampler state (the initial noise is not drawn again: `rng` is already past it). */
  resume?: SamplerState;
  onCheckpoint?: (state: SamplerState) => void;
}

export async function runStage(s: StageRun): Promise<Tensor> {
  const { sampler, steps, sigma_min, sigma_max, rho } = s.sampling;
  const sigmas = s.sigmas ?? karrasSigmas(steps, sigma_min, sigma_max, rho);
  const n = s.dims.reduce((a, b) => a * b, 1);
  const x = s.resume ? new Float64Array(n) : (s.initialNoise ? new Float64Array(s.initialNoise) : s.rng.normals(n)).map((z) => z * sigmas[0]!);
  const denoiser = routedDenoiser({
    experts: s.experts,
    dims: s.dims,
    branchesAt: s.branchesAt,
    guidance: s.guidance,
    ...(s.lowRes && { lowRes: s.lowRes }),
    ...(s.signal && { signal: s.signal }),
    ...(s.onEvaluation && { onEvaluation: s.onEvaluation }),
  });
  const out = await SAMPLERS[sampler](denoiser, x, sigmas, {
    noise: (k) => s.rng.normals(k),
    ...(s.onStep && { callback: s.onStep }),
    ...(s.resume && { resume: s.resume }),
    ...(s.onCheckpoint && { onCheckpoint: s.onCheckpoint }),
  });
  return { dims: s.dims, data: new Float32Array(out) };
}

/** Pixels clamped to [-1, 1], as a stage hands its image to the next. */
export const clampImage = (t: Tensor): Tensor => ({ dims: t.dims, data: t.data.map((v) => Math.min(1, Math.max(-1, v))) });
