// Original file: protos/ediff/v1/coordinator.proto

import type { GenerateRequest as _ediff_v1_GenerateRequest, GenerateRequest__Output as _ediff_v1_GenerateRequest__Output } from '../../ediff/v1/GenerateRequest';

export interface SubmitJobRequest {
  'request'?: (_ediff_v1_GenerateRequest | null);
  /**
   * The client's own id for the job: submitting it again returns the same job (not a new one).
   */
  'clientJobId'?: (string);
}

export interface SubmitJobRequest__Output {
  'request': (_ediff_v1_GenerateRequest__Output | null);
  /**
   * The client's own id for the job: submitting it again returns the same job (not a new one).
   */
  'clientJobId': (string);
}
