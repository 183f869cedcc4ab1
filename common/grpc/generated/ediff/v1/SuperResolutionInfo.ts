// Original file: protos/ediff/v1/coordinator.proto

import type { ExpertInfo as _ediff_v1_ExpertInfo, ExpertInfo__Output as _ediff_v1_ExpertInfo__Output } from '../../ediff/v1/ExpertInfo';

export interface SuperResolutionInfo {
  'name'?: (string);
  'fromSize'?: (number);
  'size'?: (number);
  'sampler'?: (string);
  'steps'?: (number);
  'experts'?: (_ediff_v1_ExpertInfo)[];
}

export interface SuperResolutionInfo__Output {
  'name': (string);
  'fromSize': (number);
  'size': (number);
  'sampler': (string);
  'steps': (number);
  'experts': (_ediff_v1_ExpertInfo__Output)[];
}
