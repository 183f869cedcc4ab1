import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { readModelSignature } from '../../common/pack/onnx-signature.ts';
import { GraphBuilder, attr, f32, i64 } from '../../packs/onnx/graph.ts';
import { tempDir } from '../helpers/reference.ts';

async function run(model: Uint8Array, feeds: Record<string, ort.Tensor>) {
  const session = await ort.InferenceSession.create(model);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5) {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tol * (1 + Math.abs(expected[i]!)), `at ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

test('an affine map + softmax written by the builder runs in onnxruntime and matches JS', async () => {
  const W = [0.5, -1, 2, 0.25, -0.75, 1.5]; // [3, 2]
  const b = [0.1, -0.2];
  const g = new GraphBuilder('affine-softmax');
  const x = g.input('x', 'float32', ['batch', 3]);
  const y = g.op('Add', [g.op('MatMul', [x, g.constant('w', f32(W), [3, 2])]), g.constant('b', f32(b), [2])]);
  g.output(g.op('Softmax', [y], { axis: attr.int(1) }), 'probs', 'float32', ['batch', 2]);
  const input = [1, 2, 3, -1, 0.5, 4];
  const out = await run(g.encode(), { x: new ort.Tensor('float32', f32(input), [2, 3]) });
  const expected: number[] = [];
  for (let r = 0; r < 2; r++) {
    const logits = [0, 1].map((c) => b[c]! + [0, 1, 2].reduce((acc, k) => acc + input[r * 3 + k]! * W[k * 2 + c]!, 0));
    const e = logits.map(Math.exp);
    expected.push(...e.map((v) => v / (e[0]! + e[1]!)));
  }
  close(out.probs!.data as Float32Array, expected);
  assert.deepEqual(out.probs!.dims, [2, 2]);
});

test('a 3x3 convolution, gather and reshape match JS', async () => {
  const g = new GraphBuilder('conv-gather');
  const img = g.input('img', 'float32', [1, 1, 4, 4]);
  const kernel = f32([0, 1, 0, 1, -4, 1, 0, 1, 0]);
  const conv = g.op('Conv', [img, g.constant('k', kernel, [1, 1, 3, 3])], { pads: attr.ints([1, 1, 1, 1]) });
  g.output(g.op('Reshape', [conv, g.ints([16])]), 'laplacian', 'float32', [16]);
  const ids = g.input('ids', 'int64', [3]);
  g.output(g.op('Gather', [g.constant('table', f32([10, 20, 30, 40]), [4]), ids], { axis: attr.int(0) }), 'picked', 'float32', [3]);
  const pixels = Array.from({ length: 16 }, (_, i) => (i * 7) % 5);
  const out = await run(g.encode(), {
    img: new ort.Tensor('float32', f32(pixels), [1, 1, 4, 4]),
    ids: new ort.Tensor('int64', i64([3, 0, 2]), [3]),
  });
  const at = (r: number, c: number) => (r < 0 || c < 0 || r > 3 || c > 3 ? 0 : pixels[r * 4 + c]!);
  const expected = pixels.map((_, i) => {
    const r = Math.floor(i / 4);
    const c = i % 4;
    return at(r - 1, c) + at(r + 1, c) + at(r, c - 1) + at(r, c + 1) - 4 * at(r, c);
  });
  close(out.laplacian!.data as Float32Array, expected);
  close(out.picked!.data as Float32Array, [40, 10, 30]);
});

test('the builder is deterministic and its signature can be read back from the file', () => {
  const build = () => {
    const g = new GraphBuilder('sig');
    const a = g.input('a', 'float32', ['batch', 2]);
    const ids = g.input('ids', 'int64', [3]);
    g.output(g.op('Mul', [a, g.scalar(3)]), 'y', 'float32', ['batch', 2]);
    g.output(g.op('Gather', [g.constant('table', f32([1, 2, 3, 4]), [4]), ids], { axis: attr.int(0) }), 'picked', 'float32', [3]);
    return g.encode();
  };
  assert.deepEqual(build(), build());
  const work = tempDir('signature');
  try {
    const file = path.join(work.dir, 'model.onnx');
    writeFileSync(file, build());
    assert.deepEqual(readModelSignature(file), {
      inputs: [{ name: 'a', type: 'float32', dims: ['batch', 2] }, { name: 'ids', type: 'int64', dims: [3] }],
      outputs: [{ name: 'y', type: 'float32', dims: ['batch', 2] }, { name: 'picked', type: 'float32', dims: [3] }],
      externalData: [],
    });
    writeFileSync(file, build().subarray(0, 40));
    assert.throws(() => readModelSignature(file), /truncated|malformed/);
  } finally {
    work.remove();
  }
  const g = new GraphBuilder('dup');
  g.input('a', 'float32', [1]);
  assert.throws(() => g.input('a', 'float32', [1]), /used twice/);
});
