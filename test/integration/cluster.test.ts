import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { encodePng } from '../../common/image.ts';
import { InProcessPipeline } from '../../common/runtime/in-process.ts';
import { Status } from '../../common/grpc/status.ts';
import * as grpc from '@grpc/grpc-js';
import { PROTO_DIR, ediffProtos } from '../../common/grpc/proto.ts';
import { EdiffClient, EdiffError, type GenerateEvent, type GenerateRequest } from '../../sdk/client.ts';
import { classify, halfMaskPng, solidPng, tempDir } from '../helpers/reference.ts';
import { metricSum, startTestCluster, type TestCluster } from '../helpers/cluster.ts';
import { startNodeProcess } from '../../sdk/local-cluster.ts';

const run = promisify(execFile);
let t: TestCluster;
let local: InProcessPipeline;

before(async () => {
  t = await startTestCluster('reference');
  local = await InProcessPipeline.load(t.pack);
});
after(async () => {
  await local?.release();
  await t?.stop();
});

async function collect(request: GenerateRequest, signal?: AbortSignal) {
  const events: GenerateEvent[] = [];
  for await (const e of t.client.generate(request, signal ? { signal } : {})) events.push(e);
  const result = events.at(-1);
  assert.equal(result?.type, 'result');
  return { events, result: result as Extract<GenerateEvent, { type: 'result' }> };
}

const nodeOf = (role: string, name: string) => t.cluster.nodes.find((n) => n.role === role && n.name === name)!;

describe('distributed == in-process', () => {
  for (const sampler of ['euler', 'heun', 'dpmpp-2m', 'euler-a']) {
    test(`${sampler}: identical tensors at 64`, async () => {
      const request = { prompt: 'a green triangle on a black background', negativePrompt: 'red', sampler, steps: 12, size: 64, seed: 21 };
      const { result } = await collect(request);
      const expected = await local.generate(request);
      assert.deepEqual(result.image.data, expected.image.data);
      assert.equal(result.seed, 21);
    });
  }

  for (const size of [256, 1024]) {
    test(`byte-identical PNG at ${size}, with style and paint-with-words`, async () => {
      const request = { prompt: 'a red circle on a blue background', size, seed: 1, style: await solidPng('#ffff00'), paint: [{ phrase: 'circle', mask: await halfMaskPng('left') }] };
      const { result } = await collect(request);
      const expected = await local.generate(request);
      assert.ok(result.png.equals(await encodePng(expected.image)));
      assert.deepEqual(result.stages.map((s) => s.stage), size === 256 ? ['base', 'sr256'] : ['base', 'sr256', 'sr1024']);
    });
  }

  test('a client-given noise tensor replaces the seed for the base stage', async () => {
    const noise = { dims: [3, 64, 64], data: Float32Array.from({ length: 3 * 4096 }, (_, i) => Math.sin(i * 1.7) * 1.3) };
    const request = { prompt: 'a yellow square on a white background', size: 64, seed: 3, noise };
    const { result } = await collect(request);
    assert.deepEqual(result.image.data, (await local.generate(request)).image.data);
    const got = classify(result.image.data);
    assert.deepEqual([got.colour, got.shape, got.background], ['yellow', 'square', 'white']);
  });
});

test('many jobs at once: each gets its own image', async () => {
  const requests = ['a red circle', 'a green square', 'a blue triangle', 'a yellow circle on a black background', 'a circle on the left'].map((prompt, i) => ({
    prompt,
    size: 64,
    seed: 100 + i,
    steps: 15,
  }));
  const results = await Promise.all(requests.map((r) => collect(r)));
  for (const [i, r] of requests.entries()) assert.deepEqual(results[i]!.result.image.data, (await local.generate(r)).image.data, r.prompt);
});

test('one client connection carries thousands of jobs', async () => {
  // The SDK once cancelled each call after its result; Node's HTTP/2 server counts such late
  // cancels as invalid frames and closed the connection after ~1166 jobs.
  const jobs = 1500;
  const okBefore = await metricSum(t.cluster.coordinator.metrics, 'ediff_jobs_total', { outcome: 'ok' });
  const seeds: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < jobs) {
        const seed = next++;
        const result = await t.client.generateImage({ prompt: 'a red circle', size: 64, seed, steps: 1, sampler: 'euler' });
        assert.equal(result.seed, seed);
        assert.deepEqual(result.image.dims, [3, 64, 64]);
        seeds.push(seed);
      }
    }),
  );
  // Every job came back on the one connection (a GOAWAY would have failed the calls after it).
  assert.deepEqual(seeds.sort((a, b) => a - b), Array.from({ length: jobs }, (_, i) => i));
  assert.equal(await metricSum(t.cluster.coordinator.metrics, 'ediff_jobs_total', { outcome: 'ok' }), okBefore + jobs);
});

test('a second coordinator, configured by a nodes file, serves the same nodes side by side', async () => {
  const work = tempDir('nodes-file');
  const byName = (role: string) => Object.fromEntries(t.cluster.nodes.filter((n) => n.role === role).map((n) => [n.name, n.address]));
  const file = path.join(work.dir, 'nodes.json');
  writeFileSync(file, JSON.stringify({ encoder: nodeOf('encoder-node', 'encoder').address, experts: byName('expert-node'), sr: byName('sr-node') }));
  const second = await startNodeProcess('coordinator', ['--pack', t.pack.dir, '--nodes', file]);
  const client = new EdiffClient(second.address);
  try {
    const request = { prompt: 'a green circle on a white background', size: 256, seed: 6 };
    const [a, b] = await Promise.all([client.generateImage(request), collect(request)]);
    assert.ok(a.png.equals(b.result.png));
  } finally {
    client.close();
    await second.stop();
    work.remove();
  }
});

test('every evaluation is routed to the node of the expert whose sigma range holds it', async () => {
  const { events } = await collect({ prompt: 'a red circle', size: 256, seed: 2, steps: 20, sampler: 'heun' });
  const evaluations = events.flatMap((e) => (e.type === 'evaluation' ? [e] : []));
  assert.equal(evaluations.length, 2 * 20 - 1 + 8);
  assert.deepEqual(evaluations.map((e) => e.evaluation), evaluations.map((_, i) => i + 1));
  for (const e of evaluations) {
    assert.equal(e.evaluations, evaluations.length);
    if (e.stage === 'base') {
      const expert = e.sigma >= 10 ? 'high' : e.sigma >= 1 ? 'middle' : 'low';
      assert.equal(e.expert, expert, `sigma ${e.sigma}`);
      assert.equal(e.replica, nodeOf('expert-node', expert).address);
    } else {
      assert.equal(e.stage, 'sr256');
      assert.equal(e.expert, e.sigma >= 1 ? 'sr256-high' : 'sr256-low', `sr sigma ${e.sigma}`);
      assert.equal(e.replica, nodeOf('sr-node', 'sr256').address);
    }
  }
  // Sigmas fall along the sampler's schedule: high, then middle, then low.
  const order = [...new Set(evaluations.filter((e) => e.stage === 'base').map((e) => e.expert))];
  assert.deepEqual(order, ['high', 'middle', 'low']);
});

test('previews arrive every k steps as PNGs of the base size', async () => {
  const { events } = await collect({ prompt: 'a blue circle', size: 64, seed: 4, steps: 10, sampler: 'euler', previewEvery: 5 } as GenerateRequest);
  const previews = events.flatMap((e) => (e.type === 'preview' ? [e] : []));
  assert.deepEqual(previews.map((p) => p.step), [4, 9]);
  const meta = await sharp(previews[0]!.png).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height], ['png', 64, 64]);
});

test("progress 'none' sends no evaluation events, still previews and the result; the metrics still count", async () => {
  const routed = () => metricSum(t.cluster.coordinator.metrics, 'ediff_routed_evaluations_total');
  const before = await routed();
  const { events } = await collect({ prompt: 'a blue circle', size: 64, seed: 4, steps: 10, sampler: 'euler', previewEvery: 5, progress: 'none' });
  assert.deepEqual(events.map((e) => e.type), ['preview', 'preview', 'result']);
  assert.equal((await routed()) - before, 10);
  // A progress value the coordinator does not know is refused, naming the field.
  const raw = new (ediffProtos().Coordinator)(t.cluster.address, grpc.credentials.createInsecure());
  try {
    const call = raw.Generate({ prompt: 'a blue circle', size: 64, progress: 7 as unknown as 'PROGRESS_NONE' });
    await assert.rejects(
      new Promise((resolve, reject) => {
        call.on('data', () => {});
        call.on('error', reject);
        call.on('end', resolve);
      }),
      (error: grpc.ServiceError) => error.code === grpc.status.INVALID_ARGUMENT && /^progress: must be PROGRESS_EVALUATIONS or PROGRESS_NONE, got 7/.test(error.details),
    );
  } finally {
    raw.close();
  }
});

test('a job that repeats a prompt takes its encoding from the coordinator\'s cache, and its image is unchanged', async () => {
  const lookups = (result: string) => metricSum(t.cluster.coordinator.metrics, 'ediff_encoding_cache_lookups_total', { result });
  const request = { prompt: 'a green triangle on a red background', size: 64, seed: 11, steps: 6, sampler: 'euler' };
  const first = await t.client.generateImage(request);
  const hits = await lookups('hit');
  const misses = await lookups('miss');
  const second = await t.client.generateImage(request);
  assert.equal((await lookups('hit')) - hits, 2, 'the prompt and the shared negative prompt');
  assert.equal(await lookups('miss'), misses);
  assert.deepEqual(second.image.data, first.image.data);
  assert.deepEqual((await local.generate(request)).image.data, first.image.data);
});

test('DescribePipeline and GetClusterStatus tell what the cluster serves', async () => {
  const d = await t.client.describePipeline();
  assert.equal(d.pack, 'reference');
  assert.equal(d.packHash, t.pack.hash);
  assert.deepEqual(d.experts.map((e) => [e.name, e.sigmaLo, e.sigmaHi ?? null]), [['high', 10, null], ['middle', 1, 10], ['low', 0, 1]]);
  assert.deepEqual(d.sizes, [64, 256, 1024]);
  assert.deepEqual(d.superResolution.map((s) => s.name), ['sr256', 'sr1024']);
  assert.deepEqual(d.samplers, ['euler', 'heun', 'dpmpp-2m', 'euler-a']);
  const status = await t.client.clusterStatus();
  assert.equal(status.coordinator, t.cluster.address);
  assert.deepEqual(status.nodes.map((n) => `${n.role}:${n.name}:${n.health}`), [
    'encoder:encoder:SERVING', 'expert:high:SERVING', 'expert:middle:SERVING', 'expert:low:SERVING', 'sr:sr256:SERVING', 'sr:sr1024:SERVING',
  ]);
  assert.ok(status.nodes.every((n) => n.address.startsWith('127.0.0.1:')));
});

/** A black PNG of w x h pixels (compresses to almost nothing). */
const blankPng = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: '#000' } }).png().toBuffer();

test('bad requests get INVALID_ARGUMENT naming the field', async () => {
  const base = { prompt: 'a red circle', size: 64 };
  const big = await blankPng(2048, 2048);
  const nan = { dims: [3, 64, 64], data: new Float32Array(3 * 4096) };
  nan.data[5] = NaN;
  const cases: [Partial<GenerateRequest>, RegExp][] = [
    [{ sampler: 'nope' }, /^sampler: unknown sampler "nope"/],
    [{ steps: 0 }, /^steps: must be an integer in \[1, 1000\], got 0/],
    [{ steps: 100000 }, /^steps: must be an integer in \[1, 1000\], got 100000/],
    [{ size: 100 }, /^size: 100 is not a size this pack makes/],
    [{ style: Buffer.from('not an image') }, /^style_image: cannot read the image/],
    [{ prompt: 'x'.repeat(100 * 1024) }, /^prompt: is 102400 characters long; the limit is 4096/],
    [{ noise: nan }, /^noise: value 5 is NaN/],
    [{ noise: { dims: [3, 8, 8], data: new Float32Array(192) } }, /^noise: must have shape \[3,64,64\]/],
    [{ paint: [{ phrase: 'square', mask: await halfMaskPng('left') }] }, /^paint\[0\]\.phrase: "square" is not in the prompt/],
    [{ paint: [{ phrase: 'circle', mask: Buffer.from('nope') }] }, /^paint\[0\]\.mask: cannot read the image/],
    // Hostile sizes: many regions, a huge mask, huge masks in all.
    [{ paint: Array.from({ length: 5000 }, () => ({ phrase: 'circle', mask: Buffer.alloc(1) })) }, /^paint: has 5000 regions; the limit is 32$/],
    [{ paint: [{ phrase: 'circle', mask: await blankPng(5000, 5000) }] }, /^paint\[0\]\.mask: is 25000000 pixels; the limit is 16777216 \(4096x4096\)$/],
    [{ paint: Array.from({ length: 17 }, () => ({ phrase: 'circle', mask: big })) }, /^paint: masks of 71303168 pixels in all; the limit is 67108864/],
    [{ style: await blankPng(4097, 4096) }, /^style_image: is 16781312 pixels; the limit is 16777216/],
  ];
  for (const [change, message] of cases) {
    await assert.rejects(collect({ ...base, ...change }), (error: unknown) => {
      assert.ok(error instanceof EdiffError, String(error));
      assert.equal(error.codeName, 'INVALID_ARGUMENT', error.message);
      assert.match(error.details, message);
      return true;
    });
  }
});

test('the Python client (python3-grpcio, protoc --python_out) calls Generate and gets the image', async () => {
  const work = tempDir('python');
  try {
    const generated = path.join(work.dir, 'generated');
    mkdirSync(generated);
    await run('protoc', [`-I${PROTO_DIR}`, `--python_out=${generated}`, 'ediff/v1/types.proto', 'ediff/v1/coordinator.proto']);
    const out = path.join(work.dir, 'py.png');
    const script = new URL('../python/generate_client.py', import.meta.url).pathname;
    const { stdout } = await run('/usr/bin/python3', [script, generated, t.cluster.address, 'a red circle on a blue background', '64', '1', out]);
    const seen = JSON.parse(stdout);
    assert.deepEqual({ ...seen, bad_request: seen.bad_request.code }, {
      evaluations: 49, experts: ['high', 'low', 'middle'], seed: 1, size: 64, shape: [3, 64, 64], stages: ['base'], bad_request: 'INVALID_ARGUMENT',
    });
    assert.match(seen.bad_request.details, /^sampler: unknown sampler "nope"/);
    const expected = await encodePng((await local.generate({ prompt: 'a red circle on a blue background', size: 64, seed: 1 })).image);
    assert.ok(readFileSync(out).equals(expected), 'the same PNG as in process');
  } finally {
    work.remove();
  }
});

test('metrics move after a job, and ours pass promtool check metrics', async () => {
  const coordinator = t.cluster.coordinator.metrics;
  const high = nodeOf('expert-node', 'high').metrics;
  const jobsBefore = await metricSum(coordinator, 'ediff_jobs_total', { outcome: 'ok' });
  const evalsBefore = await metricSum(high, 'ediff_expert_evaluations_total');
  await collect({ prompt: 'a red circle', size: 256, seed: 8, steps: 10 });
  assert.equal(await metricSum(coordinator, 'ediff_jobs_total', { outcome: 'ok' }), jobsBefore + 1);
  assert.ok((await metricSum(coordinator, 'ediff_routed_evaluations_total', { expert: 'high' })) > 0);
  assert.ok((await metricSum(high, 'ediff_expert_evaluations_total')) > evalsBefore);
  assert.ok((await metricSum(high, 'ediff_expert_compute_seconds_count')) > 0);
  assert.ok((await metricSum(nodeOf('sr-node', 'sr256').metrics, 'ediff_sr_evaluations_total')) > 0);
  assert.ok((await metricSum(nodeOf('encoder-node', 'encoder').metrics, 'ediff_encoder_cache_lookups_total')) > 0);
  const work = tempDir('promtool');
  try {
    for (const p of [t.cluster.coordinator, ...t.cluster.nodes]) {
      const text = await (await fetch(`http://${p.metrics}/metrics`)).text();
      // Only our families: prom-client's default Node metrics do not pass promtool's lint.
      const ours = text.split('\n').filter((l) => /^(# (HELP|TYPE) )?ediff_/.test(l)).join('\n') + '\n';
      assert.ok(ours.includes('ediff_'), `${p.role} serves ediff_ metrics`);
      const file = path.join(work.dir, `${p.role}-${p.name}.prom`);
      writeFileSync(file, ours);
      const { stdout, stderr } = await run('sh', ['-c', `promtool check metrics < ${file}`]).catch((e) => e);
      assert.equal((stdout + stderr).trim(), '', `promtool on ${p.role} ${p.name}`);
    }
  } finally {
    work.remove();
  }
});

test('cancelling a Generate stops the work on the nodes', async () => {
  const experts = t.cluster.nodes.filter((n) => n.role === 'expert-node');
  const evaluations = async () => (await Promise.all(experts.map((n) => metricSum(n.metrics, 'ediff_expert_evaluations_total')))).reduce((a, b) => a + b, 0);
  const cancelledBefore = await metricSum(t.cluster.coordinator.metrics, 'ediff_jobs_total', { outcome: 'cancelled' });
  const before = await evaluations();
  const abort = new AbortController();
  let seen = 0;
  await assert.rejects(
    (async () => {
      for await (const e of t.client.generate({ prompt: 'a red circle', size: 64, steps: 1000, seed: 5 }, { signal: abort.signal })) {
        if (e.type === 'evaluation' && ++seen === 20) abort.abort(Object.assign(new Error('enough'), { name: 'AbortError' }));
      }
    })(),
    /enough/,
  );
  await new Promise((r) => setTimeout(r, 500));
  const afterCancel = await evaluations();
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await evaluations(), afterCancel, 'no evaluations after the cancel settled');
  assert.ok(afterCancel - before < 100, `the 1999-evaluation job stopped early (${afterCancel - before} evaluations ran)`);
  assert.equal(await metricSum(t.cluster.coordinator.metrics, 'ediff_jobs_total', { outcome: 'cancelled' }), cancelledBefore + 1);
});

test('the SDK example runs against the cluster', async () => {
  const work = tempDir('sdk-example');
  try {
    const out = path.join(work.dir, 'example.png');
    const example = new URL('../../sdk/examples/generate.ts', import.meta.url).pathname;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', example, t.cluster.address, 'a blue square on a yellow background', out]);
    assert.match(stdout, /^pack reference: experts high \[10, inf\), middle \[1, 10\), low \[0, 1\)$/m);
    assert.match(stdout, /^10\/57 base sigma [\d.]+ -> \w+ at 127\.0\.0\.1:\d+$/m);
    assert.match(stdout, /^wrote .*example\.png: 256x256, seed 1, base \d+ ms, sr256 \d+ ms$/m);
    assert.equal((await sharp(out).metadata()).width, 256);
  } finally {
    work.remove();
  }
});

test('a client deadline stops the job with DEADLINE_EXCEEDED', async () => {
  const client = new EdiffClient(t.cluster.address, { generateTimeoutMs: 300 });
  try {
    await assert.rejects(client.generateImage({ prompt: 'a red circle', size: 64, steps: 1000 }), (e: unknown) => e instanceof EdiffError && e.codeName === 'DEADLINE_EXCEEDED');
  } finally {
    client.close();
  }
});

test('a killed node gives UNAVAILABLE naming it, within the deadline', async () => {
  const middle = nodeOf('expert-node', 'middle');
  await middle.stop('SIGKILL');
  const started = Date.now();
  await assert.rejects(collect({ prompt: 'a red circle', size: 64, seed: 1, steps: 10 }), (error: unknown) => {
    assert.ok(error instanceof EdiffError, String(error));
    assert.equal(error.code, Status.UNAVAILABLE, error.message);
    assert.match(error.details, new RegExp(`expert middle at ${middle.address.replace(/\./g, '\\.')} is unavailable`));
    return true;
  });
  assert.ok(Date.now() - started < 10_000, `answered in ${Date.now() - started} ms`);
  const status = await t.client.clusterStatus();
  assert.equal(status.nodes.find((n) => n.name === 'middle')?.health, 'UNREACHABLE');
});
