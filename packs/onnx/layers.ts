/**
 * Neural-network layers over GraphBuilder with seeded random weights (for packs that exist for
 * their compute, not their pictures). Weights are N(0, 1/fan_in) from the project's generator,
 * so the same seed writes the same bytes.
 */
import { NoiseGenerator } from '../../common/rng.ts';
import { GraphBuilder, attr } from './graph.ts';

export class Layers {
  private readonly rng: NoiseGenerator;
  private count = 0;

  constructor(
    readonly g: GraphBuilder,
    seed: number,
  ) {
    this.rng = new NoiseGenerator(seed);
  }

  private weight(prefix: string, dims: number[], fanIn: number, gain = 1): string {
    const n = dims.reduce((a, b) => a * b, 1);
    const scale = gain / Math.sqrt(fanIn);
    const data = Float32Array.from(this.rng.normals(n), (z) => z * scale);
    return this.g.constant(`${prefix}_${this.count++}`, data, dims);
  }

  private zeros(prefix: string, dims: number[]): string {
    return this.g.constant(`${prefix}_${this.count++}`, new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
  }

  /** y = x W + b over the last axis. */
  linear(x: string, inDim: number, outDim: number, gain = 1): string {
    return this.g.op('Add', [this.g.op('MatMul', [x, this.weight('linear_w', [inDim, outDim], inDim, gain)]), this.zeros('linear_b', [outDim])]);
  }

  conv(x: string, inChannels: number, outChannels: number, kernel = 3, stride = 1, gain = 1): string {
    const pad = Math.floor(kernel / 2);
    return this.g.op('Conv', [x, this.weight('conv_w', [outChannels, inChannels, kernel, kernel], inChannels * kernel * kernel, gain), this.zeros('conv_b', [outChannels])], {
      pads: attr.ints([pad, pad, pad, pad]),
      strides: attr.ints([stride, stride]),
    });
  }

  /** Non-overlapping patch x patch convolution (a ViT-style patch embedding). */
  patchify(x: string, inChannels: number, outChannels: number, patch: number): string {
    return this.g.op('Conv', [x, this.weight('patch_w', [outChannels, inChannels, patch, patch], inChannels * patch * patch), this.zeros('patch_b', [outChannels])], {
      strides: attr.ints([patch, patch]),
    });
  }

  /** An embedding table [vocab, dim] looked up by int64 ids. */
  embedding(ids: string, vocab: number, dim: number): string {
    return this.g.op('Gather', [this.weight('embedding', [vocab, dim], 1, 0.5), ids], { axis: attr.int(0) });
  }

  silu(x: string): string {
    return this.g.op('Mul', [x, this.g.op('Sigmoid', [x])]);
  }

  /** Per-channel normalization over space (GroupNorm with one channel per group). */
  norm(x: string, channels: number): string {
    return this.g.op('InstanceNormalization', [x, this.g.constant(`norm_s_${this.count++}`, new Float32Array(channels).fill(1), [channels]), this.zeros('norm_b', [channels])]);
  }

  /** Layer normalization over the last axis. */
  layerNorm(x: string, dim: number): string {
    return this.g.op('LayerNormalization', [x, this.g.constant(`ln_s_${this.count++}`, new Float32Array(dim).fill(1), [dim]), this.zeros('ln_b', [dim])], { axis: attr.int(-1) });
  }

  /** A residual block: conv(silu(norm(x))) + time embedding, conv(silu(norm(h))), plus a skip. */
  resBlock(x: string, inChannels: number, outChannels: number, temb: string, tembDim: number): string {
    const g = this.g;
    let h = this.conv(this.silu(this.norm(x, inChannels)), inChannels, outChannels);
    const t = g.op('Unsqueeze', [this.linear(this.silu(temb), tembDim, outChannels), g.ints([2, 3])]);
    h = g.op('Add', [h, t]);
    h = this.conv(this.silu(this.norm(h, outChannels)), outChannels, outChannels, 3, 1, 0.5);
    const skip = inChannels === outChannels ? x : this.conv(x, inChannels, outChannels, 1);
    return g.op('Add', [skip, h]);
  }

  /**
   * Multi-head-free scaled dot-product attention of `queries` [B, N, dim] over `context`
   * [B, M, contextDim]; `logitBias` (optional, [B, N, M]) is added to QK^T before the 1/sqrt(d)
   * scale, as eDiff-I's paint-with-words does. Returns [B, N, dim].
   */
  attention(queries: string, dim: number, context: string, contextDim: number, logitBias?: (logits: string) => string): string {
    const g = this.g;
    const q = this.linear(queries, dim, dim);
    const k = this.linear(context, contextDim, dim);
    const v = this.linear(context, contextDim, dim);
    let logits = g.op('MatMul', [q, g.op('Transpose', [k], { perm: attr.ints([0, 2, 1]) })]);
    if (logitBias) logits = g.op('Add', [logits, logitBias(logits)]);
    const weights = g.op('Softmax', [g.op('Mul', [logits, g.scalar(1 / Math.sqrt(dim))])], { axis: attr.int(2) });
    return this.linear(g.op('MatMul', [weights, v]), dim, dim, 0.5);
  }

  /** A learned vector (e.g. the null token), [dims]. */
  parameter(dims: number[]): string {
    return this.weight('param', dims, 1, 0.5);
  }
}
