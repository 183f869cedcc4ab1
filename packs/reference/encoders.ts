/**
 * The reference pack's encoders as ONNX graphs. Their embedding space is the attribute axis of
 * dataset.ts: a token's embedding says which attribute (if any) it names, read in context
 * ("blue" names the background when the next token is "background", the object otherwise).
 */
import { GraphBuilder, attr, f32 } from '../onnx/graph.ts';
import { ATTRIBUTE_COUNT, BACKGROUNDS, OBJECT_COLOURS, PALETTE, PALETTE_NAMES, POSITIONS, SHAPES, VOCABULARY, attributeIndex } from './dataset.ts';

/** Per-token features before context: [colour x6, shape x3, position x5, "background" x1]. */
const FEATURES = PALETTE_NAMES.length + SHAPES.length + POSITIONS.length + 1;
const SHAPE_AT = PALETTE_NAMES.length;
const POSITION_AT = SHAPE_AT + SHAPES.length;
const BACKGROUND_AT = POSITION_AT + POSITIONS.length;

/** The bare word a vocabulary entry stands for: drops Metaspace's prefix and BPE's end-of-word suffix. */
const bareWord = (token: string) => token.replace(/^\u2581/, '').replace(/<\/w>$/, '');

function featureRow(word: string): number[] {
  const row = new Array<number>(FEATURES).fill(0);
  const colour = (PALETTE_NAMES as readonly string[]).indexOf(word);
  const shape = (SHAPES as readonly string[]).indexOf(word);
  const position = VOCABULARY.positions[word];
  if (colour >= 0) row[colour] = 1;
  if (shape >= 0) row[SHAPE_AT + shape] = 1;
  if (position) row[POSITION_AT + POSITIONS.indexOf(position)] = 1;
  if (word === VOCABULARY.background) row[BACKGROUND_AT] = 1;
  return row;
}

/** [object colour x6, background colour x6, shape+position x8] -> attributes. */
function contextToAttributes(): Float32Array {
  const rows = 2 * PALETTE_NAMES.length + SHAPES.length + POSITIONS.length;
  const m = new Float32Array(rows * ATTRIBUTE_COUNT);
  const set = (row: number, attribute: string) => (m[row * ATTRIBUTE_COUNT + attributeIndex(attribute)] = 1);
  PALETTE_NAMES.forEach((c, i) => {
    if ((OBJECT_COLOURS as readonly string[]).includes(c)) set(i, `colour:${c}`);
    if ((BACKGROUNDS as readonly string[]).includes(c)) set(PALETTE_NAMES.length + i, `background:${c}`);
  });
  SHAPES.forEach((s, i) => set(2 * PALETTE_NAMES.length + i, `shape:${s}`));
  POSITIONS.forEach((p, i) => set(2 * PALETTE_NAMES.length + SHAPES.length + i, `position:${p}`));
  return m;
}

/**
 * A text encoder: `input_ids` [B, T] -> `tokens` [B, T, 17] (per-token attributes, read in
 * context) and `pooled` [B, 17] (the max over tokens).
 * @param vocab token string -> id, from the encoder's tokenizer.json
 */
export function textEncoderOnnx(name: string, vocab: Record<string, number>, maxTokens: number): Uint8Array {
  const size = Math.max(...Object.values(vocab)) + 1;
  const table = new Float32Array(size * FEATURES);
  for (const [token, id] of Object.entries(vocab)) table.set(featureRow(bareWord(token)), id * FEATURES);
  const g = new GraphBuilder(name);
  const ids = g.input('input_ids', 'int64', ['batch', maxTokens]);
  const feats = g.op('Gather', [g.constant('embedding', table, [size, FEATURES]), ids], { axis: attr.int(0) });
  const slice = (x: string, from: number, to: number, axis: number) => g.op('Slice', [x, g.ints([from]), g.ints([to]), g.ints([axis])]);
  const colours = slice(feats, 0, PALETTE_NAMES.length, 2);
  const shapesAndPositions = slice(feats, SHAPE_AT, BACKGROUND_AT, 2);
  // Does the next token say "background"? Shift the indicator left by one token.
  const backgroundWord = slice(feats, BACKGROUND_AT, FEATURES, 2);
  const nextIsBackground = g.op('Pad', [slice(backgroundWord, 1, maxTokens, 1), g.ints([0, 0, 0, 0, 1, 0])]);
  const objectColours = g.op('Mul', [colours, g.op('Sub', [g.scalar(1), nextIsBackground])]);
  const backgroundColours = g.op('Mul', [colours, nextIsBackground]);
  const context = g.op('Concat', [objectColours, backgroundColours, shapesAndPositions], { axis: attr.int(2) });
  const tokens = g.op('MatMul', [context, g.constant('to_attributes', contextToAttributes(), [2 * PALETTE_NAMES.length + SHAPES.length + POSITIONS.length, ATTRIBUTE_COUNT])]);
  g.output(tokens, 'tokens', 'float32', ['batch', maxTokens, ATTRIBUTE_COUNT]);
  g.output(g.op('ReduceMax', [tokens], { axes: attr.ints([1]), keepdims: attr.int(0) }), 'pooled', 'float32', ['batch', ATTRIBUTE_COUNT]);
  return g.encode();
}

/** Width of the palette soft-assignment of the image encoder (in [-1, 1] RGB units). */
const IMAGE_TAU = 0.3;

/**
 * The image encoder: `image` [B, 3, S, S] in [-1, 1] -> `pooled` [B, 17]: the image's dominant
 * palette colour as a background attribute (a red-dominated image names no background).
 */
export function imageEncoderOnnx(imageSize: number): Uint8Array {
  const g = new GraphBuilder('clip-image');
  const image = g.input('image', 'float32', ['batch', 3, imageSize, imageSize]);
  const weights = PALETTE_NAMES.flatMap((c) => PALETTE[c].map((v) => v / IMAGE_TAU ** 2));
  const bias = PALETTE_NAMES.map((c) => -PALETTE[c].reduce((a, v) => a + v * v, 0) / (2 * IMAGE_TAU ** 2));
  // Per-pixel soft assignment to the palette: softmax_c(-|p - mu_c|^2 / (2 tau^2)).
  const logits = g.op('Conv', [image, g.constant('palette', f32(weights), [PALETTE_NAMES.length, 3, 1, 1]), g.constant('palette_bias', f32(bias), [PALETTE_NAMES.length])]);
  const assignment = g.op('Softmax', [logits], { axis: attr.int(1) });
  const histogram = g.op('ReduceMean', [assignment], { axes: attr.ints([2, 3]), keepdims: attr.int(0) });
  const dominant = g.op('Softmax', [g.op('Mul', [histogram, g.scalar(20)])], { axis: attr.int(1) });
  const toBackground = new Float32Array(PALETTE_NAMES.length * ATTRIBUTE_COUNT);
  PALETTE_NAMES.forEach((c, i) => {
    if ((BACKGROUNDS as readonly string[]).includes(c)) toBackground[i * ATTRIBUTE_COUNT + attributeIndex(`background:${c}`)] = 1;
  });
  const pooled = g.op('MatMul', [dominant, g.constant('to_background', toBackground, [PALETTE_NAMES.length, ATTRIBUTE_COUNT])]);
  g.output(pooled, 'pooled', 'float32', ['batch', ATTRIBUTE_COUNT]);
  return g.encode();
}
