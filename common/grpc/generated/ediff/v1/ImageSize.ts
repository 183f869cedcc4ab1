// Original file: protos/ediff/v1/coordinator.proto


export interface ImageSize {
  'width'?: (number);
  'height'?: (number);
}

export interface ImageSize__Output {
  'width': (number);
  'height': (number);
}
