/** What the form asks for, its defaults from the served pack, and the job request it makes. */
import type { JobRequest, Pipeline } from './api.ts';

/** A phrase of the prompt painted onto the canvas: its colour and its mask (a PNG data URL). */
export interface PaintRegion {
  phrase: string;
  colour: string;
  mask: string | null;
}

export interface Settings {
  prompt: string;
  negativePrompt: string;
  /** Null: a random seed (the result says which). */
  seed: number | null;
  steps: number;
  sampler: string;
  /** Guidance per base expert, by name. */
  guidance: Record<string, number>;
  /** WIDTHxHEIGHT. */
  size: string;
  /** A data URL. */
  style: string | null;
  paint: PaintRegion[];
}

export const has = (pipeline: Pipeline, feature: string) => pipeline.features.includes(feature);

/** The sizes to pick from: the pack's (largest, the default, first). */
export function sizeChoices(pipeline: Pipeline): string[] {
  if (pipeline.latent) {
    const recommended = pipeline.recommended_sizes.map((s) => `${s.width}x${s.height}`);
    return recommended.length > 0 ? recommended : [`${pipeline.latent.default_width}x${pipeline.latent.default_height}`];
  }
  return [...pipeline.sizes].sort((a, b) => b - a).map((s) => `${s}x${s}`);
}

export function defaultSettings(pipeline: Pipeline): Settings {
  return {
    prompt: '',
    negativePrompt: '',
    seed: null,
    steps: pipeline.defaults.steps,
    sampler: pipeline.defaults.sampler,
    guidance: Object.fromEntries(pipeline.experts.map((e) => [e.name, e.guidance])),
    size: sizeChoices(pipeline)[0]!,
    style: null,
    paint: [],
  };
}

/** The words of a prompt, as the paint canvas offers them. */
export const promptWords = (prompt: string): string[] => prompt.split(/\s+/).map((w) => w.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '')).filter(Boolean);

/** Whether a phrase is (still) in the prompt, word for word. */
export function inPrompt(phrase: string, prompt: string): boolean {
  const words = promptWords(prompt).map((w) => w.toLowerCase());
  const wanted = promptWords(phrase).map((w) => w.toLowerCase());
  return wanted.length > 0 && words.some((_, i) => wanted.every((w, j) => words[i + j] === w));
}

const base64Of = (dataUrl: string) => dataUrl.slice(dataUrl.indexOf(',') + 1);

/** The job the settings ask for; features the pack lacks are left out. */
export function jobRequest(s: Settings, pipeline: Pipeline): JobRequest {
  const request: JobRequest = {
    model: pipeline.pack,
    prompt: s.prompt,
    num_inference_steps: s.steps,
    sampler: s.sampler,
    size: s.size,
    preview_every: 1,
  };
  if (s.seed !== null) request.seed = s.seed;
  if (has(pipeline, 'negative-prompt') && s.negativePrompt) request.negative_prompt = s.negativePrompt;
  if (has(pipeline, 'guidance-per-expert')) request.expert_guidance = s.guidance;
  else request.guidance_scale = Object.values(s.guidance)[0] ?? pipeline.defaults.guidance;
  if (has(pipeline, 'style-image') && s.style) request.style_image = base64Of(s.style);
  if (has(pipeline, 'paint-with-words')) {
    const painted = s.paint.filter((p) => p.mask && inPrompt(p.phrase, s.prompt));
    if (painted.length > 0) request.paint = painted.map((p) => ({ phrase: p.phrase, mask: base64Of(p.mask!) }));
  }
  if (!has(pipeline, 'previews')) delete request.preview_every;
  return request;
}

/** One colour per expert (base experts first, then SR stages and their experts), and per painted phrase. */
const PALETTE = ['#ff6b4a', '#4ea8ff', '#ffc23d', '#5fd08a', '#c38bff', '#ff7fbf', '#3ddbd9', '#d4e157', '#ff9f43', '#a0aec0'];
export const colourAt = (i: number) => PALETTE[i % PALETTE.length]!;

export function expertColours(pipeline: Pipeline): Map<string, string> {
  const names = [...pipeline.experts.map((e) => e.name), ...pipeline.super_resolution.flatMap((s) => [s.name, ...s.experts.map((e) => e.name)])];
  return new Map([...new Set(names)].map((name, i) => [name, colourAt(i)]));
}
