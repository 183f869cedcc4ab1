/**
 * The routed denoiser: every evaluation goes to the expert whose sigma range holds its sigma, with
 * classifier-free guidance (cond and uncond in one batch on that expert, D = D_u + w (D_c - D_u),
 * w per expert). In process the experts are ONNX sessions; across the cluster the same logic
 * drives remote experts.
 */
import type { ExpertSpec } from '../pack/manifest.ts';
import { expertFor } from '../pack/manifest.ts';
import type { Denoiser } from '../sampling/samplers.ts';
import { stack, type Tensor } from '../tensor.ts';
import type { Conditioning } from '../runtime/encoders.ts';
import type { ExpertBatch } from '../runtime/expert.ts';

/** Anything that evaluates a batch for one expert: an in-process model or a remote replica. */
export interface Expert {
  readonly spec: ExpertSpec;
  evaluate(batch: ExpertBatch): Promise<Float32Array>;
}

/** The conditioning of the two branches of classifier-free guidance. */
export interface Branches {
  cond: Conditioning;
  uncond: Conditioning;
}

export interface EvaluationEvent {
  step: number;
  sigma: number;
  expert: string;
}

export interface RoutedDenoiserOptions {
  experts: readonly Expert[];
  /** Dims of one sample, [C, H, W]. */
  dims: number[];
  /** The branches to use at a sampler step (prompt switching changes them mid-way). */
  branchesAt: (step: number) => Branches;
  /** Guidance scale of an expert. */
  guidance: (expert: ExpertSpec) => number;
  /** SR stages: the lower-resolution image, [C, h, w]. */
  lowRes?: Tensor;
  onEvaluation?: (event: EvaluationEvent) => void;
}

function batchInputs(expert: ExpertSpec, branches: readonly Conditioning[]): Record<string, Tensor> {
  const inputs: Record<string, Tensor> = {};
  for (const name of expert.inputs) {
    inputs[name] = stack(branches.map((b) => {
      const t = b[name];
      if (!t) throw new Error(`expert ${expert.name} consumes ${name}, which the conditioning lacks`);
      return t;
    }));
  }
  return inputs;
}

/**
 * One guided evaluation on one expert. An expert that consumes no conditioning, or guidance 1,
 * needs only the conditional branch: both branches would give the same D.
 */
export async function guidedEvaluation(expert: Expert, x: Float64Array, dims: number[], sigma: number, branches: Branches, w: number, lowRes?: Tensor): Promise<Float64Array> {
  const guided = w !== 1 && expert.spec.inputs.length > 0;
  const list = guided ? [branches.cond, branches.uncond] : [branches.cond];
  const xs = new Float32Array(x.length * list.length);
  for (let b = 0; b < list.length; b++) xs.set(x, b * x.length);
  const D = await expert.evaluate({
    x: { dims: [list.length, ...dims], data: xs },
    sigma: list.map(() => sigma),
    inputs: batchInputs(expert.spec, list),
    ...(lowRes && { lowRes: stack(list.map(() => lowRes)) }),
  });
  const out = new Float64Array(x.length);
  if (!guided) {
    for (let j = 0; j < x.length; j++) out[j] = D[j]!;
    return out;
  }
  const n = x.length;
  for (let j = 0; j < n; j++) {
    const dUncond = D[n + j]!;
    out[j] = dUncond + w * (D[j]! - dUncond);
  }
  return out;
}

/** A Denoiser that routes each evaluation by its sigma (half-open ranges) and applies guidance. */
export function routedDenoiser(o: RoutedDenoiserOptions): Denoiser {
  return async (x, sigma, { step }) => {
    const expert = expertFor(o.experts, sigma, (e) => e.spec);
    o.onEvaluation?.({ step, sigma, expert: expert.spec.name });
    return guidedEvaluation(expert, x, o.dims, sigma, o.branchesAt(step), o.guidance(expert.spec), o.lowRes);
  };
}
