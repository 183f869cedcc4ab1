/**
 * SDXL's base and refiner as two experts on their own replica pools (`--pack BASE --refiner
 * REFINER`), through tiny random-weight exports in SDXL's layout: every evaluation routed by its
 * sigma (the base at or above the boundary, the refiner below), the same PNG as in one process
 * byte for byte (micro-conditioning and per-expert guidance included), SDXL's sizes end to end.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { SDXL_SIZES } from '../../common/pack/export.ts';
import { encodePng } from '../../common/image.ts';
import { loadPack, type Pack } from '../../common/pack/load.ts';
import { InProcessPipeline } from '../../common/runtime/in-process.ts';
import { EdiffClient, EdiffError, type GenerateEvent, type GenerateRequest } from '../../sdk/client.ts';
import { startLocalCluster, type LocalCluster } from '../../sdk/local-cluster.ts';
import { sdxlExports } from '../helpers/exports.ts';

describe('SDXL base + refiner on a cluster: two replicas of the base, one of the refiner', () => {
  let folders: ReturnType<typeof sdxlExports>;
  let pack: Pack;
  let cluster: LocalCluster;
  let client: EdiffClient;
  let local: InProcessPipeline;
  before(async () => {
    // SDXL's own sample_size (128): the default image is 1024x1024 and the buckets are recommended.
    folders = sdxlExports({ sampleSize: 128 });
    pack = loadPack({ dir: folders.base, refiner: folders.refiner });
    [cluster, local] = await Promise.all([startLocalCluster({ pack: pack.location, replicas: 2 }), InProcessPipeline.load(pack)]);
    client = new EdiffClient(cluster.address);
  });
  after(async () => {
    client?.close();
    await local?.release();
    await cluster?.stop();
    folders?.remove();
  });

  const generate = async (request: GenerateRequest) => {
    const all: GenerateEvent[] = [];
    for await (const e of client.generate(request)) all.push(e);
    const result = all.at(-1)!;
    assert.equal(result.type, 'result');
    return { evaluations: all.flatMap((e) => (e.type === 'evaluation' ? [e] : [])), result: result as Extract<GenerateEvent, { type: 'result' }> };
  };

  test('evaluations with sigma >= the boundary run on base replicas, the others on the refiner; the PNG is the in-process one', async () => {
    const request: GenerateRequest = { prompt: 'a photo of a cat', seed: 4, steps: 10, sampler: 'dpmpp-2m', width: 64, height: 96 };
    const { evaluations, result } = await generate(request);
    const boundary = pack.manifest.base.experts[0]!.sigma_lo;
    const replicas = (name: string) => cluster.nodes.filter((n) => n.role === 'expert-node' && n.name === name).map((n) => n.address);
    for (const e of evaluations) {
      const expert = e.sigma >= boundary ? 'base' : 'refiner';
      assert.equal(e.expert, expert, `sigma ${e.sigma}`);
      assert.ok(replicas(expert).includes(e.replica), `${e.replica} is a ${expert} replica`);
    }
    assert.ok(evaluations.some((e) => e.expert === 'base') && evaluations.some((e) => e.expert === 'refiner'));
    assert.deepEqual(result.stages.map((s) => s.stage), ['base', 'decode']);
    const expected = await local.generate(request);
    assert.ok(result.png.equals(await encodePng(expected.image)), 'the same PNG as in process');
  });

  test('micro-conditioning, aesthetic scores, a negative prompt, per-expert guidance and the timesteps schedule reach the experts as in process', async () => {
    const base: GenerateRequest = { prompt: 'a photo of a cat', seed: 9, steps: 6, sampler: 'euler', width: 64, height: 64 };
    const variants: GenerateRequest[] = [
      { ...base, originalWidth: 2048, originalHeight: 1536, cropTop: 64, cropLeft: 0 },
      { ...base, aestheticScore: 8, negativeAestheticScore: 1 },
      { ...base, negativePrompt: 'blurry', expertGuidance: { base: 8, refiner: 2 } },
      { ...base, sigmaSchedule: 'timesteps' },
    ];
    const pngs = new Set<string>();
    for (const request of variants) {
      const cluster = (await client.generateImage(request)).png;
      assert.ok(cluster.equals(await encodePng((await local.generate(request)).image)), JSON.stringify(request));
      pngs.add(cluster.toString('base64'));
    }
    assert.equal(pngs.size, variants.length, 'each field changes the image');
  });

  test("SDXL's aspect-ratio buckets work end to end: 832x1216 is the in-process image; DescribePipeline recommends the buckets", async () => {
    const d = await client.describePipeline();
    assert.deepEqual(d.recommendedSizes.map((s) => [s.width, s.height]), SDXL_SIZES);
    assert.deepEqual(d.experts.map((e) => [e.name, e.guidance]), [['base', 5], ['refiner', 5]]);
    assert.ok(d.features.includes('micro-conditioning') && d.features.includes('aesthetic-score'));
    assert.deepEqual([d.latent?.defaultWidth, d.latent?.defaultHeight], [1024, 1024]);
    const request: GenerateRequest = { prompt: 'a lighthouse', seed: 1, steps: 2, sampler: 'euler', width: 832, height: 1216 };
    const result = await client.generateImage(request);
    const meta = await sharp(result.png).metadata();
    assert.deepEqual([meta.width, meta.height], [832, 1216]);
    assert.ok(result.png.equals(await encodePng((await local.generate(request)).image)));
  });

  test('a request the pack cannot take is refused naming the field', async () => {
    await assert.rejects(client.generateImage({ prompt: 'x', expertGuidance: { unet: 3 }, width: 64, height: 64 }), (e: unknown) => e instanceof EdiffError && /^INVALID_ARGUMENT: expert_guidance\.unet: .* has no base expert unet \(it has base, refiner\)/.test(e.message));
  });
});
