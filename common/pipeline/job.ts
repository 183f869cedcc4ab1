/**
 * One generation job, whatever runs it: resolve the request, build the conditioning of each
 * branch, run the base stage over the base experts, decode its latents (latent packs), then each
 * SR stage up to the requested size.
 * The in-process pipeline and the coordinator are two PipelineBackends of this one function, so
 * they produce the same image.
 */
import { SR_DEFAULT_GUIDANCE, type DecodeStage, type PackManifest, type SuperResolutionStage } from '../pack/manifest.ts';
import { NoiseGenerator } from '../rng.ts';
import { evaluationCount, type StepEvent } from '../sampling/samplers.ts';
import type { Tensor } from '../tensor.ts';
import { resolveRequest, type GenerateRequest } from './request.ts';
import type { EvaluationEvent, ExpertHandle } from './routing.ts';
import { hasPreviews, previewImage } from './preview.ts';
import { clampImage, runStage } from './stage.ts';
import { type BranchRequest, type Branches, type Conditioning, type EncodedBranch, unconditionalBranch } from './conditioning.ts';

export type ProgressEvent =
  | { type: 'evaluation'; stage: string; step: number; steps: number; sigma: number; expert: string; replica: string; evaluation: number; evaluations: number }
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
  width: number;
  height: number;
  stages: StageTiming[];
  /** What the caller should know about the job (a prompt truncated to fit an encoder). */
  warnings: string[];
}

export interface GenerateOptions {
  onProgress?: (event: ProgressEvent) => void;
  /** A preview of the base stage's denoised estimate every `every` steps (see preview.ts). */
  previews?: { every: number; onPreview: (step: number, image: Tensor) => void };
  signal?: AbortSignal;
}

export interface SuperResolutionRun {
  lowRes: Tensor;
  branches: Branches;
  rng: NoiseGenerator;
  signal?: AbortSignal;
  onEvaluation: (event: EvaluationEvent) => void;
}

/** Where a job's work runs. */
export interface PipelineBackend {
  readonly manifest: PackManifest;
  /** The conditioning of one branch of guidance. */
  encode(request: BranchRequest, signal?: AbortSignal): Promise<EncodedBranch>;
  /** The base experts, in manifest order. */
  baseExperts(): Promise<readonly ExpertHandle[]>;
  /** Decodes the base stage's latents [C, h, w] into an image [3, H, W] (latent packs). */
  decode(stage: DecodeStage, latents: Tensor, signal?: AbortSignal): Promise<Tensor>;
  /** Runs an SR stage; returns its image and the generator to continue the job's stream with. */
  superResolve(stage: SuperResolutionStage, run: SuperResolutionRun): Promise<{ image: Tensor; rng: NoiseGenerator }>;
}

export async function runJob(backend: PipelineBackend, request: GenerateRequest, options: GenerateOptions = {}): Promise<GenerateResult> {
  const m = backend.manifest;
  const r = resolveRequest(m, request);
  const { signal, onProgress } = options;
  const previews = options.previews && options.previews.every > 0 && hasPreviews(m) ? options.previews : null;
  const branch = (prompt: string, paintRequired: boolean): BranchRequest => ({ prompt, style: r.style, paint: r.paint, paintWeight: r.paintWeight, paintRequired, ...(r.micro && { micro: r.micro.cond }) });
  const warnings = new Set<string>();
  const encode = async (request: BranchRequest): Promise<Conditioning> => {
    const encoded = await backend.encode(request, signal);
    for (const w of encoded.warnings) warnings.add(w);
    return encoded.conditioning;
  };
  const uncond = await encode(unconditionalBranch(r.negativePrompt, r.micro?.uncond));
  const first: Branches = { cond: await encode(branch(r.prompt, true)), uncond };
  const second: Branches | null = r.promptSwitch ? { cond: await encode(branch(r.promptSwitch.prompt, false)), uncond } : null;
  const switchStep = r.promptSwitch ? Math.round(r.promptSwitch.atFraction * r.steps) : Infinity;
  const last = second ?? first;

  const evaluations = evaluationCount(r.sampler, r.steps) + r.stages.reduce((n, s) => n + evaluationCount(s.sampler, s.steps), 0);
  let evaluation = 0;
  const progress = (stage: string, steps: number) => (e: EvaluationEvent) =>
    onProgress?.({ type: 'evaluation', stage, steps, ...e, evaluation: ++evaluation, evaluations });
  const timings: StageTiming[] = [];
  const timed = async <T>(stage: string, size: number, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const out = await work();
    const ms = performance.now() - started;
    timings.push({ stage, size, ms });
    onProgress?.({ type: 'stage', stage, size, ms });
    return out;
  };

  let rng = new NoiseGenerator(r.seed);
  let image = await timed('base', r.baseDims[2]!, async () =>
    runStage({
      experts: await backend.baseExperts(),
      sampling: { ...m.defaults, sampler: r.sampler, steps: r.steps },
      sigmas: r.sigmas,
      dims: r.baseDims,
      guidance: (e) => r.expertGuidance[e.name] ?? r.guidance ?? e.guidance ?? m.defaults.guidance,
      branchesAt: (step) => (second && step >= switchStep ? second : first),
      rng,
      initialNoise: r.noise?.data ?? null,
      ...(signal && { signal }),
      onEvaluation: progress('base', r.steps),
      ...(previews && { onStep: (s: StepEvent) => (s.step + 1) % previews.every === 0 && previews.onPreview(s.step, previewImage(m, r.baseDims, s.denoised)) }),
    }),
  );
  const decode = m.decode;
  if (decode) image = await timed(decode.name, r.width, () => backend.decode(decode, image, signal));
  for (const stage of r.stages) {
    const out = await timed(stage.name, stage.size, () =>
      backend.superResolve(stage, { lowRes: clampImage(image), branches: last, rng, ...(signal && { signal }), onEvaluation: progress(stage.name, stage.steps) }),
    );
    image = out.image;
    rng = out.rng;
  }
  return { image, seed: r.seed, width: r.width, height: r.height, stages: timings, warnings: [...warnings] };
}

/** An SR stage run by local experts (in process, or on an SR node). */
export function runSuperResolution(stage: SuperResolutionStage, channels: number, experts: readonly ExpertHandle[], run: SuperResolutionRun): Promise<Tensor> {
  return runStage({
    experts,
    sampling: stage,
    dims: [channels, stage.size, stage.size],
    guidance: (e) => e.guidance ?? SR_DEFAULT_GUIDANCE,
    branchesAt: () => run.branches,
    rng: run.rng,
    lowRes: run.lowRes,
    ...(run.signal && { signal: run.signal }),
    onEvaluation: run.onEvaluation,
  });
}
