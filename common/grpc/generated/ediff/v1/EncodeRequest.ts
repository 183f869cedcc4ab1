// Original file: protos/ediff/v1/node.proto

import type { PaintRegion as _ediff_v1_PaintRegion, PaintRegion__Output as _ediff_v1_PaintRegion__Output } from '../../ediff/v1/PaintRegion';
import type { MicroConditioning as _ediff_v1_MicroConditioning, MicroConditioning__Output as _ediff_v1_MicroConditioning__Output } from '../../ediff/v1/MicroConditioning';

export interface EncodeRequest {
  'prompt'?: (string);
  'styleImage'?: (Buffer | Uint8Array | string);
  'paint'?: (_ediff_v1_PaintRegion)[];
  'paintWeight'?: (number | string);
  /**
   * Fail with INVALID_ARGUMENT when a paint phrase is not in the prompt (else skip it).
   */
  'paintRequired'?: (boolean);
  /**
   * The negative (unconditional) branch: an empty one may encode to zeros (SDXL's base).
   */
  'negative'?: (boolean);
  /**
   * The values of the pack's time_ids (SDXL); absent for packs without micro-conditioning.
   */
  'micro'?: (_ediff_v1_MicroConditioning | null);
}

export interface EncodeRequest__Output {
  'prompt': (string);
  'styleImage': (Buffer);
  'paint': (_ediff_v1_PaintRegion__Output)[];
  'paintWeight': (number);
  /**
   * Fail with INVALID_ARGUMENT when a paint phrase is not in the prompt (else skip it).
   */
  'paintRequired': (boolean);
  /**
   * The negative (unconditional) branch: an empty one may encode to zeros (SDXL's base).
   */
  'negative': (boolean);
  /**
   * The values of the pack's time_ids (SDXL); absent for packs without micro-conditioning.
   */
  'micro': (_ediff_v1_MicroConditioning__Output | null);
}
