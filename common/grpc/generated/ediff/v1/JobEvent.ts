// Original file: protos/ediff/v1/coordinator.proto

import type { EvaluationEvent as _ediff_v1_EvaluationEvent, EvaluationEvent__Output as _ediff_v1_EvaluationEvent__Output } from '../../ediff/v1/EvaluationEvent';
import type { PreviewEvent as _ediff_v1_PreviewEvent, PreviewEvent__Output as _ediff_v1_PreviewEvent__Output } from '../../ediff/v1/PreviewEvent';
import type { GenerateResult as _ediff_v1_GenerateResult, GenerateResult__Output as _ediff_v1_GenerateResult__Output } from '../../ediff/v1/GenerateResult';
import type { JobStateEvent as _ediff_v1_JobStateEvent, JobStateEvent__Output as _ediff_v1_JobStateEvent__Output } from '../../ediff/v1/JobStateEvent';
import type { Long } from '@grpc/proto-loader';

export interface JobEvent {
  /**
   * 1, 2, 3, ... in the order the job made them.
   */
  'seq'?: (number | string | Long);
  'evaluation'?: (_ediff_v1_EvaluationEvent | null);
  'preview'?: (_ediff_v1_PreviewEvent | null);
  /**
   * The last event of a job that succeeded; its `image` tensor is left out (the PNG is there).
   */
  'result'?: (_ediff_v1_GenerateResult | null);
  /**
   * Queued, running, and the end: succeeded, failed (with the error), cancelled.
   */
  'state'?: (_ediff_v1_JobStateEvent | null);
  'event'?: "evaluation"|"preview"|"result"|"state";
}

export interface JobEvent__Output {
  /**
   * 1, 2, 3, ... in the order the job made them.
   */
  'seq': (number);
  'evaluation'?: (_ediff_v1_EvaluationEvent__Output | null);
  'preview'?: (_ediff_v1_PreviewEvent__Output | null);
  /**
   * The last event of a job that succeeded; its `image` tensor is left out (the PNG is there).
   */
  'result'?: (_ediff_v1_GenerateResult__Output | null);
  /**
   * Queued, running, and the end: succeeded, failed (with the error), cancelled.
   */
  'state'?: (_ediff_v1_JobStateEvent__Output | null);
  'event'?: "evaluation"|"preview"|"result"|"state";
}
