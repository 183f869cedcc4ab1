/**
 * Jobs resumed from a checkpoint (common/pipeline/job.ts): every checkpoint an uninterrupted job
 * saves, inside the base stage every k steps and at every boundary between phases (base, decode,
 * SR), resumes to the same image, bit for bit, for every sampler; the evaluation count carries on.
 * Each checkpoint goes through its byte form (checkpoint-codec.ts) first, as a durable job's does.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPack } from '../../common/pack/load.ts';
import type { GenerateRequest } from '../../common/pipeline/request.ts';
import type { JobCheckpoint } from '../../common/pipeline/job.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../../common/pipeline/checkpoint-codec.ts';
import { InProcessPipeline } from '../../common/runtime/in-process.ts';
import { testExport } from '../helpers/exports.ts';
import { builtReferencePack } from '../helpers/reference.ts';

const made: { remove: () => void }[] = [];
after(() => made.forEach((m) => m.remove()));

/** Runs `request` whole, saving checkpoints, then resumes from each: same image bytes, evaluations counted on. */
async function resumesExactly(pipeline: InProcessPipeline, request: GenerateRequest, every: number): Promise<JobCheckpoint[]> {
  const saved: JobCheckpoint[] = [];
  let evaluations = 0;
  const whole = await pipeline.generate(request, {
    checkpoints: {
      every,
      save: (c) => {
        const stored = decodeCheckpoint(encodeCheckpoint(c));
        assert.deepEqual(stored, structuredClone(c), 'a checkpoint reads back from its bytes as it was');
        saved.push(stored);
      },
    },
    onProgress: (e) => e.type === 'evaluation' && (evaluations = e.evaluation),
  });
  for (const c of saved) {
    let last = 0;
    const resumed = await pipeline.generate(request, { resume: c, onProgress: (e) => e.type === 'evaluation' && (last = e.evaluation) });
    const at = `${request.sampler} from phase ${c.phase}${c.sampler ? ` step ${c.sampler.step}` : ''}`;
    assert.deepEqual(Buffer.from(resumed.image.data.buffer), Buffer.from(whole.image.data.buffer), at);
    assert.equal(resumed.seed, whole.seed);
    if (last > 0) assert.equal(last, evaluations, `${at}: the evaluations count on`);
  }
  return saved;
}

test('the reference pack, base + SR 256: every sampler resumes from every checkpoint to the same bits', async () => {
  const folder = builtReferencePack();
  made.push(folder);
  const pipeline = await InProcessPipeline.load(loadPack(folder.dir));
  try {
    for (const sampler of ['euler', 'heun', 'dpmpp-2m', 'euler-a']) {
      const saved = await resumesExactly(pipeline, { prompt: 'a red circle on a blue background', seed: 3, steps: 6, sampler, size: 256 }, 2);
      assert.deepEqual(saved.map((c) => [c.phase, c.sampler?.step ?? null]), [[0, 2], [0, 4], [1, null]], sampler);
    }
  } finally {
    await pipeline.release();
  }
});

test('a latent pack (base, decode): checkpoints inside the base stage and before the decode stage resume to the same bits', async () => {
  const folder = testExport();
  made.push(folder);
  const pipeline = await InProcessPipeline.load(loadPack(folder.dir));
  try {
    const saved = await resumesExactly(pipeline, { prompt: 'a photo of a cat', negativePrompt: 'blurry', seed: 9, steps: 5, sampler: 'dpmpp-2m', width: 64, height: 96 }, 1);
    assert.deepEqual(saved.map((c) => c.phase), [0, 0, 0, 0, 1]);
    assert.deepEqual(saved.at(-1)!.image!.dims, [4, 12, 8], 'the latents the decode stage takes');
  } finally {
    await pipeline.release();
  }
});
