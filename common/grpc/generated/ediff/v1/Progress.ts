// Original file: protos/ediff/v1/coordinator.proto

export const Progress = {
  /**
   * An EvaluationEvent per denoiser evaluation (the default).
   */
  PROGRESS_EVALUATIONS: 'PROGRESS_EVALUATIONS',
  /**
   * No EvaluationEvents: only previews (if asked for) and the result. For callers that only
   * want the image: the coordinator and the caller skip an event per evaluation.
   */
  PROGRESS_NONE: 'PROGRESS_NONE',
} as const;

export type Progress =
  /**
   * An EvaluationEvent per denoiser evaluation (the default).
   */
  | 'PROGRESS_EVALUATIONS'
  | 0
  /**
   * No EvaluationEvents: only previews (if asked for) and the result. For callers that only
   * want the image: the coordinator and the caller skip an event per evaluation.
   */
  | 'PROGRESS_NONE'
  | 1

export type Progress__Output = typeof Progress[keyof typeof Progress]
