/**
 * Guided evaluation on one expert: cond and uncond in one batch, D = D_u + w (D_c - D_u)
 * computed in float64 and returned as float32. The expert node and the in-process pipeline both
 * call this, so a cluster and one process give bit-identical results.
 */
import type { ExpertSpec } from '../pack/manifest.ts';
import { conditioningFor, needsUnconditional, type Conditioning } from '../pipeline/conditioning.ts';
import { stack, type Tensor } from '../tensor.ts';
import type { ExpertBatch, ExpertModel } from './expert.ts';

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

/**
 * Several guided evaluations in one model call (the dynamic batcher's batch): every branch of
 * every call is one row of the batch, each row with its own sigma and conditioning.
 */
export async function guidedBatchEvaluation(model: Pick<ExpertModel, 'spec' | 'evaluate'>, calls: readonly GuidedCall[]): Promise<Float32Array[]> {
  const spec = model.spec;
  const rows: { x: Float32Array; sigma: number; conditioning: Conditioning; lowRes?: Tensor }[] = [];
  for (const call of calls) {
    const guided = needsUnconditional(spec, call.guidance);
    if (guided && !call.uncond) throw new Error(`expert ${spec.name}: guidance ${call.guidance} needs the unconditional branch`);
    for (const branch of guided ? [call.cond, call.uncond!] : [call.cond]) rows.push({ x: call.x, sigma: call.sigma, conditioning: conditioningFor(spec, branch), ...(call.lowRes && { lowRes: call.lowRes }) });
  }
  const n = calls[0]!.x.length;
  const xs = new Float32Array(n * rows.length);
  rows.forEach((r, i) => xs.set(r.x, i * n));
  const batch: ExpertBatch = {
    x: { dims: [rows.length, ...calls[0]!.dims], data: xs },
    sigma: rows.map((r) => r.sigma),
    inputs: Object.fromEntries(spec.inputs.map((name) => [name, stack(rows.map((r) => r.conditioning[name]!))])),
    ...(rows[0]!.lowRes && { lowRes: stack(rows.map((r) => r.lowRes!)) }),
  };
  // The batch's arrays were stacked here for this call: they move to the model's thread uncopied.
  const D = await model.evaluate(batch, true);
  let row = 0;
  return calls.map((call) => {
    const cond = D.subarray(row * n, (row + 1) * n);
    row++;
    if (!needsUnconditional(spec, call.guidance)) return cond.slice();
    const uncond = D.subarray(row * n, (row + 1) * n);
    row++;
    const out = new Float32Array(n);
    const w = call.guidance;
    for (let j = 0; j < n; j++) out[j] = uncond[j]! + w * (cond[j]! - uncond[j]!);
    return out;
  });
}

/** Rows a call takes in a batch: 2 with guidance (cond and uncond), else 1. */
export const rowsOf = (expert: ExpertSpec, call: Pick<GuidedCall, 'guidance'>) => (needsUnconditional(expert, call.guidance) ? 2 : 1);

/** One guided evaluation: a batch of one. */
export async function guidedEvaluation(model: Pick<ExpertModel, 'spec' | 'evaluate'>, call: GuidedCall): Promise<Float32Array> {
  return (await guidedBatchEvaluation(model, [call]))[0]!;
}
