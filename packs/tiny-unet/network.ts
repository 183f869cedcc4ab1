/**
 * An eDiff-I-shaped denoiser with seeded random weights, as an ONNX graph: EDM preconditioning,
 * a time embedding with the pooled CLIP text and CLIP image embeddings added to it, conv residual
 * blocks at 64 / 32 / 16, self-attention and cross-attention at 16x16 over
 * [CLIP text tokens; T5 tokens; CLIP image; null], and paint-with-words on the cross-attention
 * logits: softmax((QK^T + w A) / sqrt(d)) with w = w' * log(1 + sigma) * max(QK^T).
 */
import { GraphBuilder, attr } from '../onnx/graph.ts';
import { Layers } from '../onnx/layers.ts';

export const TINY = {
  size: 64,
  t5Tokens: 32,
  t5Dim: 64,
  clipTokens: 77,
  clipDim: 32,
  imageDim: 32,
  paintSize: 16,
  sigmaData: 0.5,
} as const;

const CHANNELS = [16, 32, 64] as const;
const TEMB = 64;
const CONTEXT = 64;
const FREQUENCIES = 16;

export function tinyUnetOnnx(name: string, seed: number): Uint8Array {
  const g = new GraphBuilder(name);
  const L = new Layers(g, seed);
  const { size, t5Tokens, t5Dim, clipTokens, clipDim, imageDim, paintSize, sigmaData } = TINY;
  const x = g.input('x', 'float32', ['batch', 3, size, size]);
  const sigma = g.input('sigma', 'float32', ['batch']);
  const clipText = g.input('clip_text_tokens', 'float32', ['batch', clipTokens, clipDim]);
  const clipPooled = g.input('clip_text_pooled', 'float32', ['batch', clipDim]);
  const t5 = g.input('t5_tokens', 'float32', ['batch', t5Tokens, t5Dim]);
  const clipImage = g.input('clip_image', 'float32', ['batch', imageDim]);
  const paint = g.input('paint', 'float32', ['batch', t5Tokens, paintSize, paintSize]);
  const paintWeight = g.input('paint_weight', 'float32', ['batch']);

  // EDM preconditioning: c_skip, c_out, c_in, c_noise from sigma.
  const s = g.op('Unsqueeze', [sigma, g.ints([1, 2, 3])]);
  const total = g.op('Add', [g.op('Mul', [s, s]), g.scalar(sigmaData ** 2)]);
  const cSkip = g.op('Div', [g.scalar(sigmaData ** 2), total]);
  const cOut = g.op('Div', [g.op('Mul', [s, g.scalar(sigmaData)]), g.op('Sqrt', [total])]);
  const cIn = g.op('Reciprocal', [g.op('Sqrt', [total])]);
  const cNoise = g.op('Mul', [g.op('Log', [g.op('Unsqueeze', [sigma, g.ints([1])])]), g.scalar(0.25)]);

  // Time embedding (Fourier features of c_noise), plus the pooled text and image embeddings.
  const freqs = Float32Array.from({ length: FREQUENCIES }, (_, i) => Math.exp((-Math.log(1000) * i) / FREQUENCIES));
  const phase = g.op('Mul', [cNoise, g.constant('frequencies', freqs, [1, FREQUENCIES])]);
  const fourier = g.op('Concat', [g.op('Sin', [phase]), g.op('Cos', [phase])], { axis: attr.int(1) });
  let temb = L.linear(L.silu(L.linear(fourier, 2 * FREQUENCIES, TEMB)), TEMB, TEMB);
  temb = g.op('Add', [temb, L.linear(clipPooled, clipDim, TEMB)]);
  temb = g.op('Add', [temb, L.linear(clipImage, imageDim, TEMB)]);

  // Encoder path: 64 -> 32 -> 16.
  const [c0, c1, c2] = CHANNELS;
  const r64 = L.resBlock(L.conv(g.op('Mul', [x, cIn]), 3, c0), c0, c0, temb, TEMB);
  const r32 = L.resBlock(L.conv(r64, c0, c1, 3, 2), c1, c1, temb, TEMB);
  let h = L.resBlock(L.conv(r32, c1, c2, 3, 2), c2, c2, temb, TEMB);

  // Attention at 16x16 over tokens [B, 256, c2].
  const cells = paintSize * paintSize;
  let tokens = g.op('Transpose', [g.op('Reshape', [h, g.ints([0, c2, cells])])], { perm: attr.ints([0, 2, 1]) });
  const normed = L.layerNorm(tokens, c2);
  tokens = g.op('Add', [tokens, L.attention(normed, c2, normed, c2)]);
  // Context: [CLIP text tokens; T5 tokens; CLIP image; null], each projected to CONTEXT.
  const imageToken = g.op('Unsqueeze', [L.linear(clipImage, imageDim, CONTEXT), g.ints([1])]);
  const nullToken = g.op('Add', [g.op('Mul', [imageToken, g.scalar(0)]), L.parameter([1, 1, CONTEXT])]);
  const context = g.op('Concat', [L.linear(clipText, clipDim, CONTEXT), L.linear(t5, t5Dim, CONTEXT), imageToken, nullToken], { axis: attr.int(1) });
  // Paint-with-words: the T5 tokens' masks, placed at the T5 slots of the context.
  const masks = g.op('Transpose', [g.op('Reshape', [paint, g.ints([0, t5Tokens, cells])])], { perm: attr.ints([0, 2, 1]) });
  const A = g.op('Pad', [masks, g.ints([0, 0, clipTokens, 0, 0, 2])]);
  const paintScale = g.op('Unsqueeze', [g.op('Mul', [paintWeight, g.op('Log', [g.op('Add', [sigma, g.scalar(1)])])]), g.ints([1, 2])]);
  const bias = (logits: string) => {
    const peak = g.op('ReduceMax', [logits], { axes: attr.ints([1, 2]), keepdims: attr.int(1) });
    return g.op('Mul', [A, g.op('Mul', [paintScale, peak])]);
  };
  tokens = g.op('Add', [tokens, L.attention(L.layerNorm(tokens, c2), c2, context, CONTEXT, bias)]);
  h = g.op('Reshape', [g.op('Transpose', [tokens], { perm: attr.ints([0, 2, 1]) }), g.ints([0, c2, paintSize, paintSize])]);

  // Decoder path: 16 -> 32 -> 64 with skips.
  const up = (v: string) => g.op('Resize', [v, '', g.floats([1, 1, 2, 2])], { mode: attr.string('nearest') });
  h = L.resBlock(g.op('Concat', [up(h), r32], { axis: attr.int(1) }), c2 + c1, c1, temb, TEMB);
  h = L.resBlock(g.op('Concat', [up(h), r64], { axis: attr.int(1) }), c1 + c0, c0, temb, TEMB);
  const F = L.conv(L.silu(L.norm(h, c0)), c0, 3, 3, 1, 0.1);

  g.output(g.op('Add', [g.op('Mul', [x, cSkip]), g.op('Mul', [F, cOut])]), 'denoised', 'float32', ['batch', 3, size, size]);
  return g.encode();
}

/** A text encoder: embedding table, layer norm, linear; `tokens` [B, T, dim] and `pooled` [B, dim] (mean). */
export function tinyTextEncoderOnnx(name: string, vocabSize: number, tokens: number, dim: number, seed: number): Uint8Array {
  const g = new GraphBuilder(name);
  const L = new Layers(g, seed);
  const ids = g.input('input_ids', 'int64', ['batch', tokens]);
  const embedded = L.embedding(ids, vocabSize, dim);
  const out = L.linear(L.layerNorm(embedded, dim), dim, dim);
  g.output(out, 'tokens', 'float32', ['batch', tokens, dim]);
  g.output(L.linear(g.op('ReduceMean', [out], { axes: attr.ints([1]), keepdims: attr.int(0) }), dim, dim), 'pooled', 'float32', ['batch', dim]);
  return g.encode();
}

/** An image encoder: 8x8 patches, mean-pooled, projected: `pooled` [B, dim]. */
export function tinyImageEncoderOnnx(size: number, dim: number, seed: number): Uint8Array {
  const g = new GraphBuilder('clip-image');
  const L = new Layers(g, seed);
  const image = g.input('image', 'float32', ['batch', 3, size, size]);
  const pooled = g.op('ReduceMean', [L.patchify(image, 3, dim, 8)], { axes: attr.ints([2, 3]), keepdims: attr.int(0) });
  g.output(L.linear(pooled, dim, dim), 'pooled', 'float32', ['batch', dim]);
  return g.encode();
}
