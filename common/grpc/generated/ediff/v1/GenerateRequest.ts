// Original file: protos/ediff/v1/coordinator.proto

import type { Tensor as _ediff_v1_Tensor, Tensor__Output as _ediff_v1_Tensor__Output } from '../../ediff/v1/Tensor';
import type { PaintRegion as _ediff_v1_PaintRegion, PaintRegion__Output as _ediff_v1_PaintRegion__Output } from '../../ediff/v1/PaintRegion';
import type { PromptSwitch as _ediff_v1_PromptSwitch, PromptSwitch__Output as _ediff_v1_PromptSwitch__Output } from '../../ediff/v1/PromptSwitch';
import type { Progress as _ediff_v1_Progress, Progress__Output as _ediff_v1_Progress__Output } from '../../ediff/v1/Progress';

export interface GenerateRequest {
  'prompt'?: (string);
  /**
   * What the image must not show (the unconditional branch of guidance).
   */
  'negativePrompt'?: (string);
  /**
   * 32-bit seed of every random draw of the job; random when absent (returned in the result).
   */
  'seed'?: (number);
  /**
   * Initial noise [C, H, W] of the base stage, unit variance, instead of drawing it from the seed.
   */
  'noise'?: (_ediff_v1_Tensor | null);
  /**
   * euler | heun | dpmpp-2m | euler-a; "" = the pack's default.
   */
  'sampler'?: (string);
  'steps'?: (number);
  /**
   * Guidance scale for every base expert; absent = each expert's own scale.
   */
  'guidance'?: (number | string);
  /**
   * Output side in pixels of a square image (the base size or an SR stage's); absent = the
   * largest. For a latent pack (Stable Diffusion), width and height at once.
   */
  'size'?: (number);
  /**
   * A style reference image (PNG, JPEG or WebP).
   */
  'styleImage'?: (Buffer | Uint8Array | string);
  'paint'?: (_ediff_v1_PaintRegion)[];
  'paintWeight'?: (number | string);
  /**
   * Switch to another prompt once a fraction of the base steps has run.
   */
  'promptSwitch'?: (_ediff_v1_PromptSwitch | null);
  /**
   * Send a preview of the denoised estimate every k base steps; 0 = none.
   */
  'previewEvery'?: (number);
  /**
   * Which progress events to send.
   */
  'progress'?: (_ediff_v1_Progress);
  /**
   * Latent packs: the output's width and height in pixels, multiples of the pack's size step
   * (DescribePipeline's latent.size_step); absent = the pack's default (or `size`).
   */
  'width'?: (number);
  'height'?: (number);
  /**
   * Guidance of single base experts by name (SDXL: base, refiner); wins over `guidance`.
   */
  'expertGuidance'?: ({[key: string]: number | string});
  /**
   * SDXL micro-conditioning: the size the image is said to come from (absent = the output's)
   * and the crop's top-left corner (absent = 0, 0). Refused by packs without it.
   */
  'originalWidth'?: (number);
  'originalHeight'?: (number);
  'cropTop'?: (number);
  'cropLeft'?: (number);
  /**
   * SDXL's refiner: the aesthetic score of the image (absent = 6) and of the negative branch
   * (absent = 2.5).
   */
  'aestheticScore'?: (number | string);
  'negativeAestheticScore'?: (number | string);
  /**
   * The base stage's sigmas: "karras" (the default, as "") over the pack's sigma range, or
   * "timesteps": an export's diffusers scheduler's training timesteps (feature
   * timestep-schedule), which split the steps at a refiner's boundary as diffusers does.
   */
  'sigmaSchedule'?: (string);
  /**
   * "interactive" (the default, as "") or "batch": queued interactive jobs start before batch ones.
   */
  'priority'?: (string);
  '_seed'?: "seed";
  '_steps'?: "steps";
  '_guidance'?: "guidance";
  '_size'?: "size";
  '_paintWeight'?: "paintWeight";
  '_width'?: "width";
  '_height'?: "height";
  '_originalWidth'?: "originalWidth";
  '_originalHeight'?: "originalHeight";
  '_cropTop'?: "cropTop";
  '_cropLeft'?: "cropLeft";
  '_aestheticScore'?: "aestheticScore";
  '_negativeAestheticScore'?: "negativeAestheticScore";
}

export interface GenerateRequest__Output {
  'prompt': (string);
  /**
   * What the image must not show (the unconditional branch of guidance).
   */
  'negativePrompt': (string);
  /**
   * 32-bit seed of every random draw of the job; random when absent (returned in the result).
   */
  'seed'?: (number);
  /**
   * Initial noise [C, H, W] of the base stage, unit variance, instead of drawing it from the seed.
   */
  'noise': (_ediff_v1_Tensor__Output | null);
  /**
   * euler | heun | dpmpp-2m | euler-a; "" = the pack's default.
   */
  'sampler': (string);
  'steps'?: (number);
  /**
   * Guidance scale for every base expert; absent = each expert's own scale.
   */
  'guidance'?: (number);
  /**
   * Output side in pixels of a square image (the base size or an SR stage's); absent = the
   * largest. For a latent pack (Stable Diffusion), width and height at once.
   */
  'size'?: (number);
  /**
   * A style reference image (PNG, JPEG or WebP).
   */
  'styleImage': (Buffer);
  'paint': (_ediff_v1_PaintRegion__Output)[];
  'paintWeight'?: (number);
  /**
   * Switch to another prompt once a fraction of the base steps has run.
   */
  'promptSwitch': (_ediff_v1_PromptSwitch__Output | null);
  /**
   * Send a preview of the denoised estimate every k base steps; 0 = none.
   */
  'previewEvery': (number);
  /**
   * Which progress events to send.
   */
  'progress': (_ediff_v1_Progress__Output);
  /**
   * Latent packs: the output's width and height in pixels, multiples of the pack's size step
   * (DescribePipeline's latent.size_step); absent = the pack's default (or `size`).
   */
  'width'?: (number);
  'height'?: (number);
  /**
   * Guidance of single base experts by name (SDXL: base, refiner); wins over `guidance`.
   */
  'expertGuidance': ({[key: string]: number});
  /**
   * SDXL micro-conditioning: the size the image is said to come from (absent = the output's)
   * and the crop's top-left corner (absent = 0, 0). Refused by packs without it.
   */
  'originalWidth'?: (number);
  'originalHeight'?: (number);
  'cropTop'?: (number);
  'cropLeft'?: (number);
  /**
   * SDXL's refiner: the aesthetic score of the image (absent = 6) and of the negative branch
   * (absent = 2.5).
   */
  'aestheticScore'?: (number);
  'negativeAestheticScore'?: (number);
  /**
   * The base stage's sigmas: "karras" (the default, as "") over the pack's sigma range, or
   * "timesteps": an export's diffusers scheduler's training timesteps (feature
   * timestep-schedule), which split the steps at a refiner's boundary as diffusers does.
   */
  'sigmaSchedule': (string);
  /**
   * "interactive" (the default, as "") or "batch": queued interactive jobs start before batch ones.
   */
  'priority': (string);
  '_seed'?: "seed";
  '_steps'?: "steps";
  '_guidance'?: "guidance";
  '_size'?: "size";
  '_paintWeight'?: "paintWeight";
  '_width'?: "width";
  '_height'?: "height";
  '_originalWidth'?: "originalWidth";
  '_originalHeight'?: "originalHeight";
  '_cropTop'?: "cropTop";
  '_cropLeft'?: "cropLeft";
  '_aestheticScore'?: "aestheticScore";
  '_negativeAestheticScore'?: "negativeAestheticScore";
}
