/**
 * One generation job, whatever runs it: resolve the request, build the conditioning of each
 * branch, run the base stage over the base experts, decode its latents (latent packs), then each
 * SR stage up to the requested size; with checkpoints, and resumable from any of them.
 * The in-process pipeline and the coordinator are two PipelineBackends of this one function, so
 * they produce the same image.
 */
import { SR_DEFAULT_GUIDANCE, type DecodeStage, type PackManifest, type SuperResolutionStage } from '../pack/manifest.ts';
import { NoiseGenerator, type GeneratorState } from '../rng.ts';
import { evaluationCount, type SamplerState, type StepEvent } from '../sampling/samplers.ts';
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

/**
 * Where a job can resume, a plain value: the phase to run next (0 = the base stage, then the
 * decode stage of a latent pack, then each SR stage), the sampler's state within the base stage,
 * or the image the next phase takes, the generator's state, and the evaluations done. A job
 * resumed from it (same request) gives the bytes of an uninterrupted run.
 */
export interface JobCheckpoint {
  phase: number;
  /** Phase 0: where the base stage's sampler is. */
  sampler: SamplerState | null;
  /** Phases after 0: the image (or latents) the phase takes. */
  image: Tensor | null;
  rng: GeneratorState;
  evaluation: number;
}

const copyState = (s: SamplerState): SamplerState => ({ step: s.step, x: Float64Array.from(s.x), previousDenoised: s.previousDenoised && Float64Array.from(s.previousDenoised) });

export interface GenerateOptions {
  /** A checkpoint every `every` base steps (0: none) and at every boundary between phases. */
  checkpoints?: { every: number; save: (checkpoint: JobCheckpoint) => void };
  /** Continue the job from this checkpoint (of the same request) instead of from the start. */
  resume?: JobCheckpoint;
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

  const resume = options.resume ?? null;
  if (resume) evaluation = resume.evaluation;
  let rng = new NoiseGenerator(resume?.rng ?? r.seed);
  const save = options.checkpoints?.save;
  const checkpoint = (phase: number, image: Tensor | null, sampler: SamplerState | null) => save?.({ phase, image, sampler, rng: rng.state(), evaluation });
  // The phases after the base stage (phase 0): the decode stage (latent packs), then each SR stage.
  const decode = m.decode;
  const after: { name: string; size: number; run: (image: Tensor) => Promise<Tensor> }[] = [
    ...(decode ? [{ name: decode.name, size: r.width, run: (latents: Tensor) => backend.decode(decode, latents, signal) }] : []),
    ...r.stages.map((stage) => ({
      name: stage.name,
      size: stage.size,
      run: async (lowRes: Tensor) => {
        const out = await backend.superResolve(stage, { lowRes: clampImage(lowRes), branches: last, rng, ...(signal && { signal }), onEvaluation: progress(stage.name, stage.steps) });
        rng = out.rng;
        return out.image;
      },
    })),
  ];

  let image: Tensor;
  if (resume && resume.phase > 0) image = resume.image!;
  else {
    const every = options.checkpoints?.every ?? 0;
    image = await timed('base', r.baseDims[2]!, async () =>
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
        ...(resume?.sampler && { resume: resume.sampler }),
        ...(save &&
          every > 0 && {
            onCheckpoint: (state: SamplerState) => {
              if (state.step % every === 0 && state.step < r.steps) checkpoint(0, null, copyState(state));
            },
          }),
      }),
    );
    if (after.length > 0) checkpoint(1, image, null);
  }
  for (let phase = Math.max(1, resume?.phase ?? 1); phase <= after.length; phase++) {
    const { name, size, run } = after[phase - 1]!;
    image = await timed(name, size, () => run(image));
    if (phase < after.length) checkpoint(phase + 1, image, null);
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
