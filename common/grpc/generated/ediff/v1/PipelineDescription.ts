// Original file: protos/ediff/v1/coordinator.proto

import type { EncoderInfo as _ediff_v1_EncoderInfo, EncoderInfo__Output as _ediff_v1_EncoderInfo__Output } from '../../ediff/v1/EncoderInfo';
import type { ExpertInfo as _ediff_v1_ExpertInfo, ExpertInfo__Output as _ediff_v1_ExpertInfo__Output } from '../../ediff/v1/ExpertInfo';
import type { SuperResolutionInfo as _ediff_v1_SuperResolutionInfo, SuperResolutionInfo__Output as _ediff_v1_SuperResolutionInfo__Output } from '../../ediff/v1/SuperResolutionInfo';
import type { PipelineDefaults as _ediff_v1_PipelineDefaults, PipelineDefaults__Output as _ediff_v1_PipelineDefaults__Output } from '../../ediff/v1/PipelineDefaults';
import type { DecodeInfo as _ediff_v1_DecodeInfo, DecodeInfo__Output as _ediff_v1_DecodeInfo__Output } from '../../ediff/v1/DecodeInfo';
import type { LatentInfo as _ediff_v1_LatentInfo, LatentInfo__Output as _ediff_v1_LatentInfo__Output } from '../../ediff/v1/LatentInfo';
import type { ImageSize as _ediff_v1_ImageSize, ImageSize__Output as _ediff_v1_ImageSize__Output } from '../../ediff/v1/ImageSize';

export interface PipelineDescription {
  'pack'?: (string);
  'packHash'?: (string);
  'description'?: (string);
  'encoders'?: (_ediff_v1_EncoderInfo)[];
  'experts'?: (_ediff_v1_ExpertInfo)[];
  'superResolution'?: (_ediff_v1_SuperResolutionInfo)[];
  'defaults'?: (_ediff_v1_PipelineDefaults | null);
  /**
   * The output sizes the pack makes (latent packs: the size it was trained at; any multiple of
   * latent.size_step works).
   */
  'sizes'?: (number)[];
  'samplers'?: (string)[];
  /**
   * Set for a latent pack.
   */
  'decode'?: (_ediff_v1_DecodeInfo | null);
  'latent'?: (_ediff_v1_LatentInfo | null);
  /**
   * What requests may use: negative-prompt, prompt-switch, guidance-per-expert, style-image,
   * paint-with-words, super-resolution, width-height, previews, micro-conditioning,
   * aesthetic-score, timestep-schedule.
   */
  'features'?: (string)[];
  /**
   * The sizes the pack's models were trained for (SDXL: its aspect-ratio buckets), the default first.
   */
  'recommendedSizes'?: (_ediff_v1_ImageSize)[];
}

export interface PipelineDescription__Output {
  'pack': (string);
  'packHash': (string);
  'description': (string);
  'encoders': (_ediff_v1_EncoderInfo__Output)[];
  'experts': (_ediff_v1_ExpertInfo__Output)[];
  'superResolution': (_ediff_v1_SuperResolutionInfo__Output)[];
  'defaults': (_ediff_v1_PipelineDefaults__Output | null);
  /**
   * The output sizes the pack makes (latent packs: the size it was trained at; any multiple of
   * latent.size_step works).
   */
  'sizes': (number)[];
  'samplers': (string)[];
  /**
   * Set for a latent pack.
   */
  'decode': (_ediff_v1_DecodeInfo__Output | null);
  'latent': (_ediff_v1_LatentInfo__Output | null);
  /**
   * What requests may use: negative-prompt, prompt-switch, guidance-per-expert, style-image,
   * paint-with-words, super-resolution, width-height, previews, micro-conditioning,
   * aesthetic-score, timestep-schedule.
   */
  'features': (string)[];
  /**
   * The sizes the pack's models were trained for (SDXL: its aspect-ratio buckets), the default first.
   */
  'recommendedSizes': (_ediff_v1_ImageSize__Output)[];
}
