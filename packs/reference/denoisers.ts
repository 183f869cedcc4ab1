/**
 * The reference pack's denoisers as ONNX graphs, all in the `edm` parameterization (they return
 * D(x, sigma) directly).
 *
 * Base experts: the exact optimal denoiser of the image set Y with a conditioning-dependent prior,
 *   D(x, sigma) = sum_i softmax_i(log p_i + (x . y_i - |y_i|^2 / 2) / sigma^2) y_i,
 * where log p_i adds, for each conditioning input the expert consumes,
 *   text:  BETA_TEXT  * (attributes the prompt names that image i has),
 *   style: BETA_STYLE * [image i's background is the style image's dominant colour],
 *   paint: BETA_PAINT * paint_weight * log(1 + sigma) * (mean mask value over the region of
 *          image i that each painted token names), eDiff-I's paint-with-words schedule.
 * An expert that consumes no conditioning has a uniform prior and ignores the prompt.
 *
 * SR experts: the exact denoiser of a per-pixel palette prior set by the low-resolution image:
 * each high-resolution pixel is one palette colour, likelier the closer it is to the bilinearly
 * upsampled low-res pixel, and only colours present near that pixel are allowed.
 */
import { GraphBuilder, attr, f32 } from '../onnx/graph.ts';
import { ATTRIBUTE_COUNT, OBJECT_COLOURS, BACKGROUNDS, PALETTE, PALETTE_NAMES, attributeIndex, itemAttributes, objectCoverage, render, type Item } from './dataset.ts';

export const BETA_TEXT = 16;
export const BETA_STYLE = 8;
export const BETA_PAINT = 6;

/** The conditioning a base expert consumes. */
export interface BaseConditioning {
  t5?: boolean;
  clipPooled?: boolean;
  clipImage?: boolean;
  paint?: boolean;
}

export interface BaseData {
  items: Item[];
  size: number;
  /** [N, 3 * size * size] images. */
  images: Float32Array;
  /** [N, 17] attributes of each image. */
  attributes: Float32Array;
  /** [N, 17 * paintSize^2]: the region of image i each attribute names, as a mean over its area. */
  regions: Float32Array;
  paintSize: number;
}

export function baseData(items: Item[], size: number, paintSize: number): BaseData {
  const dim = 3 * size * size;
  const cells = paintSize * paintSize;
  const images = new Float32Array(items.length * dim);
  const attributes = new Float32Array(items.length * ATTRIBUTE_COUNT);
  const regions = new Float32Array(items.length * ATTRIBUTE_COUNT * cells);
  items.forEach((item, i) => {
    images.set(render(item, size), i * dim);
    const { object, background } = itemAttributes(item);
    const cover = objectCoverage(item, paintSize, 8);
    const objectArea = cover.reduce((a, b) => a + b, 0);
    for (const k of [...object, background]) {
      attributes[i * ATTRIBUTE_COUNT + k] = 1;
      const base = (i * ATTRIBUTE_COUNT + k) * cells;
      const isObject = k !== background;
      const area = isObject ? objectArea : cells - objectArea;
      for (let p = 0; p < cells; p++) regions[base + p] = (isObject ? cover[p]! : 1 - cover[p]!) / area;
    }
  });
  return { items, size, images, attributes, regions, paintSize };
}

export interface BaseExpertIo {
  t5Tokens: number;
}

/** A base expert: inputs x, sigma and the conditioning it consumes; output `denoised`. */
export function baseExpertOnnx(name: string, data: BaseData, uses: BaseConditioning, io: BaseExpertIo): Uint8Array {
  const n = data.items.length;
  const dim = 3 * data.size * data.size;
  const g = new GraphBuilder(name);
  const x = g.input('x', 'float32', ['batch', 3, data.size, data.size]);
  const sigma = g.input('sigma', 'float32', ['batch']);
  const Y = g.constant('images', data.images, [n, dim]);
  const halfNorms = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += data.images[i * dim + j]! ** 2;
    halfNorms[i] = s / 2;
  }
  const column = (v: string) => g.op('Unsqueeze', [v, g.ints([1])]);
  const sigma2 = column(g.op('Mul', [sigma, sigma]));
  // Log-likelihood of each image, up to a constant: (x . y_i - |y_i|^2 / 2) / sigma^2.
  const xFlat = g.op('Reshape', [x, g.ints([-1, dim])]);
  const dots = g.op('Gemm', [xFlat, Y], { transB: attr.int(1) });
  let logits = g.op('Div', [g.op('Sub', [dots, g.constant('half_norms', halfNorms, [n])]), sigma2]);

  // Log-prior from the conditioning.
  let A: string | null = null;
  const byAttributes = (evidence: string, beta: number) => {
    A ??= g.constant('attributes', data.attributes, [n, ATTRIBUTE_COUNT]);
    return g.op('Mul', [g.op('Gemm', [evidence, A], { transB: attr.int(1) }), g.scalar(beta)]);
  };
  const t5 = uses.t5 || uses.paint ? g.input('t5_tokens', 'float32', ['batch', io.t5Tokens, ATTRIBUTE_COUNT]) : null;
  if (uses.t5 || uses.clipPooled) {
    const parts: string[] = [];
    if (uses.t5) parts.push(g.op('Clip', [g.op('ReduceSum', [t5!, g.ints([1])], { keepdims: attr.int(0) }), g.scalar(0), g.scalar(1)]));
    if (uses.clipPooled) parts.push(g.input('clip_text_pooled', 'float32', ['batch', ATTRIBUTE_COUNT]));
    const evidence = parts.length === 1 ? parts[0]! : g.op('Mul', [g.op('Add', [parts[0]!, parts[1]!]), g.scalar(0.5)]);
    logits = g.op('Add', [logits, byAttributes(evidence, BETA_TEXT)]);
  }
  if (uses.clipImage) {
    const style = g.input('clip_image', 'float32', ['batch', ATTRIBUTE_COUNT]);
    logits = g.op('Add', [logits, byAttributes(style, BETA_STYLE)]);
  }
  if (uses.paint) {
    const cells = data.paintSize * data.paintSize;
    const paint = g.input('paint', 'float32', ['batch', io.t5Tokens, data.paintSize, data.paintSize]);
    const weight = g.input('paint_weight', 'float32', ['batch']);
    // evidence[b, k, p] = sum_t t5[b, t, k] * paint[b, t, p]: which attribute is painted where.
    const evidence = g.op('MatMul', [g.op('Transpose', [t5!], { perm: attr.ints([0, 2, 1]) }), g.op('Reshape', [paint, g.ints([0, 0, cells])])]);
    const score = g.op('Gemm', [g.op('Reshape', [evidence, g.ints([-1, ATTRIBUTE_COUNT * cells])]), g.constant('regions', data.regions, [n, ATTRIBUTE_COUNT * cells])], { transB: attr.int(1) });
    const schedule = column(g.op('Mul', [g.op('Mul', [weight, g.scalar(BETA_PAINT)]), g.op('Log', [g.op('Add', [sigma, g.scalar(1)])])]));
    logits = g.op('Add', [logits, g.op('Mul', [score, schedule])]);
  }
  const weights = g.op('Softmax', [logits], { axis: attr.int(1) });
  const denoised = g.op('Reshape', [g.op('MatMul', [weights, Y]), g.ints([-1, 3, data.size, data.size])]);
  g.output(denoised, 'denoised', 'float32', ['batch', 3, data.size, data.size]);
  return g.encode();
}

export interface SrExpertOptions {
  fromSize: number;
  size: number;
  /** How far a pixel may stray from the upsampled low-res colour (RGB units in [-1, 1]). */
  tau: number;
  /** Consume clip_text_pooled: colours the prompt names get a small prior bonus. */
  text: boolean;
}

/** Width of the test "is this low-res pixel a pure palette colour". */
const PRESENCE_TAU = 0.15;
/** Prior bonus, in nats, for a palette colour the prompt names. */
const SR_TEXT_BONUS = 1;

/** An SR expert: inputs x [B,3,S,S], sigma, low_res [B,3,s,s] (and clip_text_pooled); output `denoised`. */
export function srExpertOnnx(name: string, o: SrExpertOptions): Uint8Array {
  const C = PALETTE_NAMES.length;
  const mu = PALETTE_NAMES.flatMap((c) => [...PALETTE[c]]);
  const muNorm = PALETTE_NAMES.map((c) => PALETTE[c].reduce((a, v) => a + v * v, 0));
  const g = new GraphBuilder(name);
  const x = g.input('x', 'float32', ['batch', 3, o.size, o.size]);
  const sigma = g.input('sigma', 'float32', ['batch']);
  const lowRes = g.input('low_res', 'float32', ['batch', 3, o.fromSize, o.fromSize]);
  const conv = (input: string, weights: number[], bias: number[], label: string) =>
    g.op('Conv', [input, g.constant(`${label}_w`, f32(weights), [C, 3, 1, 1]), g.constant(`${label}_b`, f32(bias), [C])]);
  const scale = o.size / o.fromSize;
  const upsample = (v: string, mode: 'linear' | 'nearest') =>
    g.op('Resize', [v, '', g.floats([1, 1, scale, scale])], { mode: attr.string(mode), coordinate_transformation_mode: attr.string(mode === 'linear' ? 'half_pixel' : 'asymmetric') });

  // Which palette colours appear, as pure pixels, within one low-res pixel of here.
  const sqDist = g.op('Add', [g.op('ReduceSumSquare', [lowRes], { axes: attr.ints([1]), keepdims: attr.int(1) }), conv(lowRes, mu.map((v) => -2 * v), muNorm, 'dist')]);
  const pure = g.op('Exp', [g.op('Mul', [sqDist, g.scalar(-1 / (2 * PRESENCE_TAU ** 2))])]);
  const presence = g.op('MaxPool', [pure], { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]), strides: attr.ints([1, 1]) });
  let logits = g.op('Log', [g.op('Add', [upsample(presence, 'nearest'), g.scalar(1e-4)])]);
  // Prior: closeness to the upsampled low-res colour, (2 u . mu_c - |mu_c|^2) / (2 tau^2).
  const up = upsample(lowRes, 'linear');
  logits = g.op('Add', [logits, conv(up, mu.map((v) => v / o.tau ** 2), muNorm.map((v) => -v / (2 * o.tau ** 2)), 'prior')]);
  if (o.text) {
    const named = new Float32Array(ATTRIBUTE_COUNT * C);
    PALETTE_NAMES.forEach((c, i) => {
      if ((OBJECT_COLOURS as readonly string[]).includes(c)) named[attributeIndex(`colour:${c}`) * C + i] = SR_TEXT_BONUS;
      if ((BACKGROUNDS as readonly string[]).includes(c)) named[attributeIndex(`background:${c}`) * C + i] = SR_TEXT_BONUS;
    });
    const text = g.input('clip_text_pooled', 'float32', ['batch', ATTRIBUTE_COUNT]);
    const bonus = g.op('Unsqueeze', [g.op('MatMul', [text, g.constant('named_colours', named, [ATTRIBUTE_COUNT, C])]), g.ints([2, 3])]);
    logits = g.op('Add', [logits, bonus]);
  }
  // Likelihood: (x . mu_c - |mu_c|^2 / 2) / sigma^2.
  const sigma2 = g.op('Unsqueeze', [g.op('Mul', [sigma, sigma]), g.ints([1, 2, 3])]);
  logits = g.op('Add', [logits, g.op('Div', [conv(x, mu, muNorm.map((v) => -v / 2), 'likelihood'), sigma2])]);
  const weights = g.op('Softmax', [logits], { axis: attr.int(1) });
  const toRgb = new Float32Array(3 * C);
  PALETTE_NAMES.forEach((c, i) => PALETTE[c].forEach((v, ch) => (toRgb[ch * C + i] = v)));
  const denoised = g.op('Conv', [weights, g.constant('to_rgb', toRgb, [3, C, 1, 1])]);
  g.output(denoised, 'denoised', 'float32', ['batch', 3, o.size, o.size]);
  return g.encode();
}
