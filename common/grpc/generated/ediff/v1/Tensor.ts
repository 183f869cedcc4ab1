// Original file: protos/ediff/v1/types.proto

import type { DType as _ediff_v1_DType, DType__Output as _ediff_v1_DType__Output } from '../../ediff/v1/DType';

/**
 * The only tensor type on the wire: row-major values as raw little-endian bytes
 * (never `repeated float`, which is 2-4x slower to encode and decode in grpc-js).
 */
export interface Tensor {
  'dtype'?: (_ediff_v1_DType);
  'shape'?: (number)[];
  'data'?: (Buffer | Uint8Array | string);
}

/**
 * The only tensor type on the wire: row-major values as raw little-endian bytes
 * (never `repeated float`, which is 2-4x slower to encode and decode in grpc-js).
 */
export interface Tensor__Output {
  'dtype': (_ediff_v1_DType__Output);
  'shape': (number)[];
  'data': (Buffer);
}
