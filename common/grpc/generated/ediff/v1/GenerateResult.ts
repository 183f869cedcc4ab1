// Original file: protos/ediff/v1/coordinator.proto

import type { Tensor as _ediff_v1_Tensor, Tensor__Output as _ediff_v1_Tensor__Output } from '../../ediff/v1/Tensor';
import type { StageTiming as _ediff_v1_StageTiming, StageTiming__Output as _ediff_v1_StageTiming__Output } from '../../ediff/v1/StageTiming';

export interface GenerateResult {
  'png'?: (Buffer | Uint8Array | string);
  /**
   * CHW float32, RGB in [-1, 1], not clamped.
   */
  'image'?: (_ediff_v1_Tensor | null);
  'seed'?: (number);
  /**
   * The side of a square image; 0 when width and height differ.
   */
  'size'?: (number);
  'stages'?: (_ediff_v1_StageTiming)[];
  'width'?: (number);
  'height'?: (number);
  /**
   * What the caller should know (e.g. a prompt truncated to fit an encoder).
   */
  'warnings'?: (string)[];
}

export interface GenerateResult__Output {
  'png': (Buffer);
  /**
   * CHW float32, RGB in [-1, 1], not clamped.
   */
  'image': (_ediff_v1_Tensor__Output | null);
  'seed': (number);
  /**
   * The side of a square image; 0 when width and height differ.
   */
  'size': (number);
  'stages': (_ediff_v1_StageTiming__Output)[];
  'width': (number);
  'height': (number);
  /**
   * What the caller should know (e.g. a prompt truncated to fit an encoder).
   */
  'warnings': (string)[];
}
