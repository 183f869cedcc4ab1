/**
 * The three models of a tiny Stable Diffusion export, with seeded random weights and the real
 * exports' tensor names, dtypes and dims (../shared/EXPORTS.md): a CLIP-style text encoder, a
 * UNet that predicts eps or v, and a VAE decoder that upsamples latents 8x. They exist to check
 * the loading and serving path; their pictures are noise.
 *
 * float16 variants store float16 weights and take and return float16 tensors (as a
 * `--fp16` export does); they compute in float32 inside, which the CPU provider needs.
 */
import { GraphBuilder, attr, type ElementType } from '../onnx/graph.ts';
import { Layers } from '../onnx/layers.ts';

/** How big the UNet is: its channels, and how many residual 3x3 convolutions it adds (benchmarks make it heavier). */
export interface UnetSize {
  channels: number;
  blocks: number;
}

/** SDXL's added UNet inputs: the pooled text embedding's width and the count of time_ids (6 base, 5 refiner). */
export interface SdxlUnetInputs {
  pooled: number;
  timeIds: number;
}

/** The three forms exports give the UNet's timestep (see common/runtime/expert.ts). */
export type TimestepForm = 'float-scalar' | 'int64' | 'float-batch';

export interface NetworkOptions {
  precision: 'fp32' | 'fp16';
  /** Width of the text encoder's hidden states (768 in SD 1.x, 1024 in SD 2.x). */
  hiddenSize: number;
  seed: number;
}

/** Text tokens the encoder's embedding table tells apart (ids are taken modulo this). */
export const EMBEDDED_IDS = 1024;
export const TOKENS = 77;
export const FREQUENCIES = 8;

/** The graph's float input or output type. */
const floatType = (o: NetworkOptions): ElementType => (o.precision === 'fp16' ? 'float16' : 'float32');

/** A float input, cast to float32 for the graph's own use. */
export function floatInput(g: GraphBuilder, o: NetworkOptions, name: string, dims: (number | string)[]): string {
  const x = g.input(name, floatType(o), dims);
  return o.precision === 'fp16' ? g.op('Cast', [x], { to: attr.int(1) }) : x;
}

/** Declares a float32 value as a float output (cast to float16 for fp16 models). */
export function floatOutput(g: GraphBuilder, o: NetworkOptions, value: string, name: string, dims: (number | string)[]): void {
  g.output(o.precision === 'fp16' ? g.op('Cast', [value], { to: attr.int(10) }) : value, name, floatType(o), dims);
}

export const builder = (name: string, o: NetworkOptions) => new GraphBuilder(name, o.precision === 'fp16' ? 'float16' : 'float32');

/** input_ids [batch, 77] -> last_hidden_state [batch, 77, D] (an embedding, one self-attention) and pooler_output [batch, D]. */
export function textEncoderOnnx(o: NetworkOptions & { ids: 'int64' | 'int32' }): Uint8Array {
  const g = builder('text_encoder', o);
  const L = new Layers(g, o.seed);
  const D = o.hiddenSize;
  const ids = g.input('input_ids', o.ids, ['batch_size', 'sequence_length']);
  const modulus = o.ids === 'int64' ? g.ints([EMBEDDED_IDS]) : g.constant('modulus', Int32Array.of(EMBEDDED_IDS), [1]);
  const embedded = g.op('Add', [L.embedding(g.op('Mod', [ids, modulus]), EMBEDDED_IDS, D), L.parameter([TOKENS, D])]);
  const h = L.layerNorm(g.op('Add', [embedded, L.attention(embedded, D, embedded, D)]), D);
  floatOutput(g, o, h, 'last_hidden_state', ['batch_size', 'sequence_length', D]);
  floatOutput(g, o, g.op('ReduceMean', [h], { axes: attr.ints([1]), keepdims: attr.int(0) }), 'pooler_output', ['batch_size', D]);
  return g.encode();
}

/**
 * sample [batch, 4, h, w] (already scaled by c_in), timestep, encoder_hidden_states
 * [batch, 77, D] (SDXL: text_embeds and time_ids too) -> out_sample [batch, 4, h, w]: a time
 * embedding, a convolution, cross-attention over the text at every latent cell, a convolution
 * out. Latents of any size.
 */
export function unetOnnx(o: NetworkOptions & { timestep: TimestepForm; size: UnetSize; sdxl?: SdxlUnetInputs }): GraphBuilder {
  const g = builder('unet', o);
  const L = new Layers(g, o.seed + 1);
  const D = o.hiddenSize;
  const C = o.size.channels;
  const sample = floatInput(g, o, 'sample', ['batch_size', 'num_channels', 'height', 'width']);
  // The timestep as a column [rows, 1] that broadcasts over the batch: a scalar gives one row.
  let t: string;
  if (o.timestep === 'int64') t = g.op('Cast', [g.input('timestep', 'int64', ['steps'])], { to: attr.int(1) });
  else if (o.timestep === 'float-batch') t = floatInput(g, o, 'timestep', ['batch_size']);
  else t = g.op('Reshape', [floatInput(g, o, 'timestep', []), g.ints([1])]);
  const hidden = floatInput(g, o, 'encoder_hidden_states', ['batch_size', 'sequence_length', D]);

  const freqs = Float32Array.from({ length: FREQUENCIES }, (_, i) => Math.exp((-Math.log(1000) * i) / FREQUENCIES));
  const phase = g.op('Mul', [g.op('Unsqueeze', [t, g.ints([1])]), g.constant('frequencies', freqs, [1, FREQUENCIES])]);
  const fourier = g.op('Concat', [g.op('Sin', [phase]), g.op('Cos', [phase])], { axis: attr.int(1) });
  let tvec = L.linear(L.silu(L.linear(fourier, 2 * FREQUENCIES, C)), C, C);
  if (o.sdxl) {
    // SDXL's added conditioning: the pooled text embedding and the time_ids (sizes in pixels, scaled down).
    const pooled = floatInput(g, o, 'text_embeds', ['batch_size', o.sdxl.pooled]);
    const ids = g.op('Mul', [floatInput(g, o, 'time_ids', ['batch_size', o.sdxl.timeIds]), g.scalar(1 / 1024)]);
    tvec = g.op('Add', [tvec, L.linear(g.op('Concat', [pooled, ids], { axis: attr.int(1) }), o.sdxl.pooled + o.sdxl.timeIds, C)]);
  }
  const temb = g.op('Unsqueeze', [tvec, g.ints([2, 3])]);

  let h = g.op('Add', [L.conv(sample, 4, C), temb]);
  for (let i = 0; i < o.size.blocks; i++) h = g.op('Add', [h, L.conv(L.silu(L.norm(h, C)), C, C, 3, 1, 0.5)]);
  // Cross-attention of every latent cell over the text tokens: [B, C, h, w] <-> [B, h*w, C].
  const cells = g.op('Transpose', [g.op('Reshape', [h, g.ints([0, C, -1])])], { perm: attr.ints([0, 2, 1]) });
  const attended = g.op('Reshape', [g.op('Transpose', [L.attention(cells, C, hidden, D)], { perm: attr.ints([0, 2, 1]) }), g.op('Shape', [h])]);
  const out = L.conv(L.silu(L.norm(g.op('Add', [h, attended]), C)), C, 4, 3, 1, 0.5);
  floatOutput(g, o, out, 'out_sample', ['batch_size', 'num_channels', 'height', 'width']);
  return g;
}

/**
 * latent_sample [batch, 4, h, w] -> sample [batch, 3, 8h, 8w] in (-1, 1). With `overflow`, the
 * output is scaled by 1e6 instead of squashed: past float16's range (65504), as SDXL's VAE
 * activations are, so a float16 decoder returns infinities and a float32 one does not.
 */
export function vaeDecoderOnnx(o: NetworkOptions & { overflow?: boolean }): Uint8Array {
  const g = builder('vae_decoder', o);
  const L = new Layers(g, o.seed + 2);
  const latents = floatInput(g, o, 'latent_sample', ['batch_size', 'num_channels_latent', 'height_latent', 'width_latent']);
  const h = L.silu(L.conv(latents, 4, 8));
  const up = g.op('Resize', [h, '', g.floats([1, 1, 8, 8])], { mode: attr.string('nearest') });
  const out = L.conv(up, 8, 3);
  // 1e6 as 1000 * 1000: each factor is a float16 weight, their product is not.
  const scaled = () => g.op('Mul', [g.op('Mul', [out, g.scalar(1000)]), g.scalar(1000)]);
  floatOutput(g, o, o.overflow ? scaled() : g.op('Tanh', [out]), 'sample', ['batch_size', 'num_channels', 'height', 'width']);
  return g.encode();
}
