// Original file: protos/ediff/v1/coordinator.proto

import type { EvaluationEvent as _ediff_v1_EvaluationEvent, EvaluationEvent__Output as _ediff_v1_EvaluationEvent__Output } from '../../ediff/v1/EvaluationEvent';
import type { PreviewEvent as _ediff_v1_PreviewEvent, PreviewEvent__Output as _ediff_v1_PreviewEvent__Output } from '../../ediff/v1/PreviewEvent';
import type { GenerateResult as _ediff_v1_GenerateResult, GenerateResult__Output as _ediff_v1_GenerateResult__Output } from '../../ediff/v1/GenerateResult';

export interface GenerateEvent {
  'evaluation'?: (_ediff_v1_EvaluationEvent | null);
  'preview'?: (_ediff_v1_PreviewEvent | null);
  'result'?: (_ediff_v1_GenerateResult | null);
  'event'?: "evaluation"|"preview"|"result";
}

export interface GenerateEvent__Output {
  'evaluation'?: (_ediff_v1_EvaluationEvent__Output | null);
  'preview'?: (_ediff_v1_PreviewEvent__Output | null);
  'result'?: (_ediff_v1_GenerateResult__Output | null);
  'event'?: "evaluation"|"preview"|"result";
}
