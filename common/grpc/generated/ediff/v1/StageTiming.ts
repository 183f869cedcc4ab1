// Original file: protos/ediff/v1/coordinator.proto


export interface StageTiming {
  'stage'?: (string);
  'size'?: (number);
  'ms'?: (number | string);
}

export interface StageTiming__Output {
  'stage': (string);
  'size': (number);
  'ms': (number);
}
