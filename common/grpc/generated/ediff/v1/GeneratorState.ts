// Original file: protos/ediff/v1/node.proto


/**
 * The job's noise generator, handed from the coordinator to the SR node and back, so that the
 * whole job draws from one stream (see common/rng.ts).
 */
export interface GeneratorState {
  'state'?: (number)[];
  'spare'?: (number | string);
  '_spare'?: "spare";
}

/**
 * The job's noise generator, handed from the coordinator to the SR node and back, so that the
 * whole job draws from one stream (see common/rng.ts).
 */
export interface GeneratorState__Output {
  'state': (number)[];
  'spare'?: (number);
  '_spare'?: "spare";
}
