// Original file: protos/ediff/v1/node.proto

import type { Tensor as _ediff_v1_Tensor, Tensor__Output as _ediff_v1_Tensor__Output } from '../../ediff/v1/Tensor';

export interface PutConditioningRequest {
  /**
   * The content hash of the tensors (see common/grpc/conditioning.ts).
   */
  'id'?: (string);
  'tensors'?: ({[key: string]: _ediff_v1_Tensor});
}

export interface PutConditioningRequest__Output {
  /**
   * The content hash of the tensors (see common/grpc/conditioning.ts).
   */
  'id': (string);
  'tensors': ({[key: string]: _ediff_v1_Tensor__Output});
}
