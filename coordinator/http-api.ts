/**
 * The coordinator's HTTP API (`--http-port`), with fastify: OpenAI's images API over the same
 * jobs, tokens and tenants as gRPC.
 *
 *   POST /v1/images/generations   OpenAI-compatible (b64_json or url; stream + partial_images
 *                                 as server-sent events); ediff's fields beside
 *                                 OpenAI's: negative_prompt, seed, num_inference_steps,
 *                                 guidance_scale, sampler (as vLLM-Omni and SGLang name them),
 *                                 and the rest of GenerateRequest in snake_case
 *   GET  /v1/images/files/:name   an image answered as a url, kept an hour
 *   /v1/images/jobs...            async jobs on the job API (http-jobs.ts)
 *   GET  /v1/models               the served pack
 *   GET  /v1/pipeline             ediff's: the pack's stages, experts, defaults and features
 *                                 (DescribePipeline, with snake_case keys)
 *   GET  /v1/cluster              ediff's: the nodes, their health and load (GetClusterStatus)
 *   GET  /healthz, /readyz
 *   GET  /                        the web UI (web-ui.ts)
 *
 * Errors have OpenAI's shape, {"error": {"message", "type", "param", "code"}}, with the HTTP code
 * of their gRPC status (400, 401, 403, 404, 429 with retry-after, 503, ...): http-errors.ts.
 * Request bodies become pipeline requests in http-body.ts.
 */
import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Registry } from 'prom-client';
import sharp from 'sharp';
import { InvalidArgumentError, NotFoundError } from '../common/errors.ts';
import type { GenerateCall } from '../common/grpc/generate-request.ts';
import type { ClusterStatus } from '../common/grpc/generated/ediff/v1/ClusterStatus.ts';
import type { GenerateResult as WireResult } from '../common/grpc/generated/ediff/v1/GenerateResult.ts';
import type { PipelineDescription } from '../common/grpc/generated/ediff/v1/PipelineDescription.ts';
import { Status } from '../common/grpc/status.ts';
import { LATENCY_BUCKETS, prom } from '../common/metrics.ts';
import type { PackManifest } from '../common/pack/manifest.ts';
import { resolveRequest } from '../common/pipeline/request.ts';
import type { Tenant } from './auth.ts';
import { checkedBody, randomSeed, requestOf, type GenerationBody } from './http-body.ts';
import { eventStream, sendError } from './http-errors.ts';
import { registerJobRoutes } from './http-jobs.ts';
import type { JobApi } from './job-api.ts';
import type { JobStore } from './job-store.ts';
import { registerWebUi } from './web-ui.ts';

export interface HttpApiOptions {
  manifest: PackManifest;
  store: JobStore;
  authenticate: (authorization: string | undefined) => Tenant;
  registry: Registry;
  /** False while the coordinator drains: /readyz answers 503. */
  ready: () => boolean;
  /** The job API (this process's jobs, or durable ones with NATS), for /v1/images/jobs. */
  api: JobApi;
  /** Serve HTTPS with this certificate and key (PEM), as the gRPC API does with --tls-cert. */
  tls: { cert: Buffer; key: Buffer } | null;
  /** The pack's description, as DescribePipeline answers it. */
  pipeline: PipelineDescription;
  /** The cluster's nodes, as GetClusterStatus answers them. */
  cluster: () => Promise<ClusterStatus>;
  /** Origins whose pages may call the API (`*`: any); none = CORS off. */
  corsOrigins: string[];
}

/** How long an image answered as a url stays fetchable, and how many bytes of them are kept. */
const URL_TTL_MS = 3600_000;
const URL_MAX_BYTES = 256 * 1024 * 1024;
const MAX_IMAGES = 10;
/** OpenAI's limit on partial images of a streamed request. */
const MAX_PARTIAL_IMAGES = 3;
const OUTPUT_FORMATS = ['png', 'jpeg', 'webp'] as const;
type OutputFormat = (typeof OUTPUT_FORMATS)[number];
const CONTENT_TYPES: Record<OutputFormat, string> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' };

/** Images answered as urls, by file name, oldest first. */
class ImageFiles {
  private readonly files = new Map<string, { bytes: Buffer; type: string; expires: number }>();
  private bytes = 0;

  add(bytes: Buffer, format: OutputFormat): string {
    const name = `${randomUUID()}.${format === 'jpeg' ? 'jpg' : format}`;
    this.files.set(name, { bytes, type: CONTENT_TYPES[format], expires: Date.now() + URL_TTL_MS });
    this.bytes += bytes.length;
    this.expire();
    return name;
  }

  get(name: string): { bytes: Buffer; type: string } | undefined {
    this.expire();
    return this.files.get(name);
  }

  private expire(): void {
    const now = Date.now();
    for (const [name, file] of this.files) {
      if (file.expires > now && this.bytes <= URL_MAX_BYTES) break;
      this.files.delete(name);
      this.bytes -= file.bytes.length;
    }
  }
}

/**
 * Runs one request as a job of the store (as Generate does) and resolves with its result, with
 * its previews to `onPreview` when `previewEvery` > 0; aborting `signal` cancels it.
 */
async function generate(store: JobStore, request: GenerateCall, tenant: Tenant, signal: AbortSignal, previewEvery = 0, onPreview: (png: Uint8Array) => void = () => {}): Promise<WireResult> {
  signal.throwIfAborted();
  // Only previews and the result are answered: no event per evaluation.
  const { job } = store.submit({ ...request, progress: 'none', previewEvery }, '', tenant);
  return new Promise<WireResult>((resolve, reject) => {
    const stop = store.watch(
      job,
      0,
      (e) => {
        if (e.preview) onPreview(e.preview.png as Uint8Array);
        else if (e.result) resolve(e.result);
        else if (e.state?.state === 'JOB_STATE_FAILED') reject(Object.assign(new Error(e.state.message), { code: e.state.code, details: e.state.message }));
        else if (e.state?.state === 'JOB_STATE_CANCELLED') reject(Object.assign(new Error('the job was cancelled'), { code: Status.CANCELLED, details: 'the job was cancelled' }));
      },
      () => {},
    );
    signal.addEventListener(
      'abort',
      () => {
        stop();
        store.cancel(job);
      },
      { once: true },
    );
  });
}

const encodeAs = async (png: Uint8Array, format: OutputFormat): Promise<Buffer> => (format === 'png' ? Buffer.from(png) : sharp(png).toFormat(format).toBuffer());

/** An object with its keys (and its values' keys) in snake_case, as the HTTP API writes them. */
function snakeCase(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeCase);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), snakeCase(v)]));
}

export async function startHttpApi(host: string, port: number, o: HttpApiOptions): Promise<{ app: FastifyInstance; address: string }> {
  const bodyLimit = 64 * 1024 * 1024;
  const app = (o.tls ? Fastify({ https: o.tls, bodyLimit }) : Fastify({ bodyLimit })) as unknown as FastifyInstance;
  // JSON bodies, where an empty one (a DELETE sent with a JSON content type) is no body.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
    if (text === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text as string));
    } catch (error) {
      done(Object.assign(new InvalidArgumentError('body', `is not JSON: ${(error as Error).message}`), { statusCode: 400 }));
    }
  });
  const files = new ImageFiles();
  const requests = new prom.Counter({ name: 'ediff_http_requests_total', help: 'HTTP requests by route and status code.', labelNames: ['route', 'code'], registers: [o.registry] });
  const seconds = new prom.Histogram({ name: 'ediff_http_request_seconds', help: 'Wall time of HTTP requests, by route.', labelNames: ['route'], buckets: LATENCY_BUCKETS, registers: [o.registry] });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unknown';
    requests.inc({ route, code: String(reply.statusCode) });
    seconds.observe({ route }, reply.elapsedTime / 1000);
  });
  app.setErrorHandler((error, _request, reply) => {
    // fastify's own (a body that is not JSON, one too large): the client's to fix.
    const statusCode = (error as { statusCode?: number }).statusCode;
    if (statusCode && statusCode < 500) return reply.code(statusCode).send({ error: { message: (error as Error).message, type: 'invalid_request_error', param: null, code: null } });
    return sendError(reply, error);
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, new NotFoundError(`no route ${request.method} ${request.url}; see the README's HTTP API`)));

  if (o.corsOrigins.length > 0) await app.register(cors, { origin: o.corsOrigins.includes('*') ? true : o.corsOrigins, methods: ['GET', 'POST', 'DELETE'], exposedHeaders: ['retry-after'] });
  registerWebUi(app);

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => (o.ready() ? { status: 'ready' } : reply.code(503).send({ status: 'draining' })));

  app.get('/v1/models', async (request, reply) => {
    try {
      o.authenticate(request.headers.authorization);
      return { object: 'list', data: [{ id: o.manifest.name, object: 'model', created: 0, owned_by: 'ediff' }] };
    } catch (error) {
      return sendError(reply, error);
    }
  });

  app.get('/v1/pipeline', async (request, reply) => {
    try {
      o.authenticate(request.headers.authorization);
      return snakeCase(o.pipeline);
    } catch (error) {
      return sendError(reply, error);
    }
  });

  app.get('/v1/cluster', async (request, reply) => {
    try {
      o.authenticate(request.headers.authorization);
      return snakeCase(await o.cluster());
    } catch (error) {
      return sendError(reply, error);
    }
  });

  app.get<{ Params: { name: string } }>('/v1/images/files/:name', async (request, reply) => {
    const file = files.get(request.params.name);
    if (!file) return sendError(reply, new NotFoundError(`no image ${request.params.name} (images answered as urls are kept an hour)`));
    return reply.type(file.type).send(file.bytes);
  });

  app.post<{ Body: GenerationBody }>('/v1/images/generations', async (request, reply) => {
    const abort = new AbortController();
    reply.raw.on('close', () => reply.raw.writableFinished || abort.abort());
    try {
      const tenant = o.authenticate(request.headers.authorization);
      const body = checkedBody(request.body, o.manifest);
      const n = body.n ?? 1;
      if (!(Number.isInteger(n) && n >= 1 && n <= MAX_IMAGES)) throw new InvalidArgumentError('n', `must be an integer in [1, ${MAX_IMAGES}], got ${JSON.stringify(body.n)}`);
      const format = (body.output_format ?? 'png') as OutputFormat;
      if (!OUTPUT_FORMATS.includes(format)) throw new InvalidArgumentError('output_format', `must be one of ${OUTPUT_FORMATS.join(', ')}, got ${JSON.stringify(body.output_format)}`);
      const responseFormat = body.response_format ?? 'b64_json';
      if (responseFormat !== 'b64_json' && responseFormat !== 'url') throw new InvalidArgumentError('response_format', `must be b64_json or url, got ${JSON.stringify(body.response_format)}`);
      const seed = body.seed ?? randomSeed();
      if (body.stream) return await streamGeneration(reply, requestOf(body, o.manifest, seed), body, format, tenant, abort.signal);
      // Each image a job of its own, with the next seed: image i is what gRPC gives for seed + i.
      const requestsOfN = Array.from({ length: n }, (_, i) => requestOf(body, o.manifest, seed + i));
      // One that fails (a quota reached halfway) cancels the others.
      const results = await Promise.all(requestsOfN.map((r) => generate(o.store, r, tenant, abort.signal))).catch((error) => {
        abort.abort();
        throw error;
      });
      const images = await Promise.all(results.map((r) => encodeAs(r.png as Uint8Array, format)));
      const base = `${request.protocol}://${request.host}`;
      return {
        created: Math.floor(Date.now() / 1000),
        data: images.map((bytes) => (responseFormat === 'url' ? { url: `${base}/v1/images/files/${files.add(bytes, format)}` } : { b64_json: bytes.toString('base64') })),
        output_format: format,
        size: `${results[0]!.width}x${results[0]!.height}`,
      };
    } catch (error) {
      if (reply.raw.destroyed) return reply;
      return sendError(reply, error);
    }
  });

  /**
   * `stream: true`: OpenAI's server-sent events, `image_generation.partial_image` for up to
   * `partial_images` (0-3) of the job's step previews (the base stage's denoised estimate, spread
   * over its steps), then `image_generation.completed` with the image.
   */
  async function streamGeneration(reply: FastifyReply, request: GenerateCall, body: GenerationBody, format: OutputFormat, tenant: Tenant, signal: AbortSignal): Promise<FastifyReply> {
    if ((body.n ?? 1) !== 1) throw new InvalidArgumentError('n', 'a streamed request makes one image');
    const partials = body.partial_images ?? 0;
    if (!(Number.isInteger(partials) && partials >= 0 && partials <= MAX_PARTIAL_IMAGES)) throw new InvalidArgumentError('partial_images', `must be an integer in [0, ${MAX_PARTIAL_IMAGES}], got ${JSON.stringify(body.partial_images)}`);
    const { steps } = resolveRequest(o.manifest, request);
    const every = partials > 0 ? Math.max(1, Math.floor(steps / (partials + 1))) : 0;
    const stream = eventStream(reply);
    const send = (event: string, data: object) => stream.send(event, { type: event, ...data });
    const common = () => ({ created_at: Math.floor(Date.now() / 1000), output_format: format, background: 'opaque', quality: 'auto' });
    // Previews are encoded in order, each before the next event goes out.
    let previews = Promise.resolve();
    let sent = 0;
    try {
      const result = await generate(o.store, request, tenant, signal, every, (png) => {
        if (sent >= partials) return;
        const index = sent++;
        previews = previews.then(async () => void send('image_generation.partial_image', { ...common(), b64_json: (await encodeAs(png, format)).toString('base64'), partial_image_index: index, size: 'auto' }));
      });
      await previews;
      const image = await encodeAs(result.png as Uint8Array, format);
      send('image_generation.completed', { ...common(), b64_json: image.toString('base64'), size: `${result.width}x${result.height}`, usage: { input_tokens: 0, input_tokens_details: { image_tokens: 0, text_tokens: 0 }, output_tokens: 0, total_tokens: 0 } });
    } catch (error) {
      stream.fail(error);
    }
    reply.raw.end();
    return reply;
  }

  registerJobRoutes(app, o);

  const address = await app.listen({ host, port });
  return { app, address: new URL(address).host };
}
