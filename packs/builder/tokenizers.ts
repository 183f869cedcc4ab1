/**
 * tokenizer.json files (the Hugging Face tokenizers format) for the packs this project builds:
 * a CLIP-style byte-pair encoding and a T5-style Unigram model, both over a small vocabulary.
 * Words outside the vocabulary fall back to single characters (BPE) or pieces / <unk> (Unigram).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const LETTERS = 'abcdefghijklmnopqrstuvwxyz'.split('');

export const CLIP_SPECIAL = { start: '<|startoftext|>', end: '<|endoftext|>' } as const;
export const T5_SPECIAL = { pad: '<pad>', end: '</s>', unk: '<unk>' } as const;

function addedToken(id: number, content: string) {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

/**
 * Learns BPE merges over `words` (each counted once) until every word is one token, as BPE
 * training does: repeatedly merge the most frequent adjacent pair (ties: the smaller pair in
 * code-unit order), so applying the merges in rank order reproduces the learned segmentation.
 */
export function trainBpeMerges(words: readonly string[], suffix: string): [string, string][] {
  const split = words.map((w) => [...w.slice(0, -1)].concat(w.slice(-1) + suffix));
  const merges: [string, string][] = [];
  for (;;) {
    const counts = new Map<string, number>();
    for (const symbols of split)
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = `${symbols[i]} ${symbols[i + 1]}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    if (counts.size === 0) return merges;
    const [best] = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]!;
    const [left, right] = best.split(' ') as [string, string];
    merges.push([left, right]);
    for (const symbols of split)
      for (let i = 0; i + 1 < symbols.length; i++) {
        if (symbols[i] === left && symbols[i + 1] === right) symbols.splice(i, 2, left + right);
      }
  }
}

/** A CLIP-style tokenizer: lowercase, whitespace pre-tokenizer, BPE with a `</w>` end-of-word suffix, start/end tokens. */
export function clipTokenizerJson(words: readonly string[]): object {
  const suffix = '</w>';
  const merges = trainBpeMerges(words, suffix);
  const vocab: Record<string, number> = {};
  const add = (t: string) => {
    if (!(t in vocab)) vocab[t] = Object.keys(vocab).length;
  };
  for (const l of LETTERS) add(l);
  for (const l of LETTERS) add(l + suffix);
  for (const [a, b] of merges) add(a + b);
  add(CLIP_SPECIAL.start);
  add(CLIP_SPECIAL.end);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [addedToken(vocab[CLIP_SPECIAL.start]!, CLIP_SPECIAL.start), addedToken(vocab[CLIP_SPECIAL.end]!, CLIP_SPECIAL.end)],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFC' }, { type: 'Lowercase' }] },
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: CLIP_SPECIAL.start, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: CLIP_SPECIAL.end, type_id: 0 } }],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: {
        [CLIP_SPECIAL.start]: { id: CLIP_SPECIAL.start, ids: [vocab[CLIP_SPECIAL.start]], tokens: [CLIP_SPECIAL.start] },
        [CLIP_SPECIAL.end]: { id: CLIP_SPECIAL.end, ids: [vocab[CLIP_SPECIAL.end]], tokens: [CLIP_SPECIAL.end] },
      },
    },
    decoder: { type: 'BPEDecoder', suffix },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: suffix,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: merges.map(([a, b]) => `${a} ${b}`),
    },
  };
}

/** A T5-style tokenizer: lowercase, Metaspace, a Unigram model where whole words beat letters, `</s>` appended. */
export function t5TokenizerJson(words: readonly string[]): object {
  const space = '\u2581';
  const vocab: [string, number][] = [
    [T5_SPECIAL.pad, 0],
    [T5_SPECIAL.end, 0],
    [T5_SPECIAL.unk, 0],
    ...words.map((w): [string, number] => [space + w, -2]),
    [space, -8],
    ...LETTERS.map((l): [string, number] => [l, -10]),
  ];
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [addedToken(0, T5_SPECIAL.pad), addedToken(1, T5_SPECIAL.end), addedToken(2, T5_SPECIAL.unk)],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Lowercase' }] },
    pre_tokenizer: { type: 'Metaspace', replacement: space, prepend_scheme: 'always', split: true },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: T5_SPECIAL.end, type_id: 0 } }],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { [T5_SPECIAL.end]: { id: T5_SPECIAL.end, ids: [1], tokens: [T5_SPECIAL.end] } },
    },
    decoder: { type: 'Metaspace', replacement: space, prepend_scheme: 'always', split: true },
    model: { type: 'Unigram', unk_id: 2, vocab, byte_fallback: false },
  };
}

/** Writes files into a pack folder being built, creating subfolders. */
export type PackWriter = (rel: string, data: Uint8Array | string) => void;

export function packWriter(dir: string): PackWriter {
  return (rel, data) => {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, data);
  };
}

/**
 * Writes the T5-style and CLIP-style tokenizers of a vocabulary into `encoders/` and returns
 * their vocabularies (token -> id), which the encoders' embedding tables are indexed by.
 */
export function writeTokenizers(write: PackWriter, words: readonly string[]): { t5: Record<string, number>; clip: Record<string, number> } {
  const t5 = t5TokenizerJson(words) as { model: { vocab: [string, number][] } };
  const clip = clipTokenizerJson(words) as { model: { vocab: Record<string, number> } };
  write('encoders/t5-tokenizer.json', JSON.stringify(t5, null, 1));
  write('encoders/clip-tokenizer.json', JSON.stringify(clip, null, 1));
  return { t5: Object.fromEntries(t5.model.vocab.map(([piece], id) => [piece, id])), clip: clip.model.vocab };
}
