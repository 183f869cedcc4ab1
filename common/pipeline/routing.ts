/**
 * The routed denoiser: every evaluation goes to the expert whose half-open sigma range holds its
 * sigma, with classifier-free guidance. Experts are ExpertHandles: in process a LocalExpert,
 * across the cluster a pool of remote replicas; the sampler does not know which.
 */
import { expertFor, type ExpertSpec } from '../pack/manifest.ts';
import type { Denoiser } from '../sampling/samplers.ts';
import type { Tensor } from '../tensor.ts';
import type { Branches } from './conditioning.ts';

export interface DenoiseCall {
  /**
   * One sample, [C, H, W], float32 as on the wire. The caller reuses this buffer for its next
   * evaluation: a handle must not keep it past the settling of its promise.
   */
  x: Float32Array;
  dims: number[];
  sigma: number;
  branches: Branches;
  guidance: number;
  lowRes?: Tensor;
  signal?: AbortSignal;
}

/** One expert, wherever it runs. */
export interface ExpertHandle {
  readonly spec: ExpertSpec;
  /** The guided D(x, sigma), and which replica computed it. */
  denoise(call: DenoiseCall): Promise<{ denoised: Float32Array; replica: string }>;
}

export interface EvaluationEvent {
  step: number;
  sigma: number;
  expert: string;
  replica: string;
}

export interface RoutedDenoiserOptions {
  experts: readonly ExpertHandle[];
  /** Dims of one sample, [C, H, W]. */
  dims: number[];
  /** The branches to use at a sampler step (prompt switching changes them mid-way). */
  branchesAt: (step: number) => Branches;
  guidance: (expert: ExpertSpec) => number;
  /** SR stages: the lower-resolution image, [C, h, w]. */
  lowRes?: Tensor;
  signal?: AbortSignal;
  onEvaluation?: (event: EvaluationEvent) => void;
}

/**
 * A Denoiser that routes each evaluation by its sigma and applies guidance. A job has one
 * evaluation in flight at a time, so one float32 buffer carries all of its evaluations' x.
 */
export function routedDenoiser(o: RoutedDenoiserOptions): Denoiser {
  let wire: Float32Array | null = null;
  return async (x, sigma, { step }) => {
    o.signal?.throwIfAborted();
    const expert = expertFor(o.experts, sigma, (e) => e.spec);
    if (wire?.length !== x.length) wire = new Float32Array(x.length);
    wire.set(x);
    const { denoised, replica } = await expert.denoise({
      x: wire,
      dims: o.dims,
      sigma,
      branches: o.branchesAt(step),
      guidance: o.guidance(expert.spec),
      ...(o.lowRes && { lowRes: o.lowRes }),
      ...(o.signal && { signal: o.signal }),
    });
    o.onEvaluation?.({ step, sigma, expert: expert.spec.name, replica });
    return denoised;
  };
}
