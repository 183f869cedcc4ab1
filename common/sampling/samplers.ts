/**
 * Samplers: pure functions over the denoiser interface, state kept in float64, matching
 * k-diffusion (k_diffusion/sampling.py) and NVlabs edm (generate.py) numerically.
 * No networking here: routing to experts is itself a Denoiser.
 */

/** What a sampler tells the denoiser about the evaluation it asks for. */
export interface EvaluationContext {
  /** Index of the sampler step this evaluation belongs to (0-based). */
  step: number;
}

/**
 * D(x, sigma) -> the clean estimate of x, where x = clean + sigma * noise. Must not mutate x.
 * The estimate may be float32 (as it comes off the wire); the samplers' state stays float64.
 */
export type Denoiser = (x: Float64Array, sigma: number, context: EvaluationContext) => Promise<Float64Array | Float32Array>;

type Estimate = Float64Array | Float32Array;

/**
 * Emitted after the denoiser's first evaluation of each step. Its arrays belong to the sampler and
 * are only valid during the callback (copy what you keep).
 */
export interface StepEvent {
  step: number;
  steps: number;
  sigma: number;
  sigmaHat: number;
  x: Float64Array;
  denoised: Estimate;
}

/** Returns `n` standard normals; the job's one generator (see common/rng.ts). */
export type NoiseSource = (n: number) => Float64Array;

/**
 * A sampler's loop state between two steps, a plain value: the next step to run, x, and the
 * previous step's denoised estimate (DPM++ 2M's multistep history; null for the others, whose
 * steps depend on x alone). With the generator's state taken at the same moment, a sampler
 * resumed from it (`resume`) gives the bits of an uninterrupted run.
 */
export interface SamplerState {
  step: number;
  x: Float64Array;
  previousDenoised: Float64Array | null;
}

export interface SamplerOptions {
  callback?: (event: StepEvent) => void;
  /** Needed by euler-a, and by euler / heun when sChurn > 0. */
  noise?: NoiseSource;
  /** EDM's stochasticity (Algorithm 2); euler and heun only. @default 0 */
  sChurn?: number;
  /** @default 0 */
  sTmin?: number;
  /** @default Infinity */
  sTmax?: number;
  /** @default 1 */
  sNoise?: number;
  /** Ancestral noise scale of euler-a. @default 1 */
  eta?: number;
  /** Start from this state (from `onCheckpoint`) instead of step 0 and the given x. */
  resume?: SamplerState;
  /** Called after every step with the state to resume from; its arrays are the sampler's: copy what you keep. */
  onCheckpoint?: (state: SamplerState) => void;
}

export type Sampler = (model: Denoiser, x: Float64Array, sigmas: Float64Array, options?: SamplerOptions) => Promise<Float64Array>;

function requireNoise(options: SamplerOptions, sampler: string): NoiseSource {
  if (!options.noise) throw new Error(`${sampler} needs a noise source`);
  return options.noise;
}

/**
 * x + (x - denoised) / sigma * dt, elementwise, into `out`: one Euler step along the
 * probability-flow ODE. `out` may be x itself. A coordinator runs this once per evaluation for
 * every job, so the loop is unrolled by four: 19 instead of 30 us per step of 64 jobs' 3x64x64
 * samples here (V8 neither unrolls nor vectorizes it), with the same arithmetic and results.
 */
function eulerStep(x: Float64Array, denoised: Estimate, sigma: number, dt: number, out: Float64Array): Float64Array {
  const n = x.length;
  let j = 0;
  for (; j + 3 < n; j += 4) {
    const a = x[j]!;
    const b = x[j + 1]!;
    const c = x[j + 2]!;
    const d = x[j + 3]!;
    out[j] = a + ((a - denoised[j]!) / sigma) * dt;
    out[j + 1] = b + ((b - denoised[j + 1]!) / sigma) * dt;
    out[j + 2] = c + ((c - denoised[j + 2]!) / sigma) * dt;
    out[j + 3] = d + ((d - denoised[j + 3]!) / sigma) * dt;
  }
  for (; j < n; j++) out[j] = x[j]! + ((x[j]! - denoised[j]!) / sigma) * dt;
  return out;
}

/** Where a sampler starts: step 0 and the caller's x, or a resumed state (copied: the caller's arrays are never written). */
function start(x: Float64Array, options: SamplerOptions): { first: number; x: Float64Array; previous: Float64Array | null } {
  const r = options.resume;
  if (!r) return { first: 0, x, previous: null };
  if (r.x.length !== x.length) throw new RangeError(`a resumed state of ${r.x.length} values for a sample of ${x.length}`);
  return { first: r.step, x: Float64Array.from(r.x), previous: r.previousDenoised && Float64Array.from(r.previousDenoised) };
}

/**
 * The sampler's own state buffer: the caller's x is never written; the first step writes into a
 * fresh buffer and later steps update it in place (no allocation per step on the hot path).
 */
const ownState = (x: Float64Array, owned: Float64Array | null) => owned ?? new Float64Array(x.length);

/** EDM's churn: raise the noise level from sigma to sigmaHat by adding fresh noise. */
function churn(x: Float64Array, sigmas: Float64Array, i: number, options: SamplerOptions, sampler: string) {
  const { sChurn = 0, sTmin = 0, sTmax = Infinity, sNoise = 1 } = options;
  const sigma = sigmas[i]!;
  const steps = sigmas.length - 1;
  const gamma = sTmin <= sigma && sigma <= sTmax ? Math.min(sChurn / steps, Math.SQRT2 - 1) : 0;
  const sigmaHat = sigma * (gamma + 1);
  if (gamma <= 0) return { x, sigmaHat };
  const eps = requireNoise(options, sampler)(x.length);
  const scale = sNoise * Math.sqrt(sigmaHat ** 2 - sigma ** 2);
  const raised = new Float64Array(x.length);
  for (let j = 0; j < x.length; j++) raised[j] = x[j]! + eps[j]! * scale;
  return { x: raised, sigmaHat };
}

/** Euler's method (EDM Algorithm 2 without the correction). */
export const sampleEuler: Sampler = async (model, x0, sigmas, options = {}) => {
  const steps = sigmas.length - 1;
  const begin = start(x0, options);
  let x = begin.x;
  let state: Float64Array | null = null;
  for (let i = begin.first; i < steps; i++) {
    // Increase noise temporarily.
    const raised = churn(x, sigmas, i, options, 'euler');
    const sigmaHat = raised.sigmaHat;
    x = raised.x;
    const denoised = await model(x, sigmaHat, { step: i });
    options.callback?.({ step: i, steps, sigma: sigmas[i]!, sigmaHat, x, denoised });
    // Euler step.
    x = state = eulerStep(x, denoised, sigmaHat, sigmas[i + 1]! - sigmaHat, ownState(x, state));
    options.onCheckpoint?.({ step: i + 1, x, previousDenoised: null });
  }
  return x;
};

/** Heun's method, EDM Algorithm 2; the last step to sigma = 0 is plain Euler. */
export const sampleHeun: Sampler = async (model, x0, sigmas, options = {}) => {
  const steps = sigmas.length - 1;
  const begin = start(x0, options);
  let x = begin.x;
  let state: Float64Array | null = null;
  let predictor: Float64Array | null = null;
  for (let i = begin.first; i < steps; i++) {
    // Increase noise temporarily.
    const raised = churn(x, sigmas, i, options, 'heun');
    const sigmaHat = raised.sigmaHat;
    x = raised.x;
    const denoised = await model(x, sigmaHat, { step: i });
    options.callback?.({ step: i, steps, sigma: sigmas[i]!, sigmaHat, x, denoised });
    const sigmaNext = sigmas[i + 1]!;
    const dt = sigmaNext - sigmaHat;
    if (sigmaNext === 0) {
      // Euler step.
      x = state = eulerStep(x, denoised, sigmaHat, dt, ownState(x, state));
      options.onCheckpoint?.({ step: i + 1, x, previousDenoised: null });
      continue;
    }
    // Euler predictor, then apply 2nd order correction.
    const x2 = (predictor = eulerStep(x, denoised, sigmaHat, dt, ownState(x, predictor)));
    const denoised2 = await model(x2, sigmaNext, { step: i });
    const next = ownState(x, state);
    for (let j = 0; j < x.length; j++) {
      const d = (x[j]! - denoised[j]!) / sigmaHat;
      const d2 = (x2[j]! - denoised2[j]!) / sigmaNext;
      next[j] = x[j]! + ((d + d2) / 2) * dt;
    }
    x = state = next;
    options.onCheckpoint?.({ step: i + 1, x, previousDenoised: null });
  }
  return x;
};

/** DPM-Solver++(2M) (Lu et al. 2022), as k-diffusion's sample_dpmpp_2m. */
export const sampleDpmpp2m: Sampler = async (model, x0, sigmas, options = {}) => {
  const steps = sigmas.length - 1;
  const tOf = (sigma: number) => -Math.log(sigma);
  const sigmaOf = (t: number) => Math.exp(-t);
  const begin = start(x0, options);
  let x = begin.x;
  let oldDenoised: Estimate | null = begin.previous;
  let state: Float64Array | null = null;
  for (let i = begin.first; i < steps; i++) {
    const sigma = sigmas[i]!;
    const denoised = await model(x, sigma, { step: i });
    options.callback?.({ step: i, steps, sigma, sigmaHat: sigma, x, denoised });
    const t = tOf(sigma);
    const tNext = tOf(sigmas[i + 1]!);
    const h = tNext - t;
    const ratio = sigmaOf(tNext) / sigmaOf(t);
    // -expm1(-h) = 1 - sigma_next / sigma: how far this step moves x toward the denoised estimate.
    const weight = -Math.expm1(-h);
    const next = ownState(x, state);
    if (oldDenoised === null || sigmas[i + 1] === 0) {
      // First-order step (first step, and the last step to sigma = 0).
      for (let j = 0; j < x.length; j++) next[j] = ratio * x[j]! + weight * denoised[j]!;
    } else {
      // Second-order multistep: extrapolate the denoised trajectory from the last two steps.
      const r = (t - tOf(sigmas[i - 1]!)) / h;
      const a = 1 + 1 / (2 * r);
      const b = 1 / (2 * r);
      for (let j = 0; j < x.length; j++) next[j] = ratio * x[j]! + weight * (a * denoised[j]! - b * oldDenoised[j]!);
    }
    oldDenoised = denoised;
    x = state = next;
    options.onCheckpoint?.({ step: i + 1, x, previousDenoised: Float64Array.from(denoised) });
  }
  return x;
};

/** The ancestral step of k-diffusion's get_ancestral_step: where to step down to, and how much noise to add back. */
export function ancestralStep(sigmaFrom: number, sigmaTo: number, eta = 1): { sigmaDown: number; sigmaUp: number } {
  if (!eta) return { sigmaDown: sigmaTo, sigmaUp: 0 };
  const sigmaUp = Math.min(sigmaTo, eta * Math.sqrt((sigmaTo ** 2 * (sigmaFrom ** 2 - sigmaTo ** 2)) / sigmaFrom ** 2));
  return { sigmaDown: Math.sqrt(sigmaTo ** 2 - sigmaUp ** 2), sigmaUp };
}

/** Ancestral sampling with Euler steps, as k-diffusion's sample_euler_ancestral. */
export const sampleEulerAncestral: Sampler = async (model, x0, sigmas, options = {}) => {
  const steps = sigmas.length - 1;
  const { sNoise = 1, eta = 1 } = options;
  const begin = start(x0, options);
  let x = begin.x;
  let state: Float64Array | null = null;
  for (let i = begin.first; i < steps; i++) {
    const sigma = sigmas[i]!;
    const denoised = await model(x, sigma, { step: i });
    options.callback?.({ step: i, steps, sigma, sigmaHat: sigma, x, denoised });
    const { sigmaDown, sigmaUp } = ancestralStep(sigma, sigmas[i + 1]!, eta);
    // Euler step.
    x = state = eulerStep(x, denoised, sigma, sigmaDown - sigma, ownState(x, state));
    if (sigmas[i + 1]! > 0) {
      // Add fresh noise.
      const noise = requireNoise(options, 'euler-a')(x.length);
      for (let j = 0; j < x.length; j++) x[j] = x[j]! + noise[j]! * sNoise * sigmaUp;
    }
    options.onCheckpoint?.({ step: i + 1, x, previousDenoised: null });
  }
  return x;
};

/** The samplers by their public names (the CLI's --sampler and the API's sampler field). */
export const SAMPLERS = {
  euler: sampleEuler,
  heun: sampleHeun,
  'dpmpp-2m': sampleDpmpp2m,
  'euler-a': sampleEulerAncestral,
} as const satisfies Record<string, Sampler>;

export type SamplerName = keyof typeof SAMPLERS;

export function isSamplerName(name: string): name is SamplerName {
  return Object.hasOwn(SAMPLERS, name);
}

/** How many denoiser evaluations a sampler makes over `steps` steps (Heun: 2 * steps - 1). */
export function evaluationCount(sampler: SamplerName, steps: number): number {
  return sampler === 'heun' ? 2 * steps - 1 : steps;
}
