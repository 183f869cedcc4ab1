// Original file: protos/ediff/v1/node.proto

import type { Tensor as _ediff_v1_Tensor, Tensor__Output as _ediff_v1_Tensor__Output } from '../../ediff/v1/Tensor';
import type { GeneratorState as _ediff_v1_GeneratorState, GeneratorState__Output as _ediff_v1_GeneratorState__Output } from '../../ediff/v1/GeneratorState';

export interface UpscaleResult {
  /**
   * [C, H, W]
   */
  'image'?: (_ediff_v1_Tensor | null);
  'rng'?: (_ediff_v1_GeneratorState | null);
}

export interface UpscaleResult__Output {
  /**
   * [C, H, W]
   */
  'image': (_ediff_v1_Tensor__Output | null);
  'rng': (_ediff_v1_GeneratorState__Output | null);
}
