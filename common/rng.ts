/**
 * The one random number generator of a job.
 *
 * Every random draw of a job (initial noise, ancestral noise, Heun churn, SR-stage noise) comes
 * from one `NoiseGenerator` created at the coordinator from the request's seed, and is drawn in a
 * fixed order (initial noise first, then per sampler step in step order, then each SR stage), so
 * a job is reproducible whatever node served it.
 *
 * Definition (stable; changing it changes every image):
 * - bits: xoroshiro128+ from the `pure-rand` package, seeded with the 32-bit unsigned seed;
 * - uniforms: `uniformFloat64` from `pure-rand` (53-bit multiples of 2^-53 in [0, 1));
 * - standard normals: Box-Muller on two uniforms u1, u2 (u1 drawn first):
 *   r = sqrt(-2 ln(1 - u1)), z0 = r cos(2 pi u2), z1 = r sin(2 pi u2); z0 is returned first,
 *   then z1.
 *
 * A stage that runs on another node (super-resolution) continues the same stream: the generator's
 * state travels with the request and comes back with the result (`state()` / `fromState()`).
 */
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';

/** The largest seed accepted: seeds are 32-bit unsigned integers. */
export const MAX_SEED = 0xffff_ffff;

/** Everything needed to continue a generator's stream elsewhere. */
export interface GeneratorState {
  bits: number[];
  spare: number | null;
}

export class NoiseGenerator {
  private readonly bits;
  private spare: number | null = null;

  constructor(seed: number | GeneratorState) {
    if (typeof seed === 'number') {
      if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
        throw new RangeError(`seed must be an integer in [0, ${MAX_SEED}], got ${seed}`);
      }
      this.bits = xoroshiro128plus(seed | 0);
    } else {
      this.bits = xoroshiro128plusFromState(seed.bits);
      this.spare = seed.spare;
    }
  }

  /** The state to continue this stream from (see the constructor). */
  state(): GeneratorState {
    return { bits: [...this.bits.getState()], spare: this.spare };
  }

  /** One uniform double in [0, 1). */
  uniform(): number {
    return uniformFloat64(this.bits);
  }

  /** One standard normal double. */
  normal(): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return z;
    }
    const u1 = this.uniform();
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(1 - u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** `n` standard normals in a new float64 array. */
  normals(n: number): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal();
    return out;
  }
}
