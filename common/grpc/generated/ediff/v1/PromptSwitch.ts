// Original file: protos/ediff/v1/coordinator.proto


export interface PromptSwitch {
  'prompt'?: (string);
  'atFraction'?: (number | string);
}

export interface PromptSwitch__Output {
  'prompt': (string);
  'atFraction': (number);
}
