// Original file: protos/ediff/v1/coordinator.proto

import type { Job as _ediff_v1_Job, Job__Output as _ediff_v1_Job__Output } from '../../ediff/v1/Job';

export interface JobList {
  'jobs'?: (_ediff_v1_Job)[];
}

export interface JobList__Output {
  'jobs': (_ediff_v1_Job__Output)[];
}
