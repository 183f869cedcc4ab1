// Original file: protos/ediff/v1/node.proto

import type { DenoiseResponse as _ediff_v1_DenoiseResponse, DenoiseResponse__Output as _ediff_v1_DenoiseResponse__Output } from '../../ediff/v1/DenoiseResponse';

export interface DenoiseResponses {
  'answers'?: (_ediff_v1_DenoiseResponse)[];
}

export interface DenoiseResponses__Output {
  'answers': (_ediff_v1_DenoiseResponse__Output)[];
}
