/**
 * A discrete-time (DDPM) training schedule: its betas, the sigma of each training timestep, and
 * sigma <-> timestep conversion, as k-diffusion's DiscreteSchedule (external.py) has them.
 */
import { linspace } from './schedule.ts';

/** A discrete-time training schedule (DDPM betas), for `eps` and `v` parameterizations. */
export interface DiscreteSchedule {
  beta_schedule: 'linear' | 'scaled_linear';
  beta_start: number;
  beta_end: number;
  /** Number of training timesteps. @default 1000 */
  timesteps: number;
}

/** How diffusers' schedulers pick the training timesteps of n steps (scheduler_config.json's `timestep_spacing`, `steps_offset`). */
export interface TimestepSpacing {
  spacing: 'leading' | 'trailing' | 'linspace';
  steps_offset: number;
}

/** The sigmas of a discrete-time (DDPM) training schedule, and sigma <-> timestep conversion. */
export class DiscreteSigmas {
  readonly sigmas: Float64Array;
  readonly logSigmas: Float64Array;

  constructor(schedule: DiscreteSchedule) {
    const T = schedule.timesteps;
    const betas =
      schedule.beta_schedule === 'linear'
        ? linspace(schedule.beta_start, schedule.beta_end, T)
        : linspace(Math.sqrt(schedule.beta_start), Math.sqrt(schedule.beta_end), T).map((b) => b * b);
    this.sigmas = new Float64Array(T);
    let alphasCumprod = 1;
    for (let t = 0; t < T; t++) {
      alphasCumprod *= 1 - betas[t]!;
      this.sigmas[t] = Math.sqrt((1 - alphasCumprod) / alphasCumprod);
    }
    this.logSigmas = this.sigmas.map(Math.log);
  }

  get sigmaMin(): number {
    return this.sigmas[0]!;
  }

  get sigmaMax(): number {
    return this.sigmas[this.sigmas.length - 1]!;
  }

  /** The fractional training timestep of sigma: linear interpolation in log sigma (k-diffusion's sigma_to_t). */
  sigmaToT(sigma: number): number {
    const logSigma = Math.log(sigma);
    const n = this.logSigmas.length;
    // low = the last index whose log sigma is <= log_sigma, clamped to [0, n - 2].
    let low = 0;
    for (let i = 0; i < n; i++) if (logSigma - this.logSigmas[i]! >= 0) low = i;
    low = Math.min(low, n - 2);
    const lo = this.logSigmas[low]!;
    const hi = this.logSigmas[low + 1]!;
    const w = Math.min(1, Math.max(0, (lo - logSigma) / (lo - hi)));
    return (1 - w) * low + w * (low + 1);
  }

  /**
   * The sigmas of n steps at the training timesteps diffusers' EulerDiscreteScheduler picks
   * (`set_timesteps`: leading, trailing or linspace spacing; sigma interpolated linearly between
   * training steps), then a trailing 0: the schedule diffusers users know, where
   * `denoising_end` 0.8 puts 80% of the steps above the boundary.
   */
  timestepSigmas(n: number, t: TimestepSpacing): Float64Array {
    const T = this.sigmas.length;
    let timesteps: number[];
    if (t.spacing === 'linspace') timesteps = Array.from(linspace(0, T - 1, n)).reverse();
    else if (t.spacing === 'leading') {
      const ratio = Math.floor(T / n);
      timesteps = Array.from({ length: n }, (_, i) => Math.round((n - 1 - i) * ratio) + t.steps_offset);
    } else timesteps = Array.from({ length: n }, (_, i) => Math.round(T - (i * T) / n) - 1);
    const out = new Float64Array(n + 1);
    timesteps.forEach((step, i) => {
      const clamped = Math.min(T - 1, Math.max(0, step));
      const lo = Math.floor(clamped);
      const hi = Math.min(T - 1, lo + 1);
      const w = clamped - lo;
      out[i] = (1 - w) * this.sigmas[lo]! + w * this.sigmas[hi]!;
    });
    return out;
  }

  /** The training step nearest sigma in log sigma (k-diffusion's sigma_to_t with quantize=True), for models that take an integer timestep. */
  nearestT(sigma: number): number {
    const logSigma = Math.log(sigma);
    let best = 0;
    for (let t = 1; t < this.logSigmas.length; t++) if (Math.abs(logSigma - this.logSigmas[t]!) < Math.abs(logSigma - this.logSigmas[best]!)) best = t;
    return best;
  }
}

