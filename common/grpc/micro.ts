/** SDXL's micro-conditioning between the pipeline's form (keyed by MicroField) and the wire's. */
import type { MicroConditioning } from '../pipeline/conditioning.ts';
import type { MicroConditioning as WireMicro, MicroConditioning__Output as WireMicroOutput } from './generated/ediff/v1/MicroConditioning.ts';

export const microToWire = (m: MicroConditioning): WireMicro => ({
  originalHeight: m.original_height,
  originalWidth: m.original_width,
  cropTop: m.crop_top,
  cropLeft: m.crop_left,
  targetHeight: m.target_height,
  targetWidth: m.target_width,
  aestheticScore: m.aesthetic_score,
});

export const microFromWire = (m: WireMicroOutput): MicroConditioning => ({
  original_height: m.originalHeight,
  original_width: m.originalWidth,
  crop_top: m.cropTop,
  crop_left: m.cropLeft,
  target_height: m.targetHeight,
  target_width: m.targetWidth,
  aesthetic_score: m.aestheticScore,
});
