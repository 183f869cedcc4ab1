// Original file: protos/ediff/v1/node.proto

import type { Tensor as _ediff_v1_Tensor, Tensor__Output as _ediff_v1_Tensor__Output } from '../../ediff/v1/Tensor';
import type { Long } from '@grpc/proto-loader';

export interface DenoiseRequest {
  /**
   * Chosen by the client; echoed in the response.
   */
  'id'?: (number | string | Long);
  /**
   * [C, H, W]
   */
  'x'?: (_ediff_v1_Tensor | null);
  'sigma'?: (number | string);
  'condId'?: (string);
  /**
   * "" = no guidance: only the conditional branch is evaluated.
   */
  'uncondId'?: (string);
  'guidance'?: (number | string);
  /**
   * True: forget evaluation `id` if it has not run yet (the job was cancelled).
   */
  'cancel'?: (boolean);
}

export interface DenoiseRequest__Output {
  /**
   * Chosen by the client; echoed in the response.
   */
  'id': (number);
  /**
   * [C, H, W]
   */
  'x': (_ediff_v1_Tensor__Output | null);
  'sigma': (number);
  'condId': (string);
  /**
   * "" = no guidance: only the conditional branch is evaluated.
   */
  'uncondId': (string);
  'guidance': (number);
  /**
   * True: forget evaluation `id` if it has not run yet (the job was cancelled).
   */
  'cancel': (boolean);
}
