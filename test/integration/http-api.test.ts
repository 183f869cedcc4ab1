/**
 * The HTTP API (`--http-port`) through the official `openai` npm package, a client nobody here
 * wrote: images.generate with b64_json and with url gives the PNG the gRPC API gives for the same
 * seed; n images take seeds seed, seed + 1, ...; stream + partial_images sends OpenAI's
 * partial_image events from the steps' previews, then the completed image; bad input gets OpenAI-shaped errors with their
 * HTTP codes (400, 401, 404, 429); async jobs with their events as SSE resumed after
 * Last-Event-ID; /v1/models, /healthz, /readyz and the HTTP metrics.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { EdiffClient } from '../../sdk/client.ts';
import { startLocalCluster, type LocalCluster } from '../../sdk/local-cluster.ts';
import { metricSum } from '../helpers/cluster.ts';
import { tempDir } from '../helpers/reference.ts';
import { writeTinyPack } from '../helpers/tiny-pack.ts';

const TOKEN = 'http-test-token-0123456789';
/** Another tenant's, without a quota (the 429 test uses up alice's). */
const OTHER_TOKEN = 'http-test-token-bob-0123456789';

describe('the HTTP API: OpenAI images', () => {
  const pack = tempDir('http');
  let cluster: LocalCluster;
  let grpcClient: EdiffClient;
  let openai: OpenAI;
  let base: string;
  before(async () => {
    writeTinyPack(pack.dir);
    const tokens = path.join(pack.dir, 'tokens.json');
    writeFileSync(tokens, JSON.stringify({ tokens: [{ token: TOKEN, tenant: 'alice', jobs_per_minute: 40 }, { token: OTHER_TOKEN, tenant: 'bob' }] }));
    cluster = await startLocalCluster({ pack: pack.dir, coordinatorArgs: ['--http-port', '0', '--tokens', tokens, '--http-cors', 'https://app.example'] });
    base = `http://${cluster.coordinator.http}`;
    openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: TOKEN, maxRetries: 0 });
    grpcClient = new EdiffClient(cluster.address, { token: TOKEN });
  });
  after(async () => {
    grpcClient?.close();
    await cluster?.stop();
    pack.remove();
  });

  test('images.generate with b64_json and with url gives the PNG gRPC gives for the same seed; n images take the next seeds', async () => {
    const extra = { seed: 21, num_inference_steps: 5, negative_prompt: '' };
    const b64 = await openai.images.generate({ model: 'tiny', prompt: 'a cat', n: 2, response_format: 'b64_json', ...extra } as OpenAI.ImageGenerateParamsNonStreaming);
    assert.equal(b64.data?.length, 2);
    for (const [i, image] of (b64.data ?? []).entries()) {
      const direct = await grpcClient.generateImage({ prompt: 'a cat', seed: 21 + i, steps: 5 });
      assert.ok(Buffer.from(image.b64_json!, 'base64').equals(direct.png), `image ${i}: the PNG of seed ${21 + i}`);
    }
    assert.equal(b64.size, '8x8');
    const url = await openai.images.generate({ prompt: 'a cat', response_format: 'url', ...extra } as OpenAI.ImageGenerateParamsNonStreaming);
    const fetched = await fetch(url.data![0]!.url!);
    assert.equal(fetched.headers.get('content-type'), 'image/png');
    assert.ok(Buffer.from(await fetched.arrayBuffer()).equals(Buffer.from(b64.data![0]!.b64_json!, 'base64')), 'the url serves the same PNG');
    // ediff's own fields go through: per-expert guidance gives gRPC's image for the same.
    const guided = await openai.images.generate({ prompt: 'a cat', expert_guidance: { high: 2.5 }, ...extra } as OpenAI.ImageGenerateParamsNonStreaming);
    const guidedDirect = await grpcClient.generateImage({ prompt: 'a cat', seed: 21, steps: 5, expertGuidance: { high: 2.5 } });
    assert.ok(Buffer.from(guided.data![0]!.b64_json!, 'base64').equals(guidedDirect.png), 'expert_guidance as gRPC expertGuidance');
    const webp = await openai.images.generate({ prompt: 'a cat', output_format: 'webp', ...extra } as OpenAI.ImageGenerateParamsNonStreaming);
    assert.equal(Buffer.from(webp.data![0]!.b64_json!, 'base64').subarray(8, 12).toString(), 'WEBP');
  });

  test('stream: true with partial_images gives partial images from the steps, then the completed image gRPC gives', async () => {
    const stream = await openai.images.generate({ prompt: 'a cat', stream: true, partial_images: 2, seed: 44, num_inference_steps: 6 } as OpenAI.ImageGenerateParamsStreaming);
    const events: OpenAI.ImageGenStreamEvent[] = [];
    for await (const e of stream) events.push(e);
    assert.deepEqual(events.map((e) => e.type), ['image_generation.partial_image', 'image_generation.partial_image', 'image_generation.completed']);
    assert.deepEqual(events.slice(0, 2).map((e) => (e as OpenAI.ImageGenPartialImageEvent).partial_image_index), [0, 1]);
    const first = Buffer.from(events[0]!.b64_json, 'base64');
    assert.equal(first.subarray(1, 4).toString(), 'PNG', 'a partial image is a PNG');
    const direct = await grpcClient.generateImage({ prompt: 'a cat', seed: 44, steps: 6 });
    assert.ok(Buffer.from(events[2]!.b64_json, 'base64').equals(direct.png), 'the completed image is the PNG of the same seed');
    assert.ok(!first.equals(direct.png), 'a partial image is an earlier estimate');
  });

  test('async jobs: POST /v1/images/jobs, its state, its events as SSE resumed after Last-Event-ID, its content, DELETE', async () => {
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    /** The server-sent events of a job, [id, name, data] each, until the stream ends. */
    const events = async (id: string, lastEventId?: number) => {
      const response = await fetch(`${base}/v1/images/jobs/${id}/events`, { headers: { ...headers, ...(lastEventId !== undefined && { 'last-event-id': String(lastEventId) }) } });
      assert.equal(response.headers.get('content-type'), 'text/event-stream');
      return (await response.text())
        .split('\n\n')
        .filter(Boolean)
        .map((block) => {
          const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2) ?? '';
          return [Number(field('id')), field('event'), JSON.parse(field('data'))] as [number, string, Record<string, unknown>];
        });
    };
    const submit = (body: object, key?: string) => fetch(`${base}/v1/images/jobs`, { method: 'POST', headers: { ...headers, ...(key && { 'idempotency-key': key }) }, body: JSON.stringify(body) });
    const created = await submit({ prompt: 'a cat', seed: 33, num_inference_steps: 4 }, 'job-33');
    assert.equal(created.status, 202);
    const job = (await created.json()) as { id: string; object: string };
    assert.equal(job.object, 'image.job');
    const again = await submit({ prompt: 'a cat', seed: 33, num_inference_steps: 4 }, 'job-33');
    assert.deepEqual([again.status, ((await again.json()) as { id: string }).id], [200, job.id], 'the same Idempotency-Key: the same job');
    const all = await events(job.id);
    assert.deepEqual(all.map(([id]) => id), all.map((_, i) => i + 1));
    assert.deepEqual(all.slice(0, 2).map(([, name, data]) => [name, data.state]), [['state', 'queued'], ['state', 'running']]);
    assert.equal(all.filter(([, name]) => name === 'evaluation').length, 4);
    const [, lastName, last] = all.at(-1)!;
    assert.equal(lastName, 'result');
    const direct = await grpcClient.generateImage({ prompt: 'a cat', seed: 33, steps: 4 });
    assert.ok(Buffer.from(last.b64_json as string, 'base64').equals(direct.png));
    assert.deepEqual(await events(job.id, 3), all.slice(3), 'resumed after Last-Event-ID 3');
    const state = (await (await fetch(`${base}/v1/images/jobs/${job.id}`, { headers })).json()) as Record<string, unknown>;
    assert.deepEqual([state.state, state.evaluation, state.evaluations, state.steps, state.last_event_id], ['succeeded', 4, 4, 4, all.length]);
    const content = await fetch(`${base}/v1/images/jobs/${job.id}/content`, { headers });
    assert.ok(Buffer.from(await content.arrayBuffer()).equals(direct.png));
    // A long job, cancelled.
    const long = (await (await submit({ prompt: 'a cat', seed: 34, num_inference_steps: 1000 })).json()) as { id: string };
    assert.equal((await fetch(`${base}/v1/images/jobs/${long.id}/content`, { headers })).status, 409, 'no content before it succeeded');
    assert.equal((await fetch(`${base}/v1/images/jobs/${long.id}`, { method: 'DELETE', headers })).status, 200);
    const ended = await events(long.id);
    assert.deepEqual([ended.at(-1)![1], ended.at(-1)![2].state], ['state', 'cancelled']);
    assert.equal((await fetch(`${base}/v1/images/jobs/0b7a9c1e-0000-4000-8000-000000000000`, { headers })).status, 404);
  });

  test('bad input gets OpenAI-shaped errors with their HTTP codes', async () => {
    const expectError = async (work: Promise<unknown>, status: number, pattern: RegExp, param?: string) => {
      await assert.rejects(work, (e: unknown) => {
        assert.ok(e instanceof OpenAI.APIError, String(e));
        assert.equal(e.status, status);
        assert.match(e.message, pattern);
        if (param) assert.equal(e.param, param);
        return true;
      });
    };
    await expectError(openai.images.generate({ prompt: 'a cat', num_inference_steps: 100000 } as OpenAI.ImageGenerateParamsNonStreaming), 400, /^400 num_inference_steps: must be an integer/, 'num_inference_steps');
    await expectError(openai.images.generate({ prompt: 'a cat', size: 'big' }), 400, /size: must be WIDTHxHEIGHT/, 'size');
    await expectError(openai.images.generate({ prompt: 'a cat', n: 50 }), 400, /n: must be an integer in \[1, 10\]/, 'n');
    await expectError(openai.images.generate({ prompt: 'a cat', style_image: '%%%' } as OpenAI.ImageGenerateParamsNonStreaming), 400, /style_image: must be a base64 string/, 'style_image');
    await expectError(openai.images.generate({ prompt: 'a cat', paint: [{ phrase: 'cat', mask: 'AAAA' }] } as OpenAI.ImageGenerateParamsNonStreaming), 400, /paint: pack tiny does not support paint-with-words/, 'paint');
    await expectError(openai.images.generate({ model: 'dall-e-9', prompt: 'a cat' }), 404, /the model "dall-e-9" does not exist/);
    const stranger = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'not-a-token-at-all', maxRetries: 0 });
    await expectError(stranger.images.generate({ prompt: 'a cat' }), 401, /unknown token/);
    // Past the tenant's 40 jobs a minute: 429, with a retry-after header.
    const many = await Promise.allSettled(Array.from({ length: 8 }, () => openai.images.generate({ prompt: 'a cat', n: 10, num_inference_steps: 1 } as OpenAI.ImageGenerateParamsNonStreaming)));
    const limited = many.find((r) => r.status === 'rejected' && r.reason instanceof OpenAI.APIError && r.reason.status === 429);
    assert.ok(limited && limited.status === 'rejected', 'some were refused with 429');
    assert.match((limited.reason as InstanceType<typeof OpenAI.APIError>).message, /jobs in the last minute/);
    assert.ok(Number((limited.reason as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after')) >= 1, 'with a retry-after header');
  });

  test('GET /v1/models lists the pack; /healthz and /readyz answer; HTTP requests are counted', async () => {
    assert.deepEqual((await openai.models.list()).data.map((m) => m.id), ['tiny']);
    assert.deepEqual(await (await fetch(`${base}/healthz`)).json(), { status: 'ok' });
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    const notJson = await fetch(`${base}/v1/images/generations`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{"prompt": ' });
    assert.equal(notJson.status, 400);
    assert.match(((await notJson.json()) as { error: { message: string } }).error.message, /body: is not JSON/);
    const missing = await fetch(`${base}/v1/nothing`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { type: string } }).error.type, 'not_found_error');
    assert.ok((await metricSum(cluster.coordinator.metrics, 'ediff_http_requests_total', { route: '/v1/images/generations', code: '200' })) >= 3);
  });

  test("ediff's /v1/pipeline and /v1/cluster; the rest of GenerateRequest; preview_every on jobs; CORS only for the origins given", async () => {
    const headers = { authorization: `Bearer ${OTHER_TOKEN}` };
    const pipeline = (await (await fetch(`${base}/v1/pipeline`, { headers })).json()) as { pack: string; experts: { name: string; sigma_lo: number }[]; defaults: { sigma_max: number }; features: string[] };
    assert.equal(pipeline.pack, 'tiny');
    assert.deepEqual(pipeline.experts.map((e) => e.name), ['high', 'low']);
    assert.ok(pipeline.defaults.sigma_max > 0 && pipeline.features.includes('guidance-per-expert') && !pipeline.features.includes('paint-with-words'), 'snake_case keys, features');
    assert.equal((await fetch(`${base}/v1/pipeline`)).status, 401, 'the same token as the rest');
    const status = (await (await fetch(`${base}/v1/cluster`, { headers })).json()) as { nodes: { role: string; name: string; health: string }[] };
    assert.deepEqual(status.nodes.map((n) => [n.role, n.name, n.health]).sort(), [['encoder', 'encoder', 'SERVING'], ['expert', 'high', 'SERVING'], ['expert', 'low', 'SERVING']]);

    const submit = (body: object) => fetch(`${base}/v1/images/jobs`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const job = (await (await submit({ prompt: 'a cat', seed: 35, num_inference_steps: 4, preview_every: 2 })).json()) as { id: string };
    const events = await (await fetch(`${base}/v1/images/jobs/${job.id}/events`, { headers })).text();
    assert.equal(events.match(/^event: preview$/gm)?.length, 2, 'a preview every 2 of 4 steps');
    // The rest of GenerateRequest, in snake_case: the PNG gRPC gives for the same.
    const generations = (body: object) => fetch(`${base}/v1/images/generations`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const switched = (await (await generations({ prompt: 'a cat', seed: 36, num_inference_steps: 4, prompt_switch: { prompt: 'a dog', at_fraction: 0.5 }, priority: 'batch' })).json()) as { data: { b64_json: string }[] };
    const bob = new EdiffClient(cluster.address, { token: OTHER_TOKEN });
    const direct = await bob.generateImage({ prompt: 'a cat', seed: 36, steps: 4, promptSwitch: { prompt: 'a dog', atFraction: 0.5 } }).finally(() => bob.close());
    assert.ok(Buffer.from(switched.data[0]!.b64_json, 'base64').equals(direct.png), 'prompt_switch as gRPC promptSwitch');
    for (const [body, message] of [
      [{ priority: 'urgent' }, /^priority: must be one of interactive, batch/],
      [{ num_inference_steps: 'five' }, /^num_inference_steps: must be an integer/],
      [{ prompt_switch: 'a dog' }, /^prompt_switch: must be/],
    ] as const) {
      const refused = await generations({ prompt: 'a cat', ...body });
      assert.equal(refused.status, 400, JSON.stringify(body));
      assert.match(((await refused.json()) as { error: { message: string } }).error.message, message);
    }
    const bad = await submit({ prompt: 'a cat', preview_every: -1 });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: { message: string } }).error.message, /^preview_every: must be a whole number/);

    const preflight = (origin: string) => fetch(`${base}/v1/images/jobs`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
    const allowed = await preflight('https://app.example');
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.match(allowed.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.equal((await preflight('https://elsewhere.example')).headers.get('access-control-allow-origin'), null, 'an origin not given gets no CORS headers');
  });
});
