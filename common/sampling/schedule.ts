/**
 * Noise schedules: pure functions returning the sigmas a sampler visits, ending in a trailing 0.
 */

/** Evenly spaced values from `start` to `end` inclusive, computed as torch.linspace does. */
export function linspace(start: number, end: number, steps: number): Float64Array {
  const out = new Float64Array(steps);
  if (steps === 1) {
    out[0] = start;
    return out;
  }
  const step = (end - start) / (steps - 1);
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) {
    out[i] = i < half ? start + step * i : end - step * (steps - 1 - i);
  }
  return out;
}

/**
 * The schedule of Karras et al. 2022 (EDM, eq. 5): n sigmas from sigmaMax down to sigmaMin,
 * evenly spaced in sigma^(1/rho), then a trailing 0 (n + 1 values), as k-diffusion's
 * get_sigmas_karras.
 */
export function karrasSigmas(n: number, sigmaMin: number, sigmaMax: number, rho = 7): Float64Array {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`steps must be a positive integer, got ${n}`);
  if (!(sigmaMin > 0 && sigmaMax > sigmaMin)) {
    throw new RangeError(`need 0 < sigma_min < sigma_max, got ${sigmaMin} and ${sigmaMax}`);
  }
  const ramp = linspace(0, 1, n);
  const minInvRho = sigmaMin ** (1 / rho);
  const maxInvRho = sigmaMax ** (1 / rho);
  const sigmas = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) sigmas[i] = (maxInvRho + ramp[i]! * (minInvRho - maxInvRho)) ** rho;
  sigmas[n] = 0;
  return sigmas;
}
