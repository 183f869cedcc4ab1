// Original file: protos/ediff/v1/types.proto

/**
 * Element type of a Tensor.
 */
export const DType = {
  DTYPE_UNSPECIFIED: 'DTYPE_UNSPECIFIED',
  DTYPE_FLOAT32: 'DTYPE_FLOAT32',
} as const;

/**
 * Element type of a Tensor.
 */
export type DType =
  | 'DTYPE_UNSPECIFIED'
  | 0
  | 'DTYPE_FLOAT32'
  | 1

/**
 * Element type of a Tensor.
 */
export type DType__Output = typeof DType[keyof typeof DType]
