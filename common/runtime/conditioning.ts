/**
 * The conditioning of one branch of classifier-free guidance: the encoder outputs for a prompt,
 * the conditioning the pack derives from them and from the request (joined hidden states, SDXL's
 * time_ids), the style image's embedding, and the paint-with-words tensor and weight. The encoder
 * node serves exactly this; the in-process pipeline calls it directly. Encoder outputs that only
 * feed derived conditioning are not served.
 */
import { InvalidArgumentError } from '../errors.ts';
import { decodeImage, decodeMask, imagePixels } from '../image.ts';
import { MAX_PAINT_PIXELS } from '../pipeline/request.ts';
import { allExperts, type DerivedConditioning, type PackManifest } from '../pack/manifest.ts';
import type { BranchRequest, Conditioning, EncodedBranch } from '../pipeline/conditioning.ts';
import type { Tensor } from '../tensor.ts';
import type { EncoderEnsemble } from './encoders.ts';

/** Encoder outputs that feed derived conditioning and no expert directly: made, joined, not served. */
function joinOnlyOutputs(m: PackManifest, consumed: Set<string>): Set<string> {
  return new Set((m.conditioning ?? []).flatMap((d) => ('join' in d ? d.join : [])).filter((name) => !consumed.has(name)));
}

/** Tensors joined on their last axis: [..., a] + [..., b] -> [..., a + b]. */
export function joinLastAxis(parts: Tensor[], what: string): Tensor {
  const lead = parts[0]!.dims.slice(0, -1);
  for (const p of parts) if (p.dims.slice(0, -1).join() !== lead.join()) throw new Error(`${what}: cannot join tensors of dims ${parts.map((q) => `[${q.dims}]`).join(' and ')}`);
  const widths = parts.map((p) => p.dims[p.dims.length - 1]!);
  const width = widths.reduce((a, b) => a + b, 0);
  const rows = lead.reduce((a, b) => a * b, 1);
  const data = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    let at = r * width;
    parts.forEach((p, k) => {
      data.set(p.data.subarray(r * widths[k]!, (r + 1) * widths[k]!), at);
      at += widths[k]!;
    });
  }
  return { dims: [...lead, width], data };
}

export class ConditioningBuilder {
  private readonly hidden: Set<string>;
  /** The derived conditioning some expert consumes (the rest is not made). */
  private readonly derivedSpecs: DerivedConditioning[];

  constructor(
    private readonly manifest: PackManifest,
    private readonly encoders: EncoderEnsemble,
  ) {
    const consumed = new Set(allExperts(manifest).flatMap((e) => e.inputs));
    this.hidden = joinOnlyOutputs(manifest, consumed);
    this.derivedSpecs = (manifest.conditioning ?? []).filter((d) => consumed.has(d.name));
  }

  async branch(r: BranchRequest): Promise<EncodedBranch> {
    const { conditioning, warnings } = await this.encoders.encodePrompt(r.prompt);
    const out: Conditioning = {};
    for (const [name, t] of Object.entries(conditioning)) if (!this.hidden.has(name)) out[name] = t;
    for (const d of this.derivedSpecs) out[d.name] = this.derived(d, conditioning, r);
    Object.assign(out, await this.style(r.style));
    if (this.manifest.paint) {
      out.paint = await this.paintTensor(r);
      out.paint_weight = { dims: [], data: Float32Array.of(r.paintWeight) };
    } else if (r.paint.length > 0) {
      throw new InvalidArgumentError('paint', `pack ${this.manifest.name} does not support paint-with-words`);
    }
    return { conditioning: out, warnings };
  }

  private derived(d: DerivedConditioning, encoded: Conditioning, r: BranchRequest): Tensor {
    if ('time_ids' in d) {
      const micro = r.micro;
      if (!micro) throw new InvalidArgumentError('micro', `pack ${this.manifest.name} needs the micro-conditioning (${d.time_ids.join(', ')}) of ${d.name}`);
      return { dims: [d.time_ids.length], data: Float32Array.from(d.time_ids, (f) => micro[f]) };
    }
    const joined = joinLastAxis(
      d.join.map((name) => encoded[name]!),
      d.name,
    );
    // diffusers' force_zeros_for_empty_prompt: no negative prompt means zeros, not the encoding of "".
    if (d.zero_for_empty_negative && r.negative && r.prompt === '') joined.data.fill(0);
    return joined;
  }

  private async style(bytes: Uint8Array | null): Promise<Conditioning> {
    if (!bytes) return this.encoders.encodeImage(null);
    const [size] = this.encoders.imageSizes();
    if (size === undefined) throw new InvalidArgumentError('style_image', `pack ${this.manifest.name} does not support style images (it has no image encoder)`);
    return this.encoders.encodeImage(await decodeImage(bytes, 'style_image', size));
  }

  /** [T, P, P]: each painted phrase's mask on the rows of its tokens. */
  private async paintTensor(r: BranchRequest): Promise<Tensor> {
    const spec = this.manifest.paint!;
    const tokenizer = this.encoders.tokenizer(spec.encoder);
    const cells = spec.size * spec.size;
    let pixels = 0;
    for (const [i, region] of r.paint.entries()) pixels += await imagePixels(region.mask, `paint[${i}].mask`);
    if (pixels > MAX_PAINT_PIXELS) throw new InvalidArgumentError('paint', `masks of ${pixels} pixels in all; the limit is ${MAX_PAINT_PIXELS} (16 masks of 2048x2048)`);
    const data = new Float32Array(tokenizer.maxTokens * cells);
    for (const [i, region] of r.paint.entries()) {
      const positions = tokenizer.phrasePositions(r.prompt, region.phrase);
      if (positions.length === 0) {
        if (r.paintRequired) throw new InvalidArgumentError(`paint[${i}].phrase`, `${JSON.stringify(region.phrase)} is not in the prompt (or falls past its first ${tokenizer.maxTokens} tokens)`);
        continue;
      }
      const mask = await decodeMask(region.mask, `paint[${i}].mask`, spec.size);
      for (const t of positions) for (let p = 0; p < cells; p++) data[t * cells + p] = Math.max(data[t * cells + p]!, mask.data[p]!);
    }
    return { dims: [tokenizer.maxTokens, spec.size, spec.size], data };
  }
}
