// Original file: protos/ediff/v1/node.proto


export interface NodeDescription {
  /**
   * encoder | expert | sr
   */
  'role'?: (string);
  'pack'?: (string);
  /**
   * sha256 of the pack: coordinator and node must serve the same model.
   */
  'packHash'?: (string);
  /**
   * The expert's or SR stage's name.
   */
  'name'?: (string);
}

export interface NodeDescription__Output {
  /**
   * encoder | expert | sr
   */
  'role': (string);
  'pack': (string);
  /**
   * sha256 of the pack: coordinator and node must serve the same model.
   */
  'packHash': (string);
  /**
   * The expert's or SR stage's name.
   */
  'name': (string);
}
