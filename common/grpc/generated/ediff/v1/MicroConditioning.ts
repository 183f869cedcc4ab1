// Original file: protos/ediff/v1/node.proto


/**
 * SDXL's micro-conditioning of one branch, in pixels.
 */
export interface MicroConditioning {
  'originalHeight'?: (number);
  'originalWidth'?: (number);
  'cropTop'?: (number);
  'cropLeft'?: (number);
  'targetHeight'?: (number);
  'targetWidth'?: (number);
  'aestheticScore'?: (number | string);
}

/**
 * SDXL's micro-conditioning of one branch, in pixels.
 */
export interface MicroConditioning__Output {
  'originalHeight': (number);
  'originalWidth': (number);
  'cropTop': (number);
  'cropLeft': (number);
  'targetHeight': (number);
  'targetWidth': (number);
  'aestheticScore': (number);
}
