// Original file: protos/ediff/v1/coordinator.proto


export interface SubmitJobResponse {
  'id'?: (string);
  /**
   * True when client_job_id named a job submitted before (this call started nothing).
   */
  'existing'?: (boolean);
}

export interface SubmitJobResponse__Output {
  'id': (string);
  /**
   * True when client_job_id named a job submitted before (this call started nothing).
   */
  'existing': (boolean);
}
