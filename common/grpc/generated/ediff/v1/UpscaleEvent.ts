// Original file: protos/ediff/v1/node.proto

import type { EvaluationEvent as _ediff_v1_EvaluationEvent, EvaluationEvent__Output as _ediff_v1_EvaluationEvent__Output } from '../../ediff/v1/EvaluationEvent';
import type { UpscaleResult as _ediff_v1_UpscaleResult, UpscaleResult__Output as _ediff_v1_UpscaleResult__Output } from '../../ediff/v1/UpscaleResult';

export interface UpscaleEvent {
  'evaluation'?: (_ediff_v1_EvaluationEvent | null);
  'result'?: (_ediff_v1_UpscaleResult | null);
  'event'?: "evaluation"|"result";
}

export interface UpscaleEvent__Output {
  'evaluation'?: (_ediff_v1_EvaluationEvent__Output | null);
  'result'?: (_ediff_v1_UpscaleResult__Output | null);
  'event'?: "evaluation"|"result";
}
