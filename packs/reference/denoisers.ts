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
 * SR experts: the exact denoiser of the same image set drawn at the stage's resolution, the
 * scene's weights set by the low-resolution image and the noisy high-resolution one (see
 * srExpertOnnx).
 */
import { GraphBuilder, attr, f32 } from '../onnx/graph.ts';
import { ATTRIBUTE_COUNT, CENTRES, PALETTE, POSITIONS, SHAPES, itemAttributes, items, objectCoverage, render, type Item } from './dataset.ts';

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
  /** Consume clip_text_pooled: scenes with the attributes the prompt names get a small prior bonus. */
  text: boolean;
}

/**
 * How closely the low-resolution input pins the scene: its log-likelihood is
 * (low_res . y_i - |y_i|^2 / 2) / LOW_RES_TAU^2, a Gaussian of this width per pixel around the
 * scene drawn at the input's size.
 */
const LOW_RES_TAU = 0.1;
/** Prior bonus, in nats, per attribute of a scene that the prompt names. */
const SR_TEXT_BONUS = 1;

/**
 * The image set as one SR expert sees it at one size n: every scene is one of the
 * shape-and-position coverage maps K = shapes x positions drawn in its object colour over its
 * background, y_i = bg_i + cov_k(i) (fg_i - bg_i), so scores and images need only the K maps and
 * two small tables, never the 255 images themselves (which are 3 GiB at 1024x1024).
 */
class SceneSet {
  /** [K, n^2]: the coverage maps, built in the graph from one centred patch per shape. */
  private readonly coverage: string;
  /** -|y_i|^2 / 2 at this size, [N]. */
  private readonly negHalfNorms: string;

  constructor(
    private readonly g: GraphBuilder,
    private readonly n: number,
    /** [N, 3K]: (fg - bg) of each channel at the scene's coverage map's column; and [N, 3]: bg. */
    private readonly tables: { objects: string; backgrounds: string },
    scenes: Item[],
  ) {
    // Positions put the centre on whole quarters of the side, so each position's map is the
    // centred one shifted by whole pixels: the centred object, cropped to the middle half of the
    // image, padded out to each position.
    const half = n / 2;
    const maps: string[] = [];
    const areas: number[] = [];
    const squares: number[] = [];
    for (const shape of SHAPES) {
      const patch = objectCoverage({ shape, position: 'centre' }, n, 4, { left: n / 4, top: n / 4, width: half, height: half });
      areas.push(patch.reduce((a, v) => a + v, 0));
      squares.push(patch.reduce((a, v) => a + v * v, 0));
      const centred = g.constant(`coverage_${shape}_${n}`, patch, [1, half, half]);
      for (const position of POSITIONS) {
        const [cx, cy] = CENTRES[position];
        const left = (cx - 0.25) * n;
        const top = (cy - 0.25) * n;
        maps.push(g.op('Pad', [centred, g.ints([0, top, left, 0, n - half - top, n - half - left])]));
      }
    }
    this.coverage = g.op('Reshape', [g.op('Concat', maps, { axis: attr.int(0) }), g.ints([maps.length, n * n])]);
    const negHalfNorms = scenes.map((scene) => {
      const k = SHAPES.indexOf(scene.shape);
      const fg = PALETTE[scene.colour];
      const bg = PALETTE[scene.background];
      let norm = 0;
      for (let c = 0; c < 3; c++) {
        const d = fg[c]! - bg[c]!;
        norm += n * n * bg[c]! ** 2 + 2 * bg[c]! * d * areas[k]! + d * d * squares[k]!;
      }
      return -norm / 2;
    });
    this.negHalfNorms = g.constant(`neg_half_norms_${n}`, f32(negHalfNorms), [scenes.length]);
  }

  /** [B, N]: image . y_i - |y_i|^2 / 2 of an image [B, 3, n, n], the log-likelihood up to a constant. */
  scores(image: string): string {
    const g = this.g;
    const perMap = g.op('Reshape', [g.op('Gemm', [g.op('Reshape', [image, g.ints([-1, this.n * this.n])]), this.coverage], { transB: attr.int(1) }), g.ints([-1, 3 * KEYS])]);
    const sums = g.op('ReduceSum', [g.op('Reshape', [image, g.ints([0, 3, -1])]), g.ints([2])], { keepdims: attr.int(0) });
    const dots = g.op('Add', [g.op('Gemm', [perMap, this.tables.objects], { transB: attr.int(1) }), g.op('Gemm', [sums, this.tables.backgrounds], { transB: attr.int(1) })]);
    return g.op('Add', [dots, this.negHalfNorms]);
  }

  /** [B, 3, n, n]: sum_i weights_i y_i for weights [B, N]. */
  render(weights: string): string {
    const g = this.g;
    const background = g.op('Unsqueeze', [g.op('MatMul', [weights, this.tables.backgrounds]), g.ints([2])]);
    const objects = g.op('Reshape', [g.op('MatMul', [weights, this.tables.objects]), g.ints([-1, 3, KEYS])]);
    const image = g.op('Add', [g.op('MatMul', [objects, this.coverage]), background]);
    return g.op('Reshape', [image, g.ints([-1, 3, this.n, this.n])]);
  }
}

/** Coverage maps: one per shape and position. */
const KEYS = SHAPES.length * POSITIONS.length;

/**
 * An SR expert: inputs x [B,3,S,S], sigma, low_res [B,3,s,s] (and clip_text_pooled); output
 * `denoised`. The exact denoiser of the image set drawn at S, given the low-resolution image:
 *   D(x, sigma) = sum_i softmax_i(log p_i + (low_res . y_i^s - |y_i^s|^2 / 2) / LOW_RES_TAU^2
 *                                + (x . y_i^S - |y_i^S|^2 / 2) / sigma^2) y_i^S,
 * so the low-resolution image picks the scene (its shape, position and colours) and the stage
 * draws it at its own resolution, anti-aliased edges and all.
 */
export function srExpertOnnx(name: string, o: SrExpertOptions): Uint8Array {
  const scenes = items();
  const g = new GraphBuilder(name);
  const x = g.input('x', 'float32', ['batch', 3, o.size, o.size]);
  const sigma = g.input('sigma', 'float32', ['batch']);
  const lowRes = g.input('low_res', 'float32', ['batch', 3, o.fromSize, o.fromSize]);
  const objects = new Float32Array(scenes.length * 3 * KEYS);
  const backgrounds = new Float32Array(scenes.length * 3);
  scenes.forEach((scene, i) => {
    const k = SHAPES.indexOf(scene.shape) * POSITIONS.length + POSITIONS.indexOf(scene.position);
    for (let c = 0; c < 3; c++) {
      objects[(i * 3 + c) * KEYS + k] = PALETTE[scene.colour][c]! - PALETTE[scene.background][c]!;
      backgrounds[i * 3 + c] = PALETTE[scene.background][c]!;
    }
  });
  const tables = { objects: g.constant('objects', objects, [scenes.length, 3 * KEYS]), backgrounds: g.constant('backgrounds', backgrounds, [scenes.length, 3]) };
  const low = new SceneSet(g, o.fromSize, tables, scenes);
  const high = new SceneSet(g, o.size, tables, scenes);
  const sigma2 = g.op('Unsqueeze', [g.op('Mul', [sigma, sigma]), g.ints([1])]);
  let logits = g.op('Add', [g.op('Mul', [low.scores(lowRes), g.scalar(1 / LOW_RES_TAU ** 2)]), g.op('Div', [high.scores(x), sigma2])]);
  if (o.text) {
    const attributes = new Float32Array(scenes.length * ATTRIBUTE_COUNT);
    scenes.forEach((scene, i) => {
      const { object, background } = itemAttributes(scene);
      for (const a of [...object, background]) attributes[i * ATTRIBUTE_COUNT + a] = SR_TEXT_BONUS;
    });
    const text = g.input('clip_text_pooled', 'float32', ['batch', ATTRIBUTE_COUNT]);
    logits = g.op('Add', [logits, g.op('Gemm', [text, g.constant('attributes', attributes, [scenes.length, ATTRIBUTE_COUNT])], { transB: attr.int(1) })]);
  }
  const denoised = high.render(g.op('Softmax', [logits], { axis: attr.int(1) }));
  g.output(denoised, 'denoised', 'float32', ['batch', 3, o.size, o.size]);
  return g.encode();
}
