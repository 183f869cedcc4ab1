import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessPipeline } from '../../common/runtime/in-process.ts';
import { halfMaskPng, solidPng } from '../helpers/reference.ts';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';

let t: TestCluster;
let local: InProcessPipeline;

before(async () => {
  t = await startTestCluster('tiny-unet');
  local = await InProcessPipeline.load(t.pack);
});
after(async () => {
  await local?.release();
  await t?.stop();
});

for (const sampler of ['euler', 'heun', 'dpmpp-2m', 'euler-a']) {
  test(`tiny-unet, ${sampler}: the cluster computes the same tensor as one process`, async () => {
    const request = {
      prompt: 'a red circle on a blue background',
      negativePrompt: 'green',
      sampler,
      steps: 8,
      seed: 77,
      style: await solidPng('#00ff00'),
      paint: [{ phrase: 'circle', mask: await halfMaskPng('right') }],
      promptSwitch: { prompt: 'a yellow square', atFraction: 0.5 },
    };
    const result = await t.client.generateImage(request);
    const expected = await local.generate(request);
    assert.deepEqual([result.width, result.height], [64, 64]);
    assert.deepEqual(result.image.data, expected.image.data);
  });
}
