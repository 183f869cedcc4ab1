import { test } from 'node:test';
import assert from 'node:assert/strict';
import { branchKey, EncodingCache } from '../../coordinator/encoding-cache.ts';
import type { BranchRequest, EncodedBranch } from '../../common/pipeline/conditioning.ts';

const branch = (prompt: string, mask = new Uint8Array([1, 2, 3])): BranchRequest => ({ prompt, style: null, paint: [{ phrase: 'circle', mask }], paintWeight: 1, paintRequired: true });
/** An encoder that counts its calls; each conditioning holds `floats` float32 values. */
function encoder(floats = 4) {
  const calls: string[] = [];
  const encode = (r: BranchRequest) => async (): Promise<EncodedBranch> => {
    calls.push(r.prompt);
    return { conditioning: { t5: { dims: [floats], data: new Float32Array(floats) } }, warnings: [] };
  };
  return { calls, encode };
}

test('a repeated branch is encoded once and shared; any difference is a different entry', async () => {
  const cache = new EncodingCache(1024);
  const { calls, encode } = encoder();
  const a = await cache.get(branch('a red circle'), encode(branch('a red circle')));
  assert.equal(await cache.get(branch('a red circle'), encode(branch('a red circle'))), a);
  await cache.get(branch('a red circle', new Uint8Array([1, 2, 4])), encode(branch('a red circle')));
  await cache.get({ ...branch('a red circle'), paintWeight: 2 }, encode(branch('a red circle')));
  assert.deepEqual(calls, ['a red circle', 'a red circle', 'a red circle']);
  assert.deepEqual([cache.hits, cache.misses, cache.bytes], [1, 3, 3 * 16]);
  assert.notEqual(branchKey(branch('ab')), branchKey({ ...branch('a'), paint: [{ phrase: 'bcircle', mask: new Uint8Array([1, 2, 3]) }] }));
});

test('concurrent requests for one branch share one encoding', async () => {
  const cache = new EncodingCache(1024);
  const { calls, encode } = encoder();
  const [x, y] = await Promise.all([cache.get(branch('p'), encode(branch('p'))), cache.get(branch('p'), encode(branch('p')))]);
  assert.equal(x, y);
  assert.equal(calls.length, 1);
});

test('a failed encoding is not kept', async () => {
  const cache = new EncodingCache(1024);
  await assert.rejects(cache.get(branch('p'), () => Promise.reject(new Error('encoder down'))), /encoder down/);
  const { calls, encode } = encoder();
  await cache.get(branch('p'), encode(branch('p')));
  assert.equal(calls.length, 1);
  assert.equal(cache.bytes, 16);
});

test('over its byte budget the least recently used entry goes first; 0 bytes keeps nothing', async () => {
  const cache = new EncodingCache(32);
  const { calls, encode } = encoder();
  const get = (p: string) => cache.get(branch(p), encode(branch(p)));
  await get('a');
  await get('b');
  await get('a'); // a is now the most recent
  await get('c'); // 48 bytes > 32: b goes
  assert.equal(cache.bytes, 32);
  await get('a');
  await get('b');
  assert.deepEqual(calls, ['a', 'b', 'c', 'b']);

  const off = new EncodingCache(0);
  const counted = encoder();
  await off.get(branch('a'), counted.encode(branch('a')));
  await off.get(branch('a'), counted.encode(branch('a')));
  assert.equal(counted.calls.length, 2);
  assert.equal(off.bytes, 0);
});
