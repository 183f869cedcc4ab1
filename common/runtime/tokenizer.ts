/**
 * A text encoder's tokenizer: tokenizer.json through @huggingface/tokenizers, padded or truncated
 * to the encoder's fixed length.
 */
import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import type { EncoderKind } from '../pack/manifest.ts';

export interface TokenizedPrompt {
  ids: BigInt64Array;
  tokens: string[];
  /** True when the prompt had more tokens than the encoder takes. */
  truncated: boolean;
}

export class TextTokenizer {
  private readonly tokenizer: Tokenizer;
  private readonly padId: number;

  constructor(
    file: string,
    readonly kind: Exclude<EncoderKind, 'clip-image'>,
    readonly maxTokens: number,
  ) {
    this.tokenizer = new Tokenizer(JSON.parse(readFileSync(file, 'utf8')), {});
    // CLIP pads with its end token, T5 with <pad>.
    const pad = kind === 'clip-text' ? '<|endoftext|>' : '<pad>';
    const padId = this.tokenizer.token_to_id(pad);
    if (padId === undefined) throw new Error(`${file}: the ${kind} tokenizer has no ${pad} token to pad with`);
    this.padId = padId;
  }

  encode(prompt: string): TokenizedPrompt {
    const encoding = this.tokenizer.encode(prompt);
    const truncated = encoding.ids.length > this.maxTokens;
    const ids = new BigInt64Array(this.maxTokens).fill(BigInt(this.padId));
    encoding.ids.slice(0, this.maxTokens).forEach((id, i) => (ids[i] = BigInt(id)));
    return { ids, tokens: encoding.tokens.slice(0, this.maxTokens), truncated };
  }

  /**
   * The positions in `prompt`'s tokens of each occurrence of `phrase` (tokenized without special
   * tokens); empty when the phrase is not in the prompt.
   */
  phrasePositions(prompt: string, phrase: string): number[] {
    const haystack = this.encode(prompt).ids;
    const needle = this.tokenizer.encode(phrase, { add_special_tokens: false }).ids.map(BigInt);
    const positions: number[] = [];
    if (needle.length === 0) return positions;
    for (let i = 0; i + needle.length <= haystack.length; i++) {
      if (needle.every((id, k) => haystack[i + k] === id)) for (let k = 0; k < needle.length; k++) positions.push(i + k);
    }
    return positions;
  }
}
