// Original file: protos/ediff/v1/coordinator.proto


export interface EncoderInfo {
  'name'?: (string);
  /**
   * t5-text | clip-text | clip-image
   */
  'kind'?: (string);
  'outputs'?: (string)[];
}

export interface EncoderInfo__Output {
  'name': (string);
  /**
   * t5-text | clip-text | clip-image
   */
  'kind': (string);
  'outputs': (string)[];
}
