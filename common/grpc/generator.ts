/** The job's noise generator on the wire (GeneratorState in node.proto). */
import { NoiseGenerator } from '../rng.ts';
import type { GeneratorState, GeneratorState__Output } from './generated/ediff/v1/GeneratorState.ts';
import { InvalidArgumentError } from '../errors.ts';

export function generatorToWire(rng: NoiseGenerator): GeneratorState {
  const s = rng.state();
  return { state: s.bits, ...(s.spare !== null && { spare: s.spare }) };
}

export function generatorFromWire(m: GeneratorState__Output | null, field: string): NoiseGenerator {
  if (!m || m.state.length === 0) throw new InvalidArgumentError(field, 'is missing');
  return new NoiseGenerator({ bits: m.state, spare: m.spare ?? null });
}
