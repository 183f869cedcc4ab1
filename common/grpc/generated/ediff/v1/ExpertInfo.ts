// Original file: protos/ediff/v1/coordinator.proto


export interface ExpertInfo {
  'name'?: (string);
  'sigmaLo'?: (number | string);
  /**
   * Absent = infinity.
   */
  'sigmaHi'?: (number | string);
  /**
   * edm | eps | v
   */
  'parameterization'?: (string);
  'inputs'?: (string)[];
  'guidance'?: (number | string);
  '_sigmaHi'?: "sigmaHi";
}

export interface ExpertInfo__Output {
  'name': (string);
  'sigmaLo': (number);
  /**
   * Absent = infinity.
   */
  'sigmaHi'?: (number);
  /**
   * edm | eps | v
   */
  'parameterization': (string);
  'inputs': (string)[];
  'guidance': (number);
  '_sigmaHi'?: "sigmaHi";
}
