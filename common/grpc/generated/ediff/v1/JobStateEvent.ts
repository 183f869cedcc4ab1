// Original file: protos/ediff/v1/coordinator.proto

import type { JobState as _ediff_v1_JobState, JobState__Output as _ediff_v1_JobState__Output } from '../../ediff/v1/JobState';

export interface JobStateEvent {
  'state'?: (_ediff_v1_JobState);
  /**
   * FAILED: the gRPC status code and message the job failed with.
   */
  'code'?: (number);
  'message'?: (string);
  /**
   * QUEUED: the jobs ahead of it when it was queued (GetJob has the current position).
   */
  'queuePosition'?: (number);
}

export interface JobStateEvent__Output {
  'state': (_ediff_v1_JobState__Output);
  /**
   * FAILED: the gRPC status code and message the job failed with.
   */
  'code': (number);
  'message': (string);
  /**
   * QUEUED: the jobs ahead of it when it was queued (GetJob has the current position).
   */
  'queuePosition': (number);
}
