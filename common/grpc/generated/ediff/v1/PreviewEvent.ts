// Original file: protos/ediff/v1/coordinator.proto


export interface PreviewEvent {
  'stage'?: (string);
  'step'?: (number);
  /**
   * PNG of the current denoised estimate.
   */
  'png'?: (Buffer | Uint8Array | string);
}

export interface PreviewEvent__Output {
  'stage': (string);
  'step': (number);
  /**
   * PNG of the current denoised estimate.
   */
  'png': (Buffer);
}
