// Original file: protos/ediff/v1/types.proto


/**
 * Paint-with-words: where in the image a phrase of the prompt goes.
 */
export interface PaintRegion {
  /**
   * Words of the prompt.
   */
  'phrase'?: (string);
  /**
   * A PNG, JPEG or WebP image; white marks the region.
   */
  'mask'?: (Buffer | Uint8Array | string);
}

/**
 * Paint-with-words: where in the image a phrase of the prompt goes.
 */
export interface PaintRegion__Output {
  /**
   * Words of the prompt.
   */
  'phrase': (string);
  /**
   * A PNG, JPEG or WebP image; white marks the region.
   */
  'mask': (Buffer);
}
