import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { encodePng } from '../../common/image.ts';
import { loadPack } from '../../common/pack/load.ts';
import { InProcessPipeline } from '../../common/runtime/in-process.ts';
import type { ProgressEvent } from '../../common/pipeline/job.ts';
import type { GenerateRequest } from '../../common/pipeline/request.ts';
import { karrasSigmas } from '../../common/sampling/schedule.ts';
import { buildReferencePack } from '../../packs/reference/build.ts';
import { objectCoverage, render, type Item } from '../../packs/reference/dataset.ts';
import { builtReferencePack, classify, downsampleTo64, halfMaskPng, solidPng, tempDir } from '../helpers/reference.ts';

let pack: { dir: string; remove: () => void };
let pipeline: InProcessPipeline;

before(async () => {
  pack = builtReferencePack();
  pipeline = await InProcessPipeline.load(loadPack(pack.dir));
});
after(async () => {
  await pipeline?.release();
  pack?.remove();
});

const picture = async (request: Partial<GenerateRequest> & { prompt: string }) => {
  const result = await pipeline.generate({ size: 64, seed: 1, ...request });
  return classify(result.width === 64 ? result.image.data : downsampleTo64(result.image.data, result.width));
};

describe('prompts give the pictures they describe', () => {
  const cases = [
    ['a red circle on a blue background', { colour: 'red', shape: 'circle', background: 'blue' }],
    ['a green square on a white background', { colour: 'green', shape: 'square', background: 'white' }],
    ['a yellow triangle on a black background', { colour: 'yellow', shape: 'triangle', background: 'black' }],
    ['a blue circle on the left on a yellow background', { colour: 'blue', shape: 'circle', background: 'yellow', position: 'left' }],
    ['a red square at the top on a green background', { colour: 'red', shape: 'square', background: 'green', position: 'top' }],
    ['a green triangle in the centre on a black background', { colour: 'green', shape: 'triangle', background: 'black', position: 'centre' }],
    ['a yellow square at the bottom on a blue background', { colour: 'yellow', shape: 'square', background: 'blue', position: 'bottom' }],
    ['a blue triangle on the right on a white background', { colour: 'blue', shape: 'triangle', background: 'white', position: 'right' }],
  ] as const;
  for (const [prompt, want] of cases) {
    test(`64: ${prompt}`, async () => {
      for (const seed of [1, 2]) {
        const got = await picture({ prompt, seed });
        assert.ok(got.meanSquaredError < 1e-3, `seed ${seed}: not a clean picture (mse ${got.meanSquaredError})`);
        for (const [attribute, value] of Object.entries(want)) assert.equal(got[attribute as keyof typeof want], value, `seed ${seed}: ${attribute}`);
      }
    });
  }
  for (const size of [256, 1024]) {
    test(`${size}: the picture holds after super-resolution`, async () => {
      const got = await picture({ prompt: 'a yellow circle on the right on a black background', size, seed: 4 });
      assert.deepEqual([got.colour, got.shape, got.position, got.background], ['yellow', 'circle', 'right', 'black']);
    });
  }

  test('words the model does not know are ignored', async () => {
    const plain = await pipeline.generate({ prompt: 'a red circle on a blue background', size: 64, seed: 9 });
    const noisy = await pipeline.generate({ prompt: 'a gorgeous red circle on a blue background, trending, 4k', size: 64, seed: 9 });
    assert.deepEqual(noisy.image.data, plain.image.data);
  });
});

describe('eDiff-I behaviours', () => {
  const routeOf = async (request: GenerateRequest) => {
    const events: ProgressEvent[] = [];
    await pipeline.generate(request, { onProgress: (e) => events.push(e) });
    return events.flatMap((e) => (e.type === 'evaluation' ? [e] : []));
  };

  test('every evaluation goes to the expert whose half-open sigma range holds it', async () => {
    const evaluations = await routeOf({ prompt: 'a red circle', size: 64, seed: 1, sampler: 'heun', steps: 25 });
    assert.equal(evaluations.length, 49);
    for (const e of evaluations) assert.equal(e.expert, e.sigma >= 10 ? 'high' : e.sigma >= 1 ? 'middle' : 'low', `sigma ${e.sigma}`);
    // Heun's corrector goes where its own sigma says: the step from sigma >= 10 to below 10 uses two experts.
    const sigmas = karrasSigmas(25, 0.002, 80, 7);
    const crossing = sigmas.findIndex((s) => s < 10) - 1;
    const ofStep = evaluations.filter((e) => e.step === crossing).map((e) => e.expert);
    assert.deepEqual(ofStep, ['high', 'middle']);
  });

  test('switching the prompt for the last 10% of steps changes nothing; switching from the start changes the picture (Figure 4)', async () => {
    const prompt = 'a red circle on a blue background';
    const other = 'a green square on a white background';
    const plain = await pipeline.generate({ prompt, size: 64, seed: 5 });
    const late = await pipeline.generate({ prompt, size: 64, seed: 5, promptSwitch: { prompt: other, atFraction: 0.9 } });
    const early = await pipeline.generate({ prompt, size: 64, seed: 5, promptSwitch: { prompt: other, atFraction: 0 } });
    assert.deepEqual(late.image.data, plain.image.data);
    const got = classify(early.image.data);
    assert.deepEqual([got.colour, got.shape, got.background], ['green', 'square', 'white']);
  });

  test('a style image pulls the background toward its dominant colour when the prompt names none', async () => {
    const yellow = await solidPng('#ffff00');
    const seeds = [1, 2, 3, 4];
    const styled = await Promise.all(seeds.map((seed) => picture({ prompt: 'a red circle', style: yellow, seed })));
    const plain = await Promise.all(seeds.map((seed) => picture({ prompt: 'a red circle', seed })));
    assert.deepEqual(styled.map((p) => p.background), ['yellow', 'yellow', 'yellow', 'yellow']);
    assert.ok(plain.some((p) => p.background !== 'yellow'), 'without the style image some backgrounds differ');
    const named = await Promise.all(seeds.map((seed) => picture({ prompt: 'a red circle on a blue background', style: yellow, seed })));
    assert.deepEqual(named.map((p) => p.background), ['blue', 'blue', 'blue', 'blue'], 'a background the prompt names wins');
  });

  test('a negative prompt pushes away from what it names', async () => {
    const seeds = [1, 2, 3, 4, 5, 6];
    const plain = await Promise.all(seeds.map((seed) => picture({ prompt: 'a circle', seed })));
    const negative = await Promise.all(seeds.map((seed) => picture({ prompt: 'a circle', negativePrompt: 'red', seed })));
    assert.ok(plain.some((p) => p.colour === 'red'), 'without the negative prompt some circles are red');
    assert.ok(negative.every((p) => p.colour !== 'red' && p.shape === 'circle'), JSON.stringify(negative));
  });

  test('paint-with-words: a mask for "circle" puts the circle where the mask is', async () => {
    const prompt = 'a red circle on a blue background';
    for (const half of ['left', 'right'] as const) {
      const mask = await halfMaskPng(half);
      for (const seed of [1, 2, 3]) {
        const got = await picture({ prompt, seed, paint: [{ phrase: 'circle', mask }] });
        assert.deepEqual([got.position, got.shape, got.colour, got.background], [half, 'circle', 'red', 'blue'], `seed ${seed}`);
      }
    }
  });
});

/**
 * How far an SR result is from the analytic anti-aliased render of its scene: the mean absolute
 * error per value, and the largest error outside a 2-pixel band around the object's edge.
 */
function fromRender(image: Float32Array, item: Item, size: number): { meanAbsolute: number; offEdge: number } {
  const want = render(item, size);
  const cover = objectCoverage(item, size);
  // The band: pixels within 2 (Chebyshev) of a partly covered one.
  const band = new Uint8Array(size * size);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const c = cover[y * size + x]!;
      if (c === 0 || c === 1) continue;
      for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) if (y + dy >= 0 && y + dy < size && x + dx >= 0 && x + dx < size) band[(y + dy) * size + x + dx] = 1;
    }
  let sum = 0;
  let offEdge = 0;
  for (let j = 0; j < want.length; j++) {
    const d = Math.abs(image[j]! - want[j]!);
    sum += d;
    if (!band[j % (size * size)]) offEdge = Math.max(offEdge, d);
  }
  return { meanAbsolute: sum / want.length, offEdge };
}

describe('super-resolution draws the scene at the stage\'s resolution', () => {
  const prompts = ['a red circle on a blue background', 'a green square on the right on a white background', 'a yellow triangle at the top on a black background'];
  for (const size of [256, 1024]) {
    test(`${size}: the analytic anti-aliased render of the scene, no speckles`, async () => {
      for (const prompt of prompts) {
        const result = await pipeline.generate({ prompt, size, seed: 1 });
        const item = classify(downsampleTo64(result.image.data, size));
        const { meanAbsolute, offEdge } = fromRender(result.image.data, item, size);
        // Measured: a mean of 6e-25 at most and 9e-19 off the edge: the stage's weights end one-hot
        // on the scene, which it draws exactly.
        assert.ok(meanAbsolute < 0.02, `${prompt}: mean absolute error ${meanAbsolute}`);
        assert.ok(offEdge <= 0.05, `${prompt}: an error of ${offEdge} off the edge`);
      }
    });
  }

  test('a circle painted on the left stays a smooth circle on the left at 1024', async () => {
    const result = await pipeline.generate({ prompt: 'a red circle on a blue background', size: 1024, seed: 2, paint: [{ phrase: 'circle', mask: await halfMaskPng('left') }] });
    const { meanAbsolute, offEdge } = fromRender(result.image.data, { shape: 'circle', colour: 'red', background: 'blue', position: 'left' }, 1024);
    assert.ok(meanAbsolute < 0.02 && offEdge <= 0.05, `mean absolute error ${meanAbsolute}, ${offEdge} off the edge`);
  });
});

describe('super-resolution cascade', () => {
  test('downsampling the 1024 result gives back the 64 result within a small tolerance', async () => {
    const request = { prompt: 'a yellow triangle on a black background', seed: 1 };
    const low = await pipeline.generate({ ...request, size: 64 });
    const high = await pipeline.generate({ ...request, size: 1024 });
    assert.deepEqual(high.stages.map((s) => s.stage), ['base', 'sr256', 'sr1024']);
    const down = downsampleTo64(high.image.data, 1024);
    let sum = 0;
    for (let j = 0; j < down.length; j++) sum += Math.abs(down[j]! - Math.max(-1, Math.min(1, low.image.data[j]!)));
    // Measured: 0.0005 (edge pixels differ: 64 and 1024 sample the edge differently; flat regions match exactly).
    assert.ok(sum / down.length < 0.01, `mean abs difference ${sum / down.length}`);
  });
});

describe('reproducibility', () => {
  test('same seed and options give a byte-identical PNG; another seed gives another picture', async () => {
    const request = { prompt: 'a green circle', size: 256, seed: 11 };
    const a = await encodePng((await pipeline.generate(request)).image);
    const b = await encodePng((await pipeline.generate(request)).image);
    const c = await encodePng((await pipeline.generate({ ...request, seed: 12 })).image);
    assert.ok(a.equals(b));
    assert.ok(!a.equals(c));
  });

  test('the pack build is byte-identical on every build', () => {
    const other = tempDir('rebuild');
    try {
      buildReferencePack(other.dir);
      const files = (dir: string): string[] =>
        readdirSync(dir).flatMap((name) => (statSync(path.join(dir, name)).isDirectory() ? files(path.join(dir, name)).map((f) => path.join(name, f)) : [name]));
      const list = files(pack.dir).sort();
      assert.deepEqual(files(other.dir).sort(), list);
      assert.ok(list.length >= 12);
      for (const f of list) assert.ok(readFileSync(path.join(pack.dir, f)).equals(readFileSync(path.join(other.dir, f))), f);
      assert.equal(loadPack(other.dir).hash, loadPack(pack.dir).hash);
    } finally {
      other.remove();
    }
  });
});
