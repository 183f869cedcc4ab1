/**
 * The models SDXL's exports add, tiny and with seeded random weights, with the real tensor names
 * (../shared/EXPORTS.md): text encoders that return every layer's hidden states
 * (`hidden_states.0..N`; CLIP-L has 12 layers, OpenCLIP bigG 32) and, for bigG, the pooled and
 * projected `text_embeds`; and a probe UNet whose output is a copy of its conditioning, so that a
 * test can read back exactly what an expert was fed.
 */
import { attr } from '../onnx/graph.ts';
import { Layers } from '../onnx/layers.ts';
import { builder, EMBEDDED_IDS, floatInput, floatOutput, TOKENS, type NetworkOptions, type TimestepForm } from './networks.ts';

export interface SdxlTextEncoderOptions extends NetworkOptions {
  /** Transformer layers: 12 (CLIP-L) or 32 (bigG); hidden_states.0 is the embedding, .N the last layer. */
  layers: number;
  /** bigG: the width of the projected pooled output `text_embeds`; CLIP-L: none (it gives `pooler_output`). */
  projection?: number;
}

/**
 * input_ids [batch, 77] int64 -> hidden_states.0..N [batch, 77, D], last_hidden_state (the last
 * layer, normalized), and pooler_output [batch, D] (CLIP-L) or text_embeds [batch, P] (bigG).
 * Each layer is a residual tanh of a linear map: cheap, and every layer differs.
 */
export function sdxlTextEncoderOnnx(o: SdxlTextEncoderOptions): Uint8Array {
  const g = builder('text_encoder', o);
  const L = new Layers(g, o.seed);
  const D = o.hiddenSize;
  const dims = ['batch_size', 'sequence_length', D];
  const ids = g.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
  let h = g.op('Add', [L.embedding(g.op('Mod', [ids, g.ints([EMBEDDED_IDS])]), EMBEDDED_IDS, D), L.parameter([TOKENS, D])]);
  floatOutput(g, o, h, 'hidden_states.0', dims);
  for (let layer = 1; layer <= o.layers; layer++) {
    h = g.op('Add', [h, g.op('Tanh', [L.linear(h, D, D)])]);
    floatOutput(g, o, h, `hidden_states.${layer}`, dims);
  }
  const last = L.layerNorm(h, D);
  floatOutput(g, o, last, 'last_hidden_state', dims);
  const pooled = g.op('ReduceMean', [last], { axes: attr.ints([1]), keepdims: attr.int(0) });
  if (o.projection) floatOutput(g, o, L.linear(pooled, D, o.projection), 'text_embeds', ['batch_size', o.projection]);
  else floatOutput(g, o, pooled, 'pooler_output', ['batch_size', D]);
  return g.encode();
}

export interface ProbeUnetOptions extends NetworkOptions {
  timestep: TimestepForm;
  pooled: number;
  timeIds: number;
  /** The latent side the probe is fixed to (its output holds the probe's values, then zeros). */
  side: number;
}

/**
 * A UNet whose out_sample [batch, 4, side, side] is, flattened, its conditioning: the time_ids,
 * then text_embeds, then encoder_hidden_states averaged over the tokens, then zeros. With x = 0
 * an eps expert's D is -sigma * out_sample, so a test reads the inputs back from D.
 */
export function probeUnetOnnx(o: ProbeUnetOptions): Uint8Array {
  const g = builder('unet', o);
  const D = o.hiddenSize;
  const cells = 4 * o.side * o.side;
  const used = o.timeIds + o.pooled + D;
  if (used > cells) throw new Error(`the probe needs ${used} output values, and ${o.side}x${o.side} latents hold ${cells}`);
  const sample = floatInput(g, o, 'sample', ['batch_size', 4, o.side, o.side]);
  if (o.timestep === 'int64') g.input('timestep', 'int64', ['steps']);
  else floatInput(g, o, 'timestep', o.timestep === 'float-batch' ? ['batch_size'] : []);
  const hidden = floatInput(g, o, 'encoder_hidden_states', ['batch_size', 'sequence_length', D]);
  const pooled = floatInput(g, o, 'text_embeds', ['batch_size', o.pooled]);
  const ids = floatInput(g, o, 'time_ids', ['batch_size', o.timeIds]);
  const meanHidden = g.op('ReduceMean', [hidden], { axes: attr.ints([1]), keepdims: attr.int(0) });
  // Zeros of the batch's rows: the sample's first values times 0.
  const flat = g.op('Reshape', [sample, g.ints([0, -1])]);
  const zeros = g.op('Mul', [g.op('Slice', [flat, g.ints([0]), g.ints([cells - used]), g.ints([1])]), g.scalar(0)]);
  const values = g.op('Concat', [ids, pooled, meanHidden, zeros], { axis: attr.int(1) });
  floatOutput(g, o, g.op('Reshape', [values, g.ints([0, 4, o.side, o.side])]), 'out_sample', ['batch_size', 4, o.side, o.side]);
  return g.encode();
}
