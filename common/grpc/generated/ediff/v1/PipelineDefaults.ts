// Original file: protos/ediff/v1/coordinator.proto


export interface PipelineDefaults {
  'sampler'?: (string);
  'steps'?: (number);
  'guidance'?: (number | string);
  'sigmaMin'?: (number | string);
  'sigmaMax'?: (number | string);
  'rho'?: (number | string);
  'paintWeight'?: (number | string);
}

export interface PipelineDefaults__Output {
  'sampler': (string);
  'steps': (number);
  'guidance': (number);
  'sigmaMin': (number);
  'sigmaMax': (number);
  'rho': (number);
  'paintWeight': (number);
}
