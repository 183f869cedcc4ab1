/**
 * CLIP's tokenizer built from the vocab.json + merges.txt that exports ship (CLIP's real
 * vocabulary, test/fixtures/clip), against openai/CLIP's own tokenizations and the vocabulary's ids.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TextTokenizer } from '../../common/runtime/tokenizer.ts';

const dir = fileURLToPath(new URL('../fixtures/clip/', import.meta.url));
const files = { vocab: `${dir}vocab.json`, merges: `${dir}merges.txt` };
const vocab = JSON.parse(readFileSync(files.vocab, 'utf8')) as Record<string, number>;
const eosPadded = new TextTokenizer(files, 'clip-text', 77);
const zeroPadded = new TextTokenizer(files, 'clip-text', 77, '!');
const BOS = 49406;
const EOS = 49407;

/** The ids before padding. */
const ids = (prompt: string, t = eosPadded) => {
  const { ids: all, count } = t.encode(prompt);
  return Array.from(all.subarray(0, Math.min(count, 77)), Number);
};
/** The ids of words as the vocabulary has them (each word's last symbol ends in </w>). */
const words = (...tokens: string[]) => [BOS, ...tokens.map((w) => vocab[`${w}</w>`] ?? assert.fail(`no ${w}</w> in the vocabulary`)), EOS];

test("openai/CLIP's reference tokenizations (test/fixtures/clip/README.md)", () => {
  assert.deepEqual(ids('a red circle on a blue background'), [49406, 320, 736, 7117, 525, 320, 1746, 5994, 49407]);
  assert.deepEqual(ids('A photo of two pandas walking on a road.'), [49406, 320, 1125, 539, 1237, 35119, 3941, 525, 320, 1759, 269, 49407]);
});

test('lower-casing and whitespace clean-up', () => {
  assert.deepEqual(ids('A  PHOTO\tof\n a   Cat'), ids('a photo of a cat'));
  assert.deepEqual(ids('a photo of a cat'), words('a', 'photo', 'of', 'a', 'cat'));
});

test('contractions, punctuation and digits split as CLIP splits them', () => {
  assert.deepEqual(ids("it's a dog's life, isn't it?"), words('it', "'s", 'a', 'dog', "'s", 'life', ',', 'isn', "'t", 'it', '?'));
  // Digits one at a time; a run of other symbols is one word.
  assert.deepEqual(ids('1234 cats!!!'), words('1', '2', '3', '4', 'cats', '!!!'));
  assert.deepEqual(ids('road.'), words('road', '.'));
  assert.deepEqual(ids(''), [BOS, EOS]);
});

test('padding follows the tokenizer config: the end token (SD 1.x) or "!" = 0 (SD 2.x)', () => {
  const a = eosPadded.encode('a cat');
  assert.deepEqual(Array.from(a.ids.subarray(0, 4), Number), [BOS, 320, 2368, EOS]);
  assert.ok(Array.from(a.ids.subarray(4), Number).every((id) => id === EOS));
  const b = zeroPadded.encode('a cat');
  assert.deepEqual(Array.from(b.ids.subarray(0, 4), Number), [BOS, 320, 2368, EOS]);
  assert.ok(Array.from(b.ids.subarray(4), Number).every((id) => id === 0));
  assert.equal(a.ids.length, 77);
  assert.throws(() => new TextTokenizer(files, 'clip-text', 77, '<nope>'), /has no "<nope>" token to pad with/);
});

test('a long prompt is truncated to 75 tokens between start and end, with a warning naming what was dropped', () => {
  const prompt = Array.from({ length: 80 }, (_, i) => (i < 75 ? 'cat' : 'dog')).join(' ');
  const t = eosPadded.encode(prompt);
  assert.equal(t.count, 82);
  assert.equal(t.ids.length, 77);
  assert.equal(Number(t.ids[0]), BOS);
  assert.equal(Number(t.ids[76]), EOS, 'the end token stays: CLIP pools at it');
  assert.ok(Array.from(t.ids.subarray(1, 76), Number).every((id) => id === vocab['cat</w>']));
  assert.equal(t.dropped, 'dog dog dog dog dog');
  assert.equal(eosPadded.truncationWarning(t, 'text_encoder'), 'the prompt is 82 tokens long for encoder text_encoder, which takes 77: "dog dog dog dog dog" was dropped');
  assert.equal(eosPadded.truncationWarning(eosPadded.encode('a cat'), 'text_encoder'), null);
});

test('phrase positions are found in the tokenized prompt', () => {
  assert.deepEqual(eosPadded.phrasePositions('a red circle on a blue background', 'blue background'), [6, 7]);
  assert.deepEqual(eosPadded.phrasePositions('a red circle', 'square'), []);
});
