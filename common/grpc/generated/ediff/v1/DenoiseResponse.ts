// Original file: protos/ediff/v1/node.proto

import type { Tensor as _ediff_v1_Tensor, Tensor__Output as _ediff_v1_Tensor__Output } from '../../ediff/v1/Tensor';
import type { Long } from '@grpc/proto-loader';

export interface DenoiseResponse {
  'id'?: (number | string | Long);
  /**
   * [C, H, W], the guided D(x, sigma).
   */
  'denoised'?: (_ediff_v1_Tensor | null);
  /**
   * A gRPC status code; 0 = OK.
   */
  'code'?: (number);
  'message'?: (string);
}

export interface DenoiseResponse__Output {
  'id': (number);
  /**
   * [C, H, W], the guided D(x, sigma).
   */
  'denoised': (_ediff_v1_Tensor__Output | null);
  /**
   * A gRPC status code; 0 = OK.
   */
  'code': (number);
  'message': (string);
}
