// Original file: protos/ediff/v1/node.proto

import type { Tensor as _ediff_v1_Tensor, Tensor__Output as _ediff_v1_Tensor__Output } from '../../ediff/v1/Tensor';
import type { GeneratorState as _ediff_v1_GeneratorState, GeneratorState__Output as _ediff_v1_GeneratorState__Output } from '../../ediff/v1/GeneratorState';

export interface UpscaleRequest {
  /**
   * [C, h, w]
   */
  'lowRes'?: (_ediff_v1_Tensor | null);
  'cond'?: ({[key: string]: _ediff_v1_Tensor});
  'uncond'?: ({[key: string]: _ediff_v1_Tensor});
  'rng'?: (_ediff_v1_GeneratorState | null);
}

export interface UpscaleRequest__Output {
  /**
   * [C, h, w]
   */
  'lowRes': (_ediff_v1_Tensor__Output | null);
  'cond': ({[key: string]: _ediff_v1_Tensor__Output});
  'uncond': ({[key: string]: _ediff_v1_Tensor__Output});
  'rng': (_ediff_v1_GeneratorState__Output | null);
}
