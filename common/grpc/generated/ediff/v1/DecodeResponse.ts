// Original file: protos/ediff/v1/node.proto

import type { Tensor as _ediff_v1_Tensor, Tensor__Output as _ediff_v1_Tensor__Output } from '../../ediff/v1/Tensor';

export interface DecodeResponse {
  /**
   * [3, H, W], RGB in about [-1, 1].
   */
  'image'?: (_ediff_v1_Tensor | null);
}

export interface DecodeResponse__Output {
  /**
   * [3, H, W], RGB in about [-1, 1].
   */
  'image': (_ediff_v1_Tensor__Output | null);
}
