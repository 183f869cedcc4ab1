/**
 * The HTTP API's async jobs, on the job API (durable with --nats):
 *   POST /v1/images/jobs          one image (`Idempotency-Key` makes a retry return the same job) -> 202 and the job
 *   GET  /v1/images/jobs/:id      its state, step k of N, stage, expert, queue position
 *   GET  /v1/images/jobs/:id/content   its PNG, once it succeeded
 *   GET  /v1/images/jobs/:id/events    its events as server-sent events, resumed after
 *                                 `Last-Event-ID` (or ?after=N)
 *   DELETE /v1/images/jobs/:id    cancels it
 */
import type { FastifyInstance } from 'fastify';
import { InvalidArgumentError } from '../common/errors.ts';
import type { Job } from '../common/grpc/generated/ediff/v1/Job.ts';
import type { JobEvent } from '../common/grpc/generated/ediff/v1/JobEvent.ts';
import { Status } from '../common/grpc/status.ts';
import type { PackManifest } from '../common/pack/manifest.ts';
import type { Tenant } from './auth.ts';
import { checkedBody, randomSeed, requestOf, type GenerationBody } from './http-body.ts';
import { eventStream, sendError } from './http-errors.ts';
import type { JobApi } from './job-api.ts';

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

export function registerJobRoutes(app: FastifyInstance, o: { manifest: PackManifest; api: JobApi; authenticate: (authorization: string | undefined) => Tenant }): void {
  app.post<{ Body: GenerationBody }>('/v1/images/jobs', async (request, reply) => {
    try {
      const tenant = o.authenticate(request.headers.authorization);
      const body = checkedBody(request.body, o.manifest);
      if ((body.n ?? 1) !== 1) throw new InvalidArgumentError('n', 'a job makes one image; submit one job per image');
      const key = request.headers['idempotency-key'];
      const job = requestOf(body, o.manifest, body.seed ?? randomSeed());
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
    const stream = eventStream(reply);
    reply.raw.on('close', () => stopped.abort());
    try {
      await o.api.watch(request.params.id, after, tenant, (e) => stream.send(...eventJson(e), Number(e.seq)), stopped.signal);
    } catch (error) {
      stream.fail(error);
    }
    reply.raw.end();
  });
}
