/**
 * The encoder ensemble of a pack (T5-style, CLIP-text-style, CLIP-image-style): prompts and style
 * images -> named conditioning tensors, with an embedding cache keyed by prompt.
 */
import path from 'node:path';
import type { Pack } from '../pack/load.ts';
import { usedEncoders, type EncoderSpec } from '../pack/manifest.ts';
import { NonFiniteOutputError } from '../errors.ts';
import { firstNonFinite, type Tensor } from '../tensor.ts';
import type { Conditioning } from '../pipeline/conditioning.ts';
import { ModelSession } from './session.ts';
import { TextTokenizer } from './tokenizer.ts';

interface LoadedEncoder {
  spec: EncoderSpec;
  session: ModelSession;
  tokenizer: TextTokenizer | null;
  /** Image encoders: output dims without the batch axis, by ONNX output name. */
  outputDims: Record<string, number[]>;
}

/** Keeps the most recently used entries. */
class LruCache<V> {
  private readonly map = new Map<string, V>();
  constructor(readonly capacity: number) {}
  get(key: string): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value!);
  }
}

/** An image encoder's output dims without the batch axis (fixed: a missing style image gives zeros of these dims). */
function imageOutputDims(session: ModelSession, spec: EncoderSpec): Record<string, number[]> {
  const dims: Record<string, number[]> = {};
  for (const meta of session.outputMetadata) {
    if (!(meta.name in spec.outputs) || !meta.isTensor) continue;
    const shape = meta.shape.slice(1);
    if (!shape.every((d): d is number => typeof d === 'number')) throw new Error(`encoder ${spec.name}: output ${meta.name} must have fixed dims after the batch axis`);
    dims[meta.name] = shape;
  }
  return dims;
}

/** A prompt's encoding by every text encoder, and what the caller should know (a truncated prompt). */
export interface EncodedPrompt {
  conditioning: Conditioning;
  warnings: string[];
}

export class EncoderEnsemble {
  private readonly cache = new LruCache<EncodedPrompt>(256);
  /** Prompt lookups answered from the embedding cache, and those that ran the encoders. */
  readonly cacheStats = { hits: 0, misses: 0 };

  private constructor(private readonly encoders: LoadedEncoder[]) {}

  /** Loads the encoders some expert consumes (see usedEncoders). */
  static async load(pack: Pack): Promise<EncoderEnsemble> {
    const encoders = await Promise.all(
      usedEncoders(pack.manifest).map(async (spec): Promise<LoadedEncoder> => {
        const session = await ModelSession.load(path.resolve(pack.dir, spec.model));
        if (spec.kind === 'clip-image') return { spec, session, tokenizer: null, outputDims: imageOutputDims(session, spec) };
        return { spec, session, tokenizer: TextTokenizer.forEncoder(pack.dir, spec), outputDims: {} };
      }),
    );
    return new EncoderEnsemble(encoders);
  }

  tokenizer(encoder: string): TextTokenizer {
    const found = this.encoders.find((e) => e.spec.name === encoder)?.tokenizer;
    if (!found) throw new Error(`no text encoder named ${encoder}`);
    return found;
  }

  /** The text encoders' names and tokenizers. */
  tokenizers(): { encoder: string; tokenizer: TextTokenizer }[] {
    return this.encoders.flatMap((e) => (e.tokenizer ? [{ encoder: e.spec.name, tokenizer: e.tokenizer }] : []));
  }

  /** Every text encoder's outputs for one prompt ('' gives the unconditional embeddings). */
  async encodePrompt(prompt: string): Promise<EncodedPrompt> {
    const cached = this.cache.get(prompt);
    if (cached) {
      this.cacheStats.hits++;
      return cached;
    }
    this.cacheStats.misses++;
    const conditioning: Conditioning = {};
    const warnings: string[] = [];
    for (const e of this.encoders) {
      if (!e.tokenizer) continue;
      const tokens = e.tokenizer.encode(prompt);
      const { ids } = tokens;
      const warning = e.tokenizer.truncationWarning(tokens, e.spec.name);
      if (warning) warnings.push(warning);
      const result = await e.session.run({ input_ids: { data: ids, dims: [1, ids.length] } }, Object.keys(e.spec.outputs));
      for (const [output, name] of Object.entries(e.spec.outputs)) {
        const t = result[output]!;
        if (!(t.data instanceof Float32Array)) throw new Error(`encoder ${e.spec.name}: output ${output} is not floating-point`);
        const bad = firstNonFinite(t.data);
        if (bad >= 0) throw new NonFiniteOutputError(`encoder ${e.spec.name}`, `output ${output} has ${t.data[bad]} at value ${bad}`);
        conditioning[name] = { dims: t.dims.slice(1), data: t.data };
      }
    }
    const encoded = { conditioning, warnings };
    this.cache.set(prompt, encoded);
    return encoded;
  }

  /** The image encoders' outputs for a style image (CHW in [-1, 1] at the encoder's image_size); null gives zeros. */
  async encodeImage(image: Tensor | null): Promise<Conditioning> {
    const out: Conditioning = {};
    for (const e of this.encoders) {
      if (e.tokenizer) continue;
      const result = image ? await e.session.runFloat({ image: { data: image.data, dims: [1, ...image.dims] } }, Object.keys(e.spec.outputs)) : null;
      for (const [output, name] of Object.entries(e.spec.outputs)) {
        const dims = e.outputDims[output]!;
        out[name] = { dims, data: result ? result[output]! : new Float32Array(dims.reduce((a, b) => a * b, 1)) };
      }
    }
    return out;
  }

  /** The image size each image encoder takes (the pipeline resizes style images to it). */
  imageSizes(): number[] {
    return this.encoders.filter((e) => !e.tokenizer).map((e) => e.spec.image_size!);
  }

  async release(): Promise<void> {
    await Promise.all(this.encoders.map((e) => e.session.release()));
  }
}
