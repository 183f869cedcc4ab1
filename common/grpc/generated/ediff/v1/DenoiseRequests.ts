// Original file: protos/ediff/v1/node.proto

import type { DenoiseRequest as _ediff_v1_DenoiseRequest, DenoiseRequest__Output as _ediff_v1_DenoiseRequest__Output } from '../../ediff/v1/DenoiseRequest';

export interface DenoiseRequests {
  'evaluations'?: (_ediff_v1_DenoiseRequest)[];
}

export interface DenoiseRequests__Output {
  'evaluations': (_ediff_v1_DenoiseRequest__Output)[];
}
