/** An expert in this process, as the routed denoiser sees it (an ExpertHandle). */
import type { ExpertSpec } from '../pack/manifest.ts';
import type { DenoiseCall, ExpertHandle } from '../pipeline/routing.ts';
import type { ExpertModel } from './expert.ts';
import { guidedEvaluation } from './guided.ts';

export class LocalExpert implements ExpertHandle {
  constructor(private readonly model: ExpertModel) {}

  get spec(): ExpertSpec {
    return this.model.spec;
  }

  async denoise(call: DenoiseCall): Promise<{ denoised: Float32Array; replica: string }> {
    const denoised = await guidedEvaluation(this.model, { ...call, cond: call.branches.cond, uncond: call.branches.uncond });
    return { denoised, replica: 'local' };
  }
}

