// Original file: protos/ediff/v1/coordinator.proto

import type { EncoderInfo as _ediff_v1_EncoderInfo, EncoderInfo__Output as _ediff_v1_EncoderInfo__Output } from '../../ediff/v1/EncoderInfo';
import type { ExpertInfo as _ediff_v1_ExpertInfo, ExpertInfo__Output as _ediff_v1_ExpertInfo__Output } from '../../ediff/v1/ExpertInfo';
import type { SuperResolutionInfo as _ediff_v1_SuperResolutionInfo, SuperResolutionInfo__Output as _ediff_v1_SuperResolutionInfo__Output } from '../../ediff/v1/SuperResolutionInfo';
import type { PipelineDefaults as _ediff_v1_PipelineDefaults, PipelineDefaults__Output as _ediff_v1_PipelineDefaults__Output } from '../../ediff/v1/PipelineDefaults';

export interface PipelineDescription {
  'pack'?: (string);
  'packHash'?: (string);
  'description'?: (string);
  'encoders'?: (_ediff_v1_EncoderInfo)[];
  'experts'?: (_ediff_v1_ExpertInfo)[];
  'superResolution'?: (_ediff_v1_SuperResolutionInfo)[];
  'defaults'?: (_ediff_v1_PipelineDefaults | null);
  'sizes'?: (number)[];
  'samplers'?: (string)[];
}

export interface PipelineDescription__Output {
  'pack': (string);
  'packHash': (string);
  'description': (string);
  'encoders': (_ediff_v1_EncoderInfo__Output)[];
  'experts': (_ediff_v1_ExpertInfo__Output)[];
  'superResolution': (_ediff_v1_SuperResolutionInfo__Output)[];
  'defaults': (_ediff_v1_PipelineDefaults__Output | null);
  'sizes': (number)[];
  'samplers': (string)[];
}
