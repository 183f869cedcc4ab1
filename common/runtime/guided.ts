/**
 * One guided evaluation on one expert: cond and uncond in one batch, D = D_u + w (D_c - D_u)
 * computed in float64 and returned as float32. The expert node and the in-process pipeline both
 * call this, so a cluster and one process give bit-identical results.
 */
import type { ExpertSpec } from '../pack/manifest.ts';
import { stack, type Tensor } from '../tensor.ts';
import type { Conditioning } from './encoders.ts';
import type { ExpertBatch, ExpertModel } from './expert.ts';

/** The conditioning of the two branches of classifier-free guidance. */
export interface Branches {
  cond: Conditioning;
  uncond: Conditioning;
}

/** An expert that consumes no conditioning, or guidance 1, needs only the conditional branch. */
export const needsUnconditional = (expert: ExpertSpec, guidance: number) => guidance !== 1 && expert.inputs.length > 0;

/** Only the conditioning tensors an expert consumes. */
export function conditioningFor(expert: ExpertSpec, c: Conditioning): Conditioning {
  const out: Conditioning = {};
  for (const name of expert.inputs) {
    const t = c[name];
    if (!t) throw new Error(`expert ${expert.name} consumes ${name}, which the conditioning lacks`);
    out[name] = t;
  }
  return out;
}

export interface GuidedCall {
  /** One sample, [C, H, W]. */
  x: Float32Array;
  dims: number[];
  sigma: number;
  cond: Conditioning;
  /** Needed when needsUnconditional(expert, guidance). */
  uncond: Conditioning | null;
  guidance: number;
  /** SR experts: the lower-resolution image [C, h, w]. */
  lowRes?: Tensor;
}

export async function guidedEvaluation(model: Pick<ExpertModel, 'spec' | 'evaluate'>, call: GuidedCall): Promise<Float32Array> {
  const spec = model.spec;
  const guided = needsUnconditional(spec, call.guidance);
  if (guided && !call.uncond) throw new Error(`expert ${spec.name}: guidance ${call.guidance} needs the unconditional branch`);
  const branches = guided ? [call.cond, call.uncond!] : [call.cond];
  const n = call.x.length;
  const xs = new Float32Array(n * branches.length);
  for (let b = 0; b < branches.length; b++) xs.set(call.x, b * n);
  const batch: ExpertBatch = {
    x: { dims: [branches.length, ...call.dims], data: xs },
    sigma: branches.map(() => call.sigma),
    inputs: Object.fromEntries(spec.inputs.map((name) => [name, stack(branches.map((b) => conditioningFor(spec, b)[name]!))])),
    ...(call.lowRes && { lowRes: stack(branches.map(() => call.lowRes!)) }),
  };
  const D = await model.evaluate(batch);
  if (!guided) return D.length === n ? D : D.slice(0, n);
  const out = new Float32Array(n);
  const w = call.guidance;
  for (let j = 0; j < n; j++) {
    const dUncond = D[n + j]!;
    out[j] = dUncond + w * (D[j]! - dUncond);
  }
  return out;
}
