// Original file: protos/ediff/v1/node.proto

import type { Tensor as _ediff_v1_Tensor, Tensor__Output as _ediff_v1_Tensor__Output } from '../../ediff/v1/Tensor';

export interface DecodeRequest {
  /**
   * The base stage's latents, [C, h, w].
   */
  'latents'?: (_ediff_v1_Tensor | null);
}

export interface DecodeRequest__Output {
  /**
   * The base stage's latents, [C, h, w].
   */
  'latents': (_ediff_v1_Tensor__Output | null);
}
