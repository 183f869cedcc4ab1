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
 *   POST /v1/images/jobs          an async job of one image (the job API; `Idempotency-Key`
 *                                 makes a retry return the same job) -> 202 and the job
 *   GET  /v1/images/jobs/:id      its state, step k of N, stage, expert, queue position
 *   GET  /v1/images/jobs/:id/content   its PNG, once it succeeded
 *   GET  /v1/images/jobs/:id/events    its events as server-sent events, resumed after
 *                                 `Last-Event-ID` (or ?after=N)
 *   DELETE /v1/images/jobs/:id    cancels it
 *   GET  /v1/models               the served pack
 *   GET  /v1/pipeline             ediff's: the pack's stages, experts, defaults and features
 *                                 (DescribePipeline, with snake_case keys)
 *   GET  /v1/cluster              ediff's: the nodes, their health and load (GetClusterStatus)
 *   GET  /healthz, /readyz
 *   GET  /                        the web UI (web-ui.ts)
 *
 * Errors have OpenAI's shape, {"error": {"message", "type", "param", "code"}}, with the HTTP code
 * of their gRPC status (400, 401, 403, 404, 429 with retry-after, 503, ...).
 */
import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Registry } from 'prom-client';
import sharp from 'sharp';
import { InvalidArgumentError, NotFoundError, ResourceExhaustedError } from '../common/errors.ts';
import type { GenerateCall } from '../common/grpc/generate-request.ts';
import type { GenerateResult as WireResult } from '../common/grpc/generated/ediff/v1/GenerateResult.ts';
import { Status, toServiceError } from '../common/grpc/status.ts';
import { LATENCY_BUCKETS, prom } from '../common/metrics.ts';
import type { PackManifest } from '../common/pack/manifest.ts';
import { MAX_SEED } from '../common/rng.ts';
import { resolveRequest } from '../common/pipeline/request.ts';
import type { Tenant } from './auth.ts';
import type { JobStore } from './job-store.ts';
import type { JobApi } from './job-api.ts';
import type { Job } from '../common/grpc/generated/ediff/v1/Job.ts';
import type { JobEvent } from '../common/grpc/generated/ediff/v1/JobEvent.ts';
import type { ClusterStatus } from '../common/grpc/generated/ediff/v1/ClusterStatus.ts';
import type { PipelineDescription } from '../common/grpc/generated/ediff/v1/PipelineDescription.ts';
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

/** HTTP codes and OpenAI error types of gRPC statuses. */
const HTTP_STATUS: Partial<Record<number, [number, string]>> = {
  [Status.INVALID_ARGUMENT]: [400, 'invalid_request_error'],
  [Status.FAILED_PRECONDITION]: [400, 'invalid_request_error'],
  [Status.UNAUTHENTICATED]: [401, 'authentication_error'],
  [Status.PERMISSION_DENIED]: [403, 'permission_error'],
  [Status.NOT_FOUND]: [404, 'not_found_error'],
  [Status.RESOURCE_EXHAUSTED]: [429, 'rate_limit_error'],
  [Status.CANCELLED]: [499, 'cancelled'],
  [Status.UNAVAILABLE]: [503, 'service_unavailable'],
  [Status.DEADLINE_EXCEEDED]: [504, 'timeout'],
};

/** The body of POST /v1/images/generations, as far as ediff reads it. */
interface GenerationBody {
  model?: string | null;
  prompt?: unknown;
  n?: number | null;
  size?: string | null;
  response_format?: string | null;
  output_format?: string | null;
  stream?: boolean | null;
  partial_images?: number | null;
  user?: string;
  negative_prompt?: string;
  seed?: number;
  num_inference_steps?: number;
  guidance_scale?: number;
  sampler?: string;
  /** ediff's own: guidance per base expert by name, a style image and paint regions (base64 PNG / JPEG / WebP). */
  expert_guidance?: Record<string, number>;
  style_image?: string;
  paint?: { phrase: string; mask: string }[];
  paint_weight?: number;
  sigma_schedule?: string;
  /** eDiff-I's prompt switching: this prompt once `at_fraction` of the base steps has run. */
  prompt_switch?: { prompt: string; at_fraction: number };
  /** interactive (the default) or batch: queued interactive jobs start first. */
  priority?: string;
  /** SDXL's micro-conditioning. */
  original_width?: number;
  original_height?: number;
  crop_top?: number;
  crop_left?: number;
  aesthetic_score?: number;
  negative_aesthetic_score?: number;
  /** Async jobs: a preview event every k base steps (0 = none). */
  preview_every?: number;
}

/** The body's fields that are the request's under another name (snake_case), passed as they are. */
const SAME_FIELDS = {
  negative_prompt: 'negativePrompt',
  num_inference_steps: 'steps',
  guidance_scale: 'guidance',
  sampler: 'sampler',
  expert_guidance: 'expertGuidance',
  paint_weight: 'paintWeight',
  sigma_schedule: 'sigmaSchedule',
  priority: 'priority',
  original_width: 'originalWidth',
  original_height: 'originalHeight',
  crop_top: 'cropTop',
  crop_left: 'cropLeft',
  aesthetic_score: 'aestheticScore',
  negative_aesthetic_score: 'negativeAestheticScore',
} as const satisfies Partial<Record<keyof GenerationBody, keyof GenerateCall>>;

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

/** A base64 field's bytes. */
function base64Field(field: string, value: unknown): Uint8Array {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw new InvalidArgumentError(field, 'must be a base64 string (of a PNG, JPEG or WebP image)');
  return Buffer.from(value, 'base64');
}

/** The body of an image request, if it is one and names the served model (or none). */
function checkedBody(body: unknown, manifest: PackManifest): GenerationBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidArgumentError('body', 'must be a JSON object');
  const b = body as GenerationBody;
  if (b.model && b.model !== manifest.name) throw new NotFoundError(`the model ${JSON.stringify(b.model)} does not exist; this server serves ${JSON.stringify(manifest.name)} (GET /v1/models)`);
  return b;
}

/** The pipeline request an OpenAI-style body asks for (image `index` of n: seed + index). */
function requestOf(body: GenerationBody, manifest: PackManifest, seed: number): GenerateCall {
  if (typeof body.prompt !== 'string') throw new InvalidArgumentError('prompt', 'is required (a string)');
  const request: GenerateCall = { prompt: body.prompt, seed };
  // Their types and ranges are checked by resolveRequest below, as gRPC's are.
  for (const [field, key] of Object.entries(SAME_FIELDS)) if (body[field as keyof GenerationBody] !== undefined) Object.assign(request, { [key]: body[field as keyof GenerationBody] });
  if (body.prompt_switch !== undefined) {
    const ps = body.prompt_switch;
    if (typeof ps !== 'object' || ps === null) throw new InvalidArgumentError('prompt_switch', 'must be {"prompt": "...", "at_fraction": 0.5}');
    request.promptSwitch = { prompt: ps.prompt, atFraction: ps.at_fraction };
  }
  if (body.style_image !== undefined) request.style = base64Field('style_image', body.style_image);
  if (body.paint !== undefined) {
    if (!Array.isArray(body.paint)) throw new InvalidArgumentError('paint', 'must be a list of {"phrase", "mask"} (mask: a base64 PNG)');
    request.paint = body.paint.map((p, i) => ({ phrase: String(p?.phrase ?? ''), mask: base64Field(`paint[${i}].mask`, p?.mask) }));
  }
  if (body.size && body.size !== 'auto') {
    const m = /^(\d+)x(\d+)$/.exec(body.size);
    if (!m) throw new InvalidArgumentError('size', `must be WIDTHxHEIGHT (e.g. 64x64) or auto, got ${JSON.stringify(body.size)}`);
    const [width, height] = [Number(m[1]), Number(m[2])];
    if (manifest.decode) Object.assign(request, { width, height });
    else if (width === height) request.size = width;
    else throw new InvalidArgumentError('size', `pack ${manifest.name} makes square images only, got ${body.size}`);
  }
  // Bad input is refused before any job starts.
  resolveRequest(manifest, request);
  return request;
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

const stateName = (s: string | number | undefined) => String(s).replace('JOB_STATE_', '').toLowerCase();

/** A job as the HTTP API shows it. */
const jobJson = (j: Job) => ({
  id: j.id,
  object: 'image.job',
  state: stateName(j.state),
  queue_position: j.queuePosition,
  stage: j.stage,
  step: j.step,
  steps: j.steps,
  expert: j.expert,
  evaluation: j.evaluation,
  evaluations: j.evaluations,
  ...(j.errorCode !== 0 && { error: { code: Status[j.errorCode ?? 0]?.toLowerCase() ?? null, message: j.errorMessage } }),
  ...(j.result && { result: { seed: j.result.seed, width: j.result.width, height: j.result.height, warnings: j.result.warnings } }),
  created_at: Math.floor(Number(j.submittedMs) / 1000),
  finished_at: j.finishedMs ? Math.floor(Number(j.finishedMs) / 1000) : null,
  last_event_id: Number(j.lastSeq),
});

/** A job's event as a server-sent event: its name and data. */
function eventJson(e: JobEvent): [string, object] {
  if (e.evaluation) return ['evaluation', e.evaluation];
  if (e.preview) return ['preview', { stage: e.preview.stage, step: e.preview.step, b64_json: Buffer.from(e.preview.png as Uint8Array).toString('base64') }];
  if (e.result) return ['result', { seed: e.result.seed, width: e.result.width, height: e.result.height, b64_json: Buffer.from(e.result.png as Uint8Array).toString('base64') }];
  const st = e.state!;
  return ['state', { state: stateName(st.state), code: st.code ? (Status[st.code]?.toLowerCase() ?? null) : null, message: st.message, queue_position: st.queuePosition }];
}

/** The request's fields whose HTTP names differ from gRPC's (which errors name). */
const HTTP_FIELD_NAMES: Record<string, string> = { steps: 'num_inference_steps', guidance: 'guidance_scale' };

function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  const status = toServiceError(error);
  const [http, type] = HTTP_STATUS[status.code] ?? [500, 'server_error'];
  if (error instanceof ResourceExhaustedError) void reply.header('retry-after', String(error.retryAfterSeconds));
  let message = status.details;
  let param: string | null = null;
  if (error instanceof InvalidArgumentError) {
    param = HTTP_FIELD_NAMES[error.field] ?? error.field;
    if (param !== error.field) message = `${param}${message.slice(error.field.length)}`;
  }
  return reply.code(http).send({ error: { message, type, param, code: Status[status.code]?.toLowerCase() ?? null } });
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
      const seed = body.seed ?? Math.floor(Math.random() * (MAX_SEED + 1));
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
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (event: string, data: object) => reply.raw.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
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
      const status = toServiceError(error);
      reply.raw.write(`event: error\ndata: ${JSON.stringify({ error: { message: status.details, type: (HTTP_STATUS[status.code] ?? [500, 'server_error'])[1], param: null, code: Status[status.code]?.toLowerCase() ?? null } })}\n\n`);
    }
    reply.raw.end();
    return reply;
  }

  app.post<{ Body: GenerationBody }>('/v1/images/jobs', async (request, reply) => {
    try {
      const tenant = o.authenticate(request.headers.authorization);
      const body = checkedBody(request.body, o.manifest);
      if ((body.n ?? 1) !== 1) throw new InvalidArgumentError('n', 'a job makes one image; submit one job per image');
      const key = request.headers['idempotency-key'];
      const job = requestOf(body, o.manifest, body.seed ?? Math.floor(Math.random() * (MAX_SEED + 1)));
      if (body.preview_every !== undefined) {
        if (!(Number.isInteger(body.preview_every) && body.preview_every >= 0)) throw new InvalidArgumentError('preview_every', `must be a whole number of steps (0 = no previews), got ${JSON.stringify(body.preview_every)}`);
        job.previewEvery = body.preview_every;
      }
      const { id, existing } = await o.api.submit(job, typeof key === 'string' ? key : '', tenant);
      return reply.code(existing ? 200 : 202).send(jobJson(await o.api.get(id, tenant)));
    } catch (error) {
      return sendError(reply, error);
    }
  });

  app.get<{ Params: { id: string } }>('/v1/images/jobs/:id', async (request, reply) => {
    try {
      return jobJson(await o.api.get(request.params.id, o.authenticate(request.headers.authorization)));
    } catch (error) {
      return sendError(reply, error);
    }
  });

  app.delete<{ Params: { id: string } }>('/v1/images/jobs/:id', async (request, reply) => {
    try {
      return jobJson(await o.api.cancel(request.params.id, o.authenticate(request.headers.authorization)));
    } catch (error) {
      return sendError(reply, error);
    }
  });

  app.get<{ Params: { id: string } }>('/v1/images/jobs/:id/content', async (request, reply) => {
    try {
      const job = await o.api.get(request.params.id, o.authenticate(request.headers.authorization));
      if (!job.result) return reply.code(409).send({ error: { message: `job ${job.id} is ${stateName(job.state)}: its image is there once it succeeded`, type: 'invalid_request_error', param: null, code: 'not_ready' } });
      return reply.type('image/png').send(Buffer.from(job.result.png as Uint8Array));
    } catch (error) {
      return sendError(reply, error);
    }
  });

  app.get<{ Params: { id: string }; Querystring: { after?: string } }>('/v1/images/jobs/:id/events', async (request, reply) => {
    let tenant: Tenant;
    const after = Number(request.headers['last-event-id'] ?? request.query.after ?? 0);
    try {
      tenant = o.authenticate(request.headers.authorization);
      if (!(Number.isInteger(after) && after >= 0)) throw new InvalidArgumentError('Last-Event-ID', `must be an event number, got ${JSON.stringify(request.headers['last-event-id'] ?? request.query.after)}`);
      await o.api.get(request.params.id, tenant);
    } catch (error) {
      return sendError(reply, error);
    }
    const stopped = new AbortController();
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    reply.raw.on('close', () => stopped.abort());
    const write = (e: JobEvent) => {
      const [name, data] = eventJson(e);
      reply.raw.write(`id: ${e.seq}\nevent: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    try {
      await o.api.watch(request.params.id, after, tenant, write, stopped.signal);
    } catch (error) {
      const status = toServiceError(error);
      reply.raw.write(`event: error\ndata: ${JSON.stringify({ message: status.details, code: Status[status.code]?.toLowerCase() ?? null })}\n\n`);
    }
    reply.raw.end();
  });

  const address = await app.listen({ host, port });
  return { app, address: new URL(address).host };
}
