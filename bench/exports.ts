/**
 * Benchmarks of the export path (bench/README.md, "Exports"): a float16 export beside its float32
 * twin (the UNet's file size, load time and cost per guided evaluation), a latent preview against
 * a VAE call, and an expert node's health-check latency while it runs a long model call.
 */
import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { ediffProtos, CHANNEL_OPTIONS } from '../common/grpc/proto.ts';
import { conditioningId, toWire } from '../common/grpc/tensor.ts';
import { loadPack, type Pack } from '../common/pack/load.ts';
import { previewImage } from '../common/pipeline/preview.ts';
import { DecoderModel } from '../common/runtime/decoder.ts';
import { ExpertModel } from '../common/runtime/expert.ts';
import { checkHealth } from '../coordinator/health.ts';
import { TEST_EXPORT_HIDDEN_SIZE } from '../packs/test-exports/build.ts';
import { startNodeProcess } from '../sdk/local-cluster.ts';
import { testExport } from '../test/helpers/exports.ts';
import { slowExpertOnnx, writeTinyPack } from '../test/helpers/tiny-pack.ts';
import { tempDir } from '../test/helpers/reference.ts';

const now = () => performance.now();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The latent side of the benchmarked exports (16 = 128x128 pixels), and their UNet: SD's first width and 16 residual 3x3 convolutions (15 M weights, 60 MB in float32). */
const LATENT = 16;
const UNET = { channels: 320, blocks: 16 };

/** Load time (median of 3) and median cost of a guided evaluation (2 rows) of an export's UNet. */
async function unetCost(pack: Pack): Promise<{ loadMs: number; evalMs: number }> {
  const spec = pack.manifest.base.experts[0]!;
  const loads: number[] = [];
  let expert: ExpertModel | null = null;
  for (let i = 0; i < 3; i++) {
    await expert?.release();
    const t0 = now();
    expert = await ExpertModel.load(pack, spec);
    loads.push(now() - t0);
  }
  const rows = 2;
  const batch = {
    x: { dims: [rows, 4, LATENT, LATENT], data: Float32Array.from({ length: rows * 4 * LATENT * LATENT }, (_, i) => Math.sin(i)) },
    sigma: [3, 3],
    inputs: { encoder_hidden_states: { dims: [rows, 77, TEST_EXPORT_HIDDEN_SIZE], data: Float32Array.from({ length: rows * 77 * TEST_EXPORT_HIDDEN_SIZE }, (_, i) => Math.cos(i)) } },
  };
  const evals: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t0 = now();
    await expert!.evaluate(batch);
    if (i >= 3) evals.push(now() - t0);
  }
  await expert!.release();
  return { loadMs: median(loads), evalMs: median(evals) };
}

async function precision() {
  const fp32 = testExport({ sampleSize: LATENT, timestep: 'float-batch', unet: UNET }, 'bench-fp32');
  const fp16 = testExport({ sampleSize: LATENT, timestep: 'float-batch', unet: UNET, precision: 'fp16' }, 'bench-fp16');
  try {
    const size = (dir: string) => ['model.onnx', 'model.onnx_data'].reduce((n, f) => n + statSync(path.join(dir, 'unet', f)).size, 0) / 1e6;
    const a = await unetCost(loadPack(fp32.dir));
    const b = await unetCost(loadPack(fp16.dir));
    return {
      export_fp32_unet_mb: size(fp32.dir),
      export_fp16_unet_mb: size(fp16.dir),
      export_fp32_load_ms: a.loadMs,
      export_fp16_load_ms: b.loadMs,
      export_fp32_eval_ms: a.evalMs,
      export_fp16_eval_ms: b.evalMs,
    };
  } finally {
    fp32.remove();
    fp16.remove();
  }
}

/** A preview by the linear latent -> RGB map against a decode of the same latents by the (tiny) VAE. */
async function previewCost() {
  const folder = testExport({ sampleSize: 64 }, 'bench-preview');
  try {
    const pack = loadPack(folder.dir);
    const dims = [4, 64, 64];
    const latents = Float32Array.from({ length: 4 * 64 * 64 }, (_, i) => Math.sin(i));
    const projections: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t0 = now();
      previewImage(pack.manifest, dims, latents);
      projections.push(now() - t0);
    }
    const decoder = await DecoderModel.load(pack, pack.manifest.decode!);
    const decodes: number[] = [];
    for (let i = 0; i < 12; i++) {
      const t0 = now();
      await decoder.decode({ dims, data: latents });
      if (i >= 2) decodes.push(now() - t0);
    }
    await decoder.release();
    return { latent_preview_ms: median(projections), tiny_vae_decode_ms: median(decodes) };
  } finally {
    folder.remove();
  }
}

/**
 * Health checks of an expert node, idle and while it runs a ~1 s model call (the model runs in
 * its session's worker thread, so the node's event loop stays free).
 */
async function healthDuringModelCall() {
  const work = tempDir('bench-health');
  writeTinyPack(work.dir);
  writeFileSync(path.join(work.dir, 'high.onnx'), slowExpertOnnx(8, 64));
  const node = await startNodeProcess('expert-node', ['--pack', work.dir, '--expert', 'high']);
  const client = new (ediffProtos().ExpertNode)(node.address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  const stream = client.Denoise();
  try {
    await new Promise<void>((resolve, reject) => client.PutConditioning({ id: conditioningId({}), tensors: {} }, (e) => (e ? reject(e) : resolve())));
    let answered = 0;
    stream.on('data', (m: { answers: unknown[] }) => (answered += m.answers.length));
    const evaluate = async () => {
      const before = answered;
      const t0 = now();
      stream.write({ evaluations: [{ id: before + 1, x: toWire({ dims: [3, 8, 8], data: new Float32Array(192) }), sigma: 2, condId: conditioningId({}), uncondId: '', guidance: 1 }] });
      const during: number[] = [];
      while (answered === before) {
        const h0 = now();
        if ((await checkHealth(node.address, 5000)) !== 'SERVING') throw new Error('the node stopped serving');
        if (answered === before) during.push(now() - h0);
        await sleep(50);
      }
      return { callMs: now() - t0, during };
    };
    await evaluate();
    const idle: number[] = [];
    for (let i = 0; i < 20; i++) {
      const h0 = now();
      await checkHealth(node.address, 5000);
      idle.push(now() - h0);
    }
    const runs = [await evaluate(), await evaluate(), await evaluate()];
    return {
      long_model_call_ms: median(runs.map((r) => r.callMs)),
      health_check_idle_ms: median(idle),
      health_check_during_model_call_ms: median(runs.flatMap((r) => r.during)),
      health_checks_during_model_call: runs.reduce((n, r) => n + r.during.length, 0),
    };
  } finally {
    stream.end();
    client.close();
    await node.stop();
    work.remove();
  }
}

export async function exportsBench(): Promise<Record<string, number>> {
  return { ...(await precision()), ...(await previewCost()), ...(await healthDuringModelCall()) };
}
