/** GenerateRequest between the pipeline's form and the wire's, both ways (SDK and coordinator). */
import type { GenerateRequest as WireRequest, GenerateRequest__Output as WireRequestOutput } from './generated/ediff/v1/GenerateRequest.ts';
import type { GenerateRequest, JobPriority, SigmaScheduleName } from '../pipeline/request.ts';
import { InvalidArgumentError } from '../errors.ts';
import { fromWire, toWire } from './tensor.ts';

/** SDXL's micro-conditioning fields: proto3 `optional` on the wire, the same names on both sides. */
const MICRO_FIELDS = ['originalWidth', 'originalHeight', 'cropTop', 'cropLeft', 'aestheticScore', 'negativeAestheticScore'] as const;

/** The fields of `r` among `keys` that are set. */
const definedFields = <T extends object, K extends keyof T>(r: T, keys: readonly K[]): Partial<Pick<T, K>> => Object.fromEntries(keys.filter((k) => r[k] !== undefined).map((k) => [k, r[k]])) as Partial<Pick<T, K>>;

/** A request plus the options that only concern its stream of events. */
export interface GenerateCall extends GenerateRequest {
  /** Send a preview of the denoised estimate every k base steps. @default 0 (none) */
  previewEvery?: number;
  /** 'none': no event per evaluation, only previews (if asked for) and the result. @default 'evaluations' */
  progress?: 'evaluations' | 'none';
}

export function generateRequestToWire(r: GenerateCall): WireRequest {
  return {
    prompt: r.prompt,
    negativePrompt: r.negativePrompt ?? '',
    ...(r.seed !== undefined && { seed: r.seed }),
    ...(r.noise && { noise: toWire(r.noise) }),
    sampler: r.sampler ?? '',
    ...(r.steps !== undefined && { steps: r.steps }),
    ...(r.guidance !== undefined && { guidance: r.guidance }),
    ...(r.size !== undefined && { size: r.size }),
    ...(r.width !== undefined && { width: r.width }),
    ...(r.height !== undefined && { height: r.height }),
    ...(r.style && { styleImage: r.style }),
    paint: r.paint ?? [],
    ...(r.paintWeight !== undefined && { paintWeight: r.paintWeight }),
    ...(r.promptSwitch && { promptSwitch: r.promptSwitch }),
    expertGuidance: r.expertGuidance ?? {},
    sigmaSchedule: r.sigmaSchedule ?? '',
    priority: r.priority ?? '',
    ...definedFields(r, MICRO_FIELDS),
    previewEvery: r.previewEvery ?? 0,
    progress: r.progress === 'none' ? 'PROGRESS_NONE' : 'PROGRESS_EVALUATIONS',
  };
}

/** The wire request as the pipeline's (proto3 `optional` fields keep their absence). */
export function generateRequestFromWire(r: WireRequestOutput): GenerateCall & Required<Pick<GenerateCall, 'previewEvery' | 'progress'>> {
  return {
    prompt: r.prompt,
    negativePrompt: r.negativePrompt,
    ...(r.seed !== undefined && { seed: r.seed }),
    ...(r.noise && { noise: fromWire(r.noise, 'noise', { finite: true }) }),
    ...(r.sampler !== '' && { sampler: r.sampler }),
    ...(r.steps !== undefined && { steps: r.steps }),
    ...(r.guidance !== undefined && { guidance: r.guidance }),
    ...(r.size !== undefined && { size: r.size }),
    ...(r.width !== undefined && { width: r.width }),
    ...(r.height !== undefined && { height: r.height }),
    ...(r.styleImage.length > 0 && { style: r.styleImage }),
    paint: r.paint.map((p) => ({ phrase: p.phrase, mask: p.mask })),
    ...(r.paintWeight !== undefined && { paintWeight: r.paintWeight }),
    ...(r.promptSwitch && { promptSwitch: { prompt: r.promptSwitch.prompt, atFraction: r.promptSwitch.atFraction } }),
    ...(Object.keys(r.expertGuidance).length > 0 && { expertGuidance: r.expertGuidance }),
    ...(r.sigmaSchedule !== '' && { sigmaSchedule: r.sigmaSchedule as SigmaScheduleName }),
    ...(r.priority !== '' && { priority: r.priority as JobPriority }),
    ...definedFields(r, MICRO_FIELDS),
    previewEvery: r.previewEvery,
    progress: progressFromWire(r.progress),
  };
}

function progressFromWire(p: WireRequestOutput['progress']): NonNullable<GenerateCall['progress']> {
  if (p === 'PROGRESS_EVALUATIONS') return 'evaluations';
  if (p === 'PROGRESS_NONE') return 'none';
  throw new InvalidArgumentError('progress', `must be PROGRESS_EVALUATIONS or PROGRESS_NONE, got ${p}`);
}
