// Original file: protos/ediff/v1/node.proto

import type { PaintRegion as _ediff_v1_PaintRegion, PaintRegion__Output as _ediff_v1_PaintRegion__Output } from '../../ediff/v1/PaintRegion';

export interface EncodeRequest {
  'prompt'?: (string);
  'styleImage'?: (Buffer | Uint8Array | string);
  'paint'?: (_ediff_v1_PaintRegion)[];
  'paintWeight'?: (number | string);
  /**
   * Fail with INVALID_ARGUMENT when a paint phrase is not in the prompt (else skip it).
   */
  'paintRequired'?: (boolean);
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
}
