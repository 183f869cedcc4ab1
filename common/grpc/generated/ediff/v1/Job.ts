// Original file: protos/ediff/v1/coordinator.proto

import type { JobState as _ediff_v1_JobState, JobState__Output as _ediff_v1_JobState__Output } from '../../ediff/v1/JobState';
import type { GenerateResult as _ediff_v1_GenerateResult, GenerateResult__Output as _ediff_v1_GenerateResult__Output } from '../../ediff/v1/GenerateResult';
import type { Long } from '@grpc/proto-loader';

export interface Job {
  'id'?: (string);
  'clientJobId'?: (string);
  'state'?: (_ediff_v1_JobState);
  /**
   * Jobs ahead of this one in the queue (QUEUED only).
   */
  'queuePosition'?: (number);
  /**
   * Progress: evaluations done of all the job will make, the stage, step k of N and expert of the last.
   */
  'evaluation'?: (number);
  'evaluations'?: (number);
  'stage'?: (string);
  'step'?: (number);
  'steps'?: (number);
  'expert'?: (string);
  /**
   * SUCCEEDED: the result (without the image tensor).
   */
  'result'?: (_ediff_v1_GenerateResult | null);
  /**
   * FAILED: the status code and message.
   */
  'errorCode'?: (number);
  'errorMessage'?: (string);
  /**
   * Milliseconds since the epoch.
   */
  'submittedMs'?: (number | string | Long);
  'finishedMs'?: (number | string | Long);
  /**
   * The last event's sequence number.
   */
  'lastSeq'?: (number | string | Long);
}

export interface Job__Output {
  'id': (string);
  'clientJobId': (string);
  'state': (_ediff_v1_JobState__Output);
  /**
   * Jobs ahead of this one in the queue (QUEUED only).
   */
  'queuePosition': (number);
  /**
   * Progress: evaluations done of all the job will make, the stage, step k of N and expert of the last.
   */
  'evaluation': (number);
  'evaluations': (number);
  'stage': (string);
  'step': (number);
  'steps': (number);
  'expert': (string);
  /**
   * SUCCEEDED: the result (without the image tensor).
   */
  'result': (_ediff_v1_GenerateResult__Output | null);
  /**
   * FAILED: the status code and message.
   */
  'errorCode': (number);
  'errorMessage': (string);
  /**
   * Milliseconds since the epoch.
   */
  'submittedMs': (number);
  'finishedMs': (number);
  /**
   * The last event's sequence number.
   */
  'lastSeq': (number);
}
