/**
 * The in-process pipeline: a whole eDiff-I generation in one process (encoders, the base expert
 * ensemble, the SR cascade). It is the oracle the cluster must match.
 */
import { decodeImage, decodeMask } from '../image.ts';
import { InvalidArgumentError } from '../errors.ts';
import type { Pack } from '../pack/load.ts';
import type { ExpertSpec, SamplingDefaults } from '../pack/manifest.ts';
import { NoiseGenerator } from '../rng.ts';
import { karrasSigmas } from '../sampling/schedule.ts';
import { SAMPLERS, evaluationCount, type SamplerName } from '../sampling/samplers.ts';
import type { Tensor } from '../tensor.ts';
import { EncoderEnsemble, type Conditioning } from '../runtime/encoders.ts';
import { ExpertModel } from '../runtime/expert.ts';
import { routedDenoiser, type Branches, type Expert } from './guidance.ts';
import { resolveRequest, type GenerateRequest, type ResolvedRequest } from './request.ts';

export type ProgressEvent =
  | { type: 'evaluation'; stage: string; step: number; steps: number; sigma: number; expert: string; evaluation: number; evaluations: number }
  | { type: 'stage'; stage: string; size: number; ms: number };

export interface StageTiming {
  stage: string;
  size: number;
  ms: number;
}

export interface GenerateResult {
  /** CHW, RGB in [-1, 1] (not clamped). */
  image: Tensor;
  seed: number;
  size: number;
  stages: StageTiming[];
}

export interface GenerateOptions {
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
}

interface Stage {
  name: string;
  size: number;
  sampling: SamplingDefaults;
  experts: ExpertSpec[];
  guidance: (e: ExpertSpec) => number;
}

const clamp = (t: Tensor): Tensor => ({ dims: t.dims, data: t.data.map((v) => Math.min(1, Math.max(-1, v))) });

export class InProcessPipeline {
  private readonly experts = new Map<ExpertSpec, Promise<ExpertModel>>();

  private constructor(
    readonly pack: Pack,
    readonly encoders: EncoderEnsemble,
  ) {}

  static async load(pack: Pack): Promise<InProcessPipeline> {
    return new InProcessPipeline(pack, await EncoderEnsemble.load(pack));
  }

  /** Experts are loaded on first use, so a 64x64 job never loads the SR models. */
  private expert(spec: ExpertSpec): Promise<Expert> {
    let model = this.experts.get(spec);
    if (!model) {
      model = ExpertModel.load(this.pack, spec);
      this.experts.set(spec, model);
    }
    return model;
  }

  /** The paint tensor [T, P, P] of one prompt: each painted phrase's mask on the rows of its tokens. */
  private async paintFor(prompt: string, r: ResolvedRequest, required: boolean): Promise<Tensor> {
    const spec = this.pack.manifest.paint!;
    const tokenizer = this.encoders.tokenizer(spec.encoder);
    const cells = spec.size * spec.size;
    const data = new Float32Array(tokenizer.maxTokens * cells);
    for (const [i, region] of r.paint.entries()) {
      const positions = tokenizer.phrasePositions(prompt, region.phrase);
      if (positions.length === 0) {
        if (required) throw new InvalidArgumentError(`paint[${i}].phrase`, `${JSON.stringify(region.phrase)} is not in the prompt (or falls past its first ${tokenizer.maxTokens} tokens)`);
        continue;
      }
      const mask = await decodeMask(region.mask, `paint[${i}].mask`, spec.size);
      for (const t of positions) for (let p = 0; p < cells; p++) data[t * cells + p] = Math.max(data[t * cells + p]!, mask.data[p]!);
    }
    return { dims: [tokenizer.maxTokens, spec.size, spec.size], data };
  }

  private async conditioning(prompt: string, style: Conditioning, r: ResolvedRequest, paintRequired: boolean): Promise<Conditioning> {
    const out: Conditioning = { ...(await this.encoders.encodePrompt(prompt)), ...style };
    if (this.pack.manifest.paint) {
      out.paint = await this.paintFor(prompt, r, paintRequired);
      out.paint_weight = { dims: [], data: Float32Array.of(r.paintWeight) };
    }
    return out;
  }

  private async unconditional(r: ResolvedRequest): Promise<Conditioning> {
    const out: Conditioning = { ...(await this.encoders.encodePrompt(r.negativePrompt)), ...(await this.encoders.encodeImage(null)) };
    if (this.pack.manifest.paint) {
      const { size, encoder } = this.pack.manifest.paint;
      out.paint = { dims: [this.encoders.tokenizer(encoder).maxTokens, size, size], data: new Float32Array(this.encoders.tokenizer(encoder).maxTokens * size * size) };
      out.paint_weight = { dims: [], data: Float32Array.of(0) };
    }
    return out;
  }

  private async styleConditioning(r: ResolvedRequest): Promise<Conditioning> {
    if (!r.style) return this.encoders.encodeImage(null);
    const [size] = this.encoders.imageSizes();
    if (size === undefined) throw new InvalidArgumentError('style', `pack ${this.pack.manifest.name} has no image encoder`);
    return this.encoders.encodeImage(await decodeImage(r.style, 'style', size));
  }

  /** The stages a job runs: the base, then SR stages up to the requested size. */
  private stages(r: ResolvedRequest): Stage[] {
    const m = this.pack.manifest;
    const base: Stage = {
      name: 'base',
      size: m.base.size,
      sampling: { ...m.defaults, sampler: r.sampler, steps: r.steps },
      experts: m.base.experts,
      guidance: (e) => r.guidance ?? e.guidance ?? m.defaults.guidance,
    };
    const sr = m.super_resolution
      .filter((s) => s.size <= r.size)
      .map((s): Stage => ({ name: s.name, size: s.size, sampling: s, experts: s.experts, guidance: (e) => e.guidance ?? 1 }));
    return [base, ...sr];
  }

  async generate(request: GenerateRequest, options: GenerateOptions = {}): Promise<GenerateResult> {
    const m = this.pack.manifest;
    const r = resolveRequest(m, request);
    const { signal, onProgress } = options;
    const style = await this.styleConditioning(r);
    const uncond = await this.unconditional(r);
    const first: Branches = { cond: await this.conditioning(r.prompt, style, r, true), uncond };
    const second: Branches | null = r.promptSwitch ? { cond: await this.conditioning(r.promptSwitch.prompt, style, r, false), uncond } : null;
    const switchStep = r.promptSwitch ? Math.round(r.promptSwitch.atFraction * r.steps) : Infinity;

    const rng = new NoiseGenerator(r.seed);
    const stages = this.stages(r);
    const evaluations = stages.reduce((n, s) => n + evaluationCount(s.sampling.sampler as SamplerName, s.sampling.steps), 0);
    let evaluation = 0;
    const timings: StageTiming[] = [];
    let image: Tensor | null = null;
    for (const stage of stages) {
      const started = performance.now();
      const dims = [m.base.channels, stage.size, stage.size];
      const n = dims[0]! * dims[1]! * dims[2]!;
      const { sampler, steps, sigma_min, sigma_max, rho } = stage.sampling;
      const sigmas = karrasSigmas(steps, sigma_min, sigma_max, rho);
      // The base stage may start from client-given noise; everything else is drawn from the seed, in stage order.
      const unit = stage.name === 'base' && r.noise ? Float64Array.from(r.noise.data) : rng.normals(n);
      const x = unit.map((z) => z * sigmas[0]!);
      const experts = await Promise.all(stage.experts.map((e) => this.expert(e)));
      const lowRes = image ? clamp(image) : undefined;
      const denoiser = routedDenoiser({
        experts,
        dims,
        branchesAt: stage.name === 'base' ? (step) => (second && step >= switchStep ? second : first) : () => second ?? first,
        guidance: stage.guidance,
        ...(lowRes && { lowRes }),
        onEvaluation: (e) => {
          signal?.throwIfAborted();
          onProgress?.({ type: 'evaluation', stage: stage.name, steps, ...e, evaluation: ++evaluation, evaluations });
        },
      });
      const out = await SAMPLERS[sampler](denoiser, x, sigmas, { noise: (k) => rng.normals(k) });
      image = { dims, data: Float32Array.from(out) };
      const ms = performance.now() - started;
      timings.push({ stage: stage.name, size: stage.size, ms });
      onProgress?.({ type: 'stage', stage: stage.name, size: stage.size, ms });
    }
    return { image: image!, seed: r.seed, size: r.size, stages: timings };
  }

  async release(): Promise<void> {
    await this.encoders.release();
    await Promise.all([...this.experts.values()].map(async (e) => (await e).release()));
  }
}
