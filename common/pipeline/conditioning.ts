/**
 * The conditioning of a job, as the pipeline passes it around: what one branch of
 * classifier-free guidance asks the encoders for (a BranchRequest), the tensors it encodes to (a
 * Conditioning), and which of them each expert consumes.
 */
import type { ExpertSpec, MicroField } from '../pack/manifest.ts';
import type { Tensor } from '../tensor.ts';

/** Conditioning tensors by name, one sample (no batch axis). */
export type Conditioning = Record<string, Tensor>;

/** A branch's conditioning, and what its caller should be told (a prompt truncated to fit an encoder). */
export interface EncodedBranch {
  conditioning: Conditioning;
  warnings: string[];
}

/** The conditioning of the two branches of classifier-free guidance. */
export interface Branches {
  cond: Conditioning;
  uncond: Conditioning;
}

export interface BranchRequest {
  prompt: string;
  /** Style image bytes; null = no style (zero embedding). */
  style: Uint8Array | null;
  paint: { phrase: string; mask: Uint8Array }[];
  paintWeight: number;
  /** Refuse a paint phrase that is not in the prompt (else skip it). */
  paintRequired: boolean;
  /** The negative (unconditional) branch: an empty one may be all zeros (see DerivedConditioning). */
  negative?: boolean;
  /** The values of the pack's `time_ids` (SDXL's micro-conditioning); only for packs that take them. */
  micro?: MicroConditioning;
}

/** SDXL's micro-conditioning of one branch, in pixels (the aesthetic score is the refiner's). */
export type MicroConditioning = Record<MicroField, number>;

/** The branch for an unconditional (or negative) prompt: no style, no paint. */
export const unconditionalBranch = (prompt: string, micro?: MicroConditioning): BranchRequest => ({ prompt, style: null, paint: [], paintWeight: 0, paintRequired: false, negative: true, ...(micro && { micro }) });

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
