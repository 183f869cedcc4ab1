/**
 * A text encoder's tokenizer, through @huggingface/tokenizers: from a tokenizer.json, or from
 * CLIP's vocab.json + merges.txt as real exports ship them (their tokenizer.json is built in
 * memory, see clipTokenizerJson). Prompts are truncated to the encoder's fixed length keeping
 * the end token (CLIP pools at it), then padded with the pad token.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import type { EncoderKind, EncoderSpec, TokenizerFiles } from '../pack/manifest.ts';

export interface TokenizedPrompt {
  ids: BigInt64Array;
  /** Every token of the prompt, start and end tokens included, before truncation. */
  count: number;
  /** The tokens dropped to fit the encoder, decoded back to text ('' when none were). */
  dropped: string;
}

export const CLIP_BOS = '<|startoftext|>';
export const CLIP_EOS = '<|endoftext|>';

/**
 * CLIP's own tokenizer as a tokenizer.json, from the two files exports ship: NFC, whitespace
 * runs collapsed, lower-cased; split by CLIP's pattern (contractions, letter runs, single digits,
 * runs of other symbols); GPT-2's byte-level alphabet; BPE with `</w>` ending each word; the
 * start and end tokens around the sequence.
 */
export function clipTokenizerJson(vocabFile: string, mergesFile: string): object {
  const vocab = JSON.parse(readFileSync(vocabFile, 'utf8')) as Record<string, number>;
  const lines = readFileSync(mergesFile, 'utf8').split(/\r?\n/);
  // The first line is a header ("#version: 0.2"); merge ranks count from the line after it.
  const merges = lines.filter((line, i) => line.length > 0 && !(i === 0 && line.startsWith('#version')));
  for (const token of [CLIP_BOS, CLIP_EOS]) if (vocab[token] === undefined) throw new Error(`${vocabFile} has no ${token} token; is it CLIP's vocabulary?`);
  const special = (content: string) => ({ id: vocab[content], content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(CLIP_BOS), special(CLIP_EOS)],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }] },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+" }, behavior: 'Removed', invert: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: { type: 'RobertaProcessing', sep: [CLIP_EOS, vocab[CLIP_EOS]], cls: [CLIP_BOS, vocab[CLIP_BOS]], trim_offsets: false, add_prefix_space: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: CLIP_EOS, continuing_subword_prefix: '', end_of_word_suffix: '</w>', fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges },
  };
}

export class TextTokenizer {
  private readonly tokenizer: Tokenizer;
  readonly padId: number;

  /** The tokenizer of a pack's text encoder (its files relative to the pack folder `dir`). */
  static forEncoder(dir: string, e: EncoderSpec): TextTokenizer {
    if (e.kind === 'clip-image' || !e.tokenizer) throw new Error(`encoder ${e.name} has no tokenizer`);
    const t = e.tokenizer;
    const files = typeof t === 'string' ? path.resolve(dir, t) : { vocab: path.resolve(dir, t.vocab), merges: path.resolve(dir, t.merges) };
    return new TextTokenizer(files, e.kind, e.max_tokens!, e.pad_token);
  }

  constructor(
    files: TokenizerFiles,
    readonly kind: Exclude<EncoderKind, 'clip-image'>,
    readonly maxTokens: number,
    /** @default CLIP's end token (clip-text), `<pad>` (t5-text) */
    padToken: string = kind === 'clip-text' ? CLIP_EOS : '<pad>',
  ) {
    const json = typeof files === 'string' ? JSON.parse(readFileSync(files, 'utf8')) : clipTokenizerJson(files.vocab, files.merges);
    this.tokenizer = new Tokenizer(json, {});
    const padId = this.tokenizer.token_to_id(padToken);
    const where = typeof files === 'string' ? files : files.vocab;
    if (padId === undefined) throw new Error(`${where}: the ${kind} tokenizer has no ${JSON.stringify(padToken)} token to pad with`);
    this.padId = padId;
  }

  /**
   * The prompt's ids, `maxTokens` long: truncated keeping the last (end) token, then padded. For
   * CLIP: [start] + up to 75 tokens + [end], padded to 77.
   */
  encode(prompt: string): TokenizedPrompt {
    const all = this.tokenizer.encode(prompt).ids;
    const kept = all.length <= this.maxTokens ? all : [...all.slice(0, this.maxTokens - 1), all[all.length - 1]!];
    const ids = new BigInt64Array(this.maxTokens).fill(BigInt(this.padId));
    kept.forEach((id, i) => (ids[i] = BigInt(id)));
    const dropped = all.length <= this.maxTokens ? '' : this.tokenizer.decode(all.slice(this.maxTokens - 1, all.length - 1), { skip_special_tokens: true }).trim();
    return { ids, count: all.length, dropped };
  }

  /** A warning for a prompt that did not fit (its tokens from `encode`), or null. */
  truncationWarning({ count, dropped }: TokenizedPrompt, encoder: string): string | null {
    if (count <= this.maxTokens) return null;
    return `the prompt is ${count} tokens long for encoder ${encoder}, which takes ${this.maxTokens}: "${dropped}" was dropped`;
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
