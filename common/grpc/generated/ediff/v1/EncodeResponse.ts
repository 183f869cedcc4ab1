// Original file: protos/ediff/v1/node.proto

import type { Tensor as _ediff_v1_Tensor, Tensor__Output as _ediff_v1_Tensor__Output } from '../../ediff/v1/Tensor';

export interface EncodeResponse {
  'conditioning'?: ({[key: string]: _ediff_v1_Tensor});
  /**
   * What the caller should be told (a prompt truncated to fit an encoder).
   */
  'warnings'?: (string)[];
}

export interface EncodeResponse__Output {
  'conditioning': ({[key: string]: _ediff_v1_Tensor__Output});
  /**
   * What the caller should be told (a prompt truncated to fit an encoder).
   */
  'warnings': (string)[];
}
