/**
 * The body of an HTTP image request (OpenAI's fields and ediff's, in snake_case) as the
 * pipeline request it asks for, checked as gRPC requests are.
 */
import { InvalidArgumentError, NotFoundError } from '../common/errors.ts';
import type { GenerateCall } from '../common/grpc/generate-request.ts';
import type { PackManifest } from '../common/pack/manifest.ts';
import { resolveRequest } from '../common/pipeline/request.ts';
import { MAX_SEED } from '../common/rng.ts';

/** The body of POST /v1/images/generations, as far as ediff reads it. */
export interface GenerationBody {
  model?: string | null;
  prompt?: unknown;
  n?: number | null;
  size?: string | null;
  response_format?: string | null;
  output_format?: string | null;
  stream?: boolean | null;
  partial_images?: number | null;
  user?: string;
  negative_prompt?: string;
  seed?: number;
  num_inference_steps?: number;
  guidance_scale?: number;
  sampler?: string;
  /** ediff's own: guidance per base expert by name, a style image and paint regions (base64 PNG / JPEG / WebP). */
  expert_guidance?: Record<string, number>;
  style_image?: string;
  paint?: { phrase: string; mask: string }[];
  paint_weight?: number;
  sigma_schedule?: string;
  /** eDiff-I's prompt switching: this prompt once `at_fraction` of the base steps has run. */
  prompt_switch?: { prompt: string; at_fraction: number };
  /** interactive (the default) or batch: queued interactive jobs start first. */
  priority?: string;
  /** SDXL's micro-conditioning. */
  original_width?: number;
  original_height?: number;
  crop_top?: number;
  crop_left?: number;
  aesthetic_score?: number;
  negative_aesthetic_score?: number;
  /** Async jobs: a preview event every k base steps (0 = none). */
  preview_every?: number;
}

/** The body's fields that are the request's under another name (snake_case), passed as they are. */
const SAME_FIELDS = {
  negative_prompt: 'negativePrompt',
  num_inference_steps: 'steps',
  guidance_scale: 'guidance',
  sampler: 'sampler',
  expert_guidance: 'expertGuidance',
  paint_weight: 'paintWeight',
  sigma_schedule: 'sigmaSchedule',
  priority: 'priority',
  original_width: 'originalWidth',
  original_height: 'originalHeight',
  crop_top: 'cropTop',
  crop_left: 'cropLeft',
  aesthetic_score: 'aestheticScore',
  negative_aesthetic_score: 'negativeAestheticScore',
} as const satisfies Partial<Record<keyof GenerationBody, keyof GenerateCall>>;

/** A base64 field's bytes. */
function base64Field(field: string, value: unknown): Uint8Array {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw new InvalidArgumentError(field, 'must be a base64 string (of a PNG, JPEG or WebP image)');
  return Buffer.from(value, 'base64');
}

/** The body of an image request, if it is one and names the served model (or none). */
export function checkedBody(body: unknown, manifest: PackManifest): GenerationBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidArgumentError('body', 'must be a JSON object');
  const b = body as GenerationBody;
  if (b.model && b.model !== manifest.name) throw new NotFoundError(`the model ${JSON.stringify(b.model)} does not exist; this server serves ${JSON.stringify(manifest.name)} (GET /v1/models)`);
  return b;
}

/** The pipeline request an OpenAI-style body asks for, with this seed (image i of n: the body's seed + i). */
export function requestOf(body: GenerationBody, manifest: PackManifest, seed: number): GenerateCall {
  if (typeof body.prompt !== 'string') throw new InvalidArgumentError('prompt', 'is required (a string)');
  const request: GenerateCall = { prompt: body.prompt, seed };
  // Their types and ranges are checked by resolveRequest below, as gRPC's are.
  for (const [field, key] of Object.entries(SAME_FIELDS)) if (body[field as keyof GenerationBody] !== undefined) Object.assign(request, { [key]: body[field as keyof GenerationBody] });
  if (body.prompt_switch !== undefined) {
    const ps = body.prompt_switch;
    if (typeof ps !== 'object' || ps === null) throw new InvalidArgumentError('prompt_switch', 'must be {"prompt": "...", "at_fraction": 0.5}');
    request.promptSwitch = { prompt: ps.prompt, atFraction: ps.at_fraction };
  }
  if (body.style_image !== undefined) request.style = base64Field('style_image', body.style_image);
  if (body.paint !== undefined) {
    if (!Array.isArray(body.paint)) throw new InvalidArgumentError('paint', 'must be a list of {"phrase", "mask"} (mask: a base64 PNG)');
    request.paint = body.paint.map((p, i) => ({ phrase: String(p?.phrase ?? ''), mask: base64Field(`paint[${i}].mask`, p?.mask) }));
  }
  if (body.size && body.size !== 'auto') {
    const m = /^(\d+)x(\d+)$/.exec(body.size);
    if (!m) throw new InvalidArgumentError('size', `must be WIDTHxHEIGHT (e.g. 64x64) or auto, got ${JSON.stringify(body.size)}`);
    const [width, height] = [Number(m[1]), Number(m[2])];
    if (manifest.decode) Object.assign(request, { width, height });
    else if (width === height) request.size = width;
    else throw new InvalidArgumentError('size', `pack ${manifest.name} makes square images only, got ${body.size}`);
  }
  // Bad input is refused before any job starts.
  resolveRequest(manifest, request);
  return request;
}

/** A seed for a request that names none (the job's result says which it was). */
export const randomSeed = () => Math.floor(Math.random() * (MAX_SEED + 1));
