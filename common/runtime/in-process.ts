/**
 * The in-process pipeline: every model of a pack in this process. It is the oracle the cluster
 * must match (both run `runJob`).
 */
import type { Pack } from '../pack/load.ts';
import { imageChannels, type DecodeStage, type ExpertSpec, type PackManifest, type SuperResolutionStage } from '../pack/manifest.ts';
import type { BranchRequest, EncodedBranch } from '../pipeline/conditioning.ts';
import { runJob, runSuperResolution, type GenerateOptions, type GenerateResult, type PipelineBackend, type SuperResolutionRun } from '../pipeline/job.ts';
import type { GenerateRequest } from '../pipeline/request.ts';
import type { NoiseGenerator } from '../rng.ts';
import type { Tensor } from '../tensor.ts';
import { ConditioningBuilder } from './conditioning.ts';
import { DecoderModel } from './decoder.ts';
import { EncoderEnsemble } from './encoders.ts';
import { ExpertModel } from './expert.ts';
import { LocalExpert } from './local-expert.ts';

export class InProcessPipeline implements PipelineBackend {
  private readonly models = new Map<ExpertSpec, Promise<ExpertModel>>();
  private decoder: Promise<DecoderModel> | null = null;
  private readonly conditioning: ConditioningBuilder;

  private constructor(
    readonly pack: Pack,
    readonly encoders: EncoderEnsemble,
  ) {
    this.conditioning = new ConditioningBuilder(pack.manifest, encoders);
  }

  static async load(pack: Pack): Promise<InProcessPipeline> {
    return new InProcessPipeline(pack, await EncoderEnsemble.load(pack));
  }

  get manifest(): PackManifest {
    return this.pack.manifest;
  }

  /** Experts are loaded on first use, so a 64x64 job never loads the SR models. */
  private async experts(specs: readonly ExpertSpec[]): Promise<LocalExpert[]> {
    return Promise.all(
      specs.map(async (spec) => {
        let model = this.models.get(spec);
        if (!model) {
          model = ExpertModel.load(this.pack, spec);
          this.models.set(spec, model);
        }
        return new LocalExpert(await model);
      }),
    );
  }

  encode(request: BranchRequest): Promise<EncodedBranch> {
    return this.conditioning.branch(request);
  }

  baseExperts(): Promise<LocalExpert[]> {
    return this.experts(this.manifest.base.experts);
  }

  async decode(stage: DecodeStage, latents: Tensor): Promise<Tensor> {
    this.decoder ??= DecoderModel.load(this.pack, stage);
    return (await this.decoder).decode(latents);
  }

  async superResolve(stage: SuperResolutionStage, run: SuperResolutionRun): Promise<{ image: Tensor; rng: NoiseGenerator }> {
    const image = await runSuperResolution(stage, imageChannels(this.manifest), await this.experts(stage.experts), run);
    return { image, rng: run.rng };
  }

  generate(request: GenerateRequest, options?: GenerateOptions): Promise<GenerateResult> {
    return runJob(this, request, options);
  }

  async release(): Promise<void> {
    await this.encoders.release();
    await Promise.all([...this.models.values(), ...(this.decoder ? [this.decoder] : [])].map(async (m) => (await m).release()));
  }
}
