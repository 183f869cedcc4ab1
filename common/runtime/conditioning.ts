/**
 * The conditioning of one branch of classifier-free guidance: every encoder output for a prompt,
 * the style image's embedding, and the paint-with-words tensor and weight. The encoder node serves
 * exactly this; the in-process pipeline calls it directly.
 */
import { InvalidArgumentError } from '../errors.ts';
import { decodeImage, decodeMask } from '../image.ts';
import type { PackManifest } from '../pack/manifest.ts';
import type { BranchRequest, Conditioning, EncodedBranch } from '../pipeline/conditioning.ts';
import type { Tensor } from '../tensor.ts';
import type { EncoderEnsemble } from './encoders.ts';

export class ConditioningBuilder {
  constructor(
    private readonly manifest: PackManifest,
    private readonly encoders: EncoderEnsemble,
  ) {}

  async branch(r: BranchRequest): Promise<EncodedBranch> {
    const { conditioning, warnings } = await this.encoders.encodePrompt(r.prompt);
    const out: Conditioning = { ...conditioning, ...(await this.style(r.style)) };
    if (this.manifest.paint) {
      out.paint = await this.paintTensor(r);
      out.paint_weight = { dims: [], data: Float32Array.of(r.paintWeight) };
    } else if (r.paint.length > 0) {
      throw new InvalidArgumentError('paint', `pack ${this.manifest.name} does not support paint-with-words`);
    }
    return { conditioning: out, warnings };
  }

  private async style(bytes: Uint8Array | null): Promise<Conditioning> {
    if (!bytes) return this.encoders.encodeImage(null);
    const [size] = this.encoders.imageSizes();
    if (size === undefined) throw new InvalidArgumentError('style', `pack ${this.manifest.name} does not support style images (it has no image encoder)`);
    return this.encoders.encodeImage(await decodeImage(bytes, 'style', size));
  }

  /** [T, P, P]: each painted phrase's mask on the rows of its tokens. */
  private async paintTensor(r: BranchRequest): Promise<Tensor> {
    const spec = this.manifest.paint!;
    const tokenizer = this.encoders.tokenizer(spec.encoder);
    const cells = spec.size * spec.size;
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
