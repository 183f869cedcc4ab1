// Original file: protos/ediff/v1/types.proto


/**
 * Progress of one network evaluation.
 */
export interface EvaluationEvent {
  /**
   * "base" or an SR stage's name.
   */
  'stage'?: (string);
  'step'?: (number);
  'steps'?: (number);
  'sigma'?: (number | string);
  'expert'?: (string);
  /**
   * The node that ran it (host:port).
   */
  'replica'?: (string);
  /**
   * 1-based index of this evaluation in the job, and the job's total.
   */
  'evaluation'?: (number);
  'evaluations'?: (number);
}

/**
 * Progress of one network evaluation.
 */
export interface EvaluationEvent__Output {
  /**
   * "base" or an SR stage's name.
   */
  'stage': (string);
  'step': (number);
  'steps': (number);
  'sigma': (number);
  'expert': (string);
  /**
   * The node that ran it (host:port).
   */
  'replica': (string);
  /**
   * 1-based index of this evaluation in the job, and the job's total.
   */
  'evaluation': (number);
  'evaluations': (number);
}
