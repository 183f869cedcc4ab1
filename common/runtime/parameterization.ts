/**
 * Turning what a network predicts into the denoiser D(x, sigma), as k-diffusion's model wrappers
 * (DiscreteEpsDDPMDenoiser, DiscreteVDDPMDenoiser) do. `edm` models apply their preconditioning
 * in the graph and need nothing here. The training schedule's sigmas and sigma <-> timestep
 * conversion are in sampling/discrete-schedule.ts.
 */

/** D = c_skip * x + c_out * F(c_in * x, t(sigma)), for sigma_data = 1 as in k-diffusion's discrete wrappers. */
export function scalings(type: 'eps' | 'v', sigma: number): { cSkip: number; cOut: number; cIn: number } {
  const norm = Math.sqrt(sigma * sigma + 1);
  return type === 'eps' ? { cSkip: 1, cOut: -sigma, cIn: 1 / norm } : { cSkip: 1 / (sigma * sigma + 1), cOut: -sigma / norm, cIn: 1 / norm };
}
