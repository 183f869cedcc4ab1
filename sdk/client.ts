/**
 * The ediff client SDK.
 *
 * ```ts
 * import { EdiffClient } from 'ediff/sdk/client.ts';
 * import { writeFileSync } from 'node:fs';
 *
 * const client = new EdiffClient('127.0.0.1:50051');
 * for await (const event of client.generate({ prompt: 'a red circle on a blue background', size: 64, seed: 1 })) {
 *   if (event.type === 'evaluation') console.log(`${event.evaluation}/${event.evaluations} sigma ${event.sigma} on ${event.expert}`);
 *   if (event.type === 'result') writeFileSync('out.png', event.png);
 * }
 * client.close();
 * ```
 *
 * `generate` accepts an AbortSignal: aborting cancels the call, and the coordinator stops the job
 * on its nodes. Failures are EdiffErrors carrying the gRPC status (INVALID_ARGUMENT names the field).
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { channelCredentials } from '../common/grpc/tls.ts';
import type { ClusterStatus__Output } from '../common/grpc/generated/ediff/v1/ClusterStatus.ts';
import type { CoordinatorClient } from '../common/grpc/generated/ediff/v1/Coordinator.ts';
import type { GenerateEvent__Output } from '../common/grpc/generated/ediff/v1/GenerateEvent.ts';
import type { Job__Output } from '../common/grpc/generated/ediff/v1/Job.ts';
import type { JobEvent__Output } from '../common/grpc/generated/ediff/v1/JobEvent.ts';
import type { PipelineDescription__Output } from '../common/grpc/generated/ediff/v1/PipelineDescription.ts';
import { generateRequestToWire, type GenerateCall } from '../common/grpc/generate-request.ts';
import { CHANNEL_OPTIONS, ediffProtos } from '../common/grpc/proto.ts';
import { statusName } from '../common/grpc/status.ts';
import { fromWire } from '../common/grpc/tensor.ts';
import type { StageTiming } from '../common/pipeline/job.ts';
import type { Tensor } from '../common/tensor.ts';

export type { GenerateCall as GenerateRequest } from '../common/grpc/generate-request.ts';

export type GenerateEvent =
  | { type: 'evaluation'; stage: string; step: number; steps: number; sigma: number; expert: string; replica: string; evaluation: number; evaluations: number }
  | { type: 'preview'; stage: string; step: number; png: Buffer }
  | { type: 'result'; png: Buffer; image: Tensor; seed: number; width: number; height: number; stages: StageTiming[]; warnings: string[] };

/** A failed call: the gRPC status and the coordinator's message. */
export class EdiffError extends Error {
  override readonly name = 'EdiffError';
  constructor(
    readonly code: grpc.status,
    readonly details: string,
    options?: { cause?: unknown },
    /** RESOURCE_EXHAUSTED: seconds after which the coordinator expects to admit a retry. */
    readonly retryAfterSeconds?: number,
  ) {
    super(`${statusName(code)}: ${details}`, options);
  }

  get codeName(): string {
    return statusName(this.code);
  }
}

export interface ClientOptions {
  /** Deadline of a Generate call. @default none */
  generateTimeoutMs?: number;
  /** Deadline of the other calls. @default 10000 */
  callTimeoutMs?: number;
  /** Connect over TLS, trusting this CA (a PEM file's path or its bytes). @default plaintext */
  ca?: string | Buffer;
  /** The bearer token of a coordinator started with --tokens (sent as `authorization: Bearer TOKEN`). */
  token?: string;
}

function toEvent(e: GenerateEvent__Output): GenerateEvent | null {
  if (e.evaluation) return { type: 'evaluation', ...e.evaluation };
  if (e.preview) return { type: 'preview', ...e.preview };
  if (e.result) {
    const r = e.result;
    return { type: 'result', png: r.png, image: fromWire(r.image, 'image'), seed: r.seed, width: r.width, height: r.height, stages: r.stages, warnings: r.warnings };
  }
  return null;
}

function asEdiffError(error: unknown): unknown {
  if (!(error instanceof Error && 'code' in error && typeof error.code === 'number')) return error;
  const e = error as grpc.ServiceError;
  const retryAfter = Number(e.metadata?.get('retry-after')[0]);
  return new EdiffError(e.code, e.details, { cause: error }, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined);
}

/** A stored job's event (see WatchJob): numbered from 1 in the order the job made them. */
export type JobEvent = { seq: number } & (
  | Exclude<GenerateEvent, { type: 'result' }>
  | { type: 'result'; png: Buffer; seed: number; width: number; height: number; stages: StageTiming[]; warnings: string[] }
  | { type: 'state'; state: JobStateName; code: number; message: string; queuePosition: number }
);

export type JobStateName = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

const stateName = (s: string): JobStateName => s.replace('JOB_STATE_', '').toLowerCase() as JobStateName;

function toJobEvent(e: JobEvent__Output): JobEvent | null {
  const seq = Number(e.seq);
  if (e.evaluation) return { seq, type: 'evaluation', ...e.evaluation };
  if (e.preview) return { seq, type: 'preview', ...e.preview };
  if (e.result) {
    const r = e.result;
    return { seq, type: 'result', png: r.png, seed: r.seed, width: r.width, height: r.height, stages: r.stages, warnings: r.warnings };
  }
  if (e.state) return { seq, type: 'state', state: stateName(e.state.state), code: e.state.code, message: e.state.message, queuePosition: e.state.queuePosition };
  return null;
}

/** A stored job as GetJob returns it, with its state by name. */
export type JobInfo = Omit<Job__Output, 'state'> & { state: JobStateName };
const toJobInfo = (j: Job__Output): JobInfo => ({ ...j, state: stateName(j.state) });

/** Does this event end its job's stream? */
const isLast = (e: JobEvent) => e.type === 'result' || (e.type === 'state' && (e.state === 'failed' || e.state === 'cancelled'));

export class EdiffClient {
  private readonly client: CoordinatorClient;

  constructor(
    readonly address: string,
    private readonly options: ClientOptions = {},
  ) {
    const ca = options.ca === undefined ? null : typeof options.ca === 'string' ? readFileSync(options.ca) : options.ca;
    this.client = new (ediffProtos().Coordinator)(address, channelCredentials(ca && { ca }), CHANNEL_OPTIONS);
  }

  /** Runs a job: an event per evaluation, previews if asked for, and finally the result. */
  async *generate(request: GenerateCall, { signal }: { signal?: AbortSignal } = {}): AsyncGenerator<GenerateEvent> {
    signal?.throwIfAborted();
    const call = this.client.Generate(generateRequestToWire(request), this.metadata(), this.options.generateTimeoutMs ? { deadline: Date.now() + this.options.generateTimeoutMs } : {});
    const cancel = () => call.cancel();
    signal?.addEventListener('abort', cancel, { once: true });
    let ended = false;
    try {
      for await (const message of call as AsyncIterable<GenerateEvent__Output>) {
        const event = toEvent(message);
        if (event) yield event;
      }
      ended = true;
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw asEdiffError(error);
    } finally {
      signal?.removeEventListener('abort', cancel);
      // Only a call the caller left early is cancelled. Cancelling every call after its result
      // made the coordinator close the whole connection (GOAWAY INTERNAL_ERROR) after ~1166 jobs,
      // failing every call on it: a late RST_STREAM is an invalid frame to Node's HTTP/2 server,
      // which allows 1000 per connection (maxSessionInvalidFrames).
      if (!ended) call.cancel();
    }
  }

  /**
   * Runs a job and returns its result. Progress events are passed to `onEvent`; without one, the
   * coordinator is asked not to send an event per evaluation (`progress: 'none'`).
   */
  async generateImage(request: GenerateCall, o: { signal?: AbortSignal; onEvent?: (e: GenerateEvent) => void } = {}): Promise<Extract<GenerateEvent, { type: 'result' }>> {
    const call = o.onEvent || request.progress ? request : { ...request, progress: 'none' as const };
    // Read to the end of the stream (its status follows the result), so the call ends cleanly.
    let result: Extract<GenerateEvent, { type: 'result' }> | null = null;
    for await (const event of this.generate(call, o.signal ? { signal: o.signal } : {})) {
      if (event.type === 'result') result = event;
      else o.onEvent?.(event);
    }
    if (!result) throw new EdiffError(grpc.status.INTERNAL, 'the coordinator ended the job without a result');
    return result;
  }

  /** Stores a job and returns its id at once; a `clientJobId` makes a retry return the same job. */
  submit(request: GenerateCall, o: { clientJobId?: string } = {}): Promise<{ id: string; existing: boolean }> {
    return this.unary((cb) => this.client.SubmitJob({ request: generateRequestToWire(request), clientJobId: o.clientJobId ?? '' }, this.metadata(), this.deadline(), cb));
  }

  /**
   * A job's events after `after` (default: from the start) until it ends: the result, or the
   * state event of a failure or cancellation. When the connection drops, it reconnects by
   * itself and resumes after the last event it yielded, so none is lost or repeated (up to
   * `reconnects` attempts in a row, waiting 0.1 s doubling to 2 s).
   */
  async *watch(id: string, o: { after?: number; signal?: AbortSignal; reconnects?: number } = {}): AsyncGenerator<JobEvent> {
    let after = o.after ?? 0;
    let failures = 0;
    for (;;) {
      o.signal?.throwIfAborted();
      const call = this.client.WatchJob({ id, after }, this.metadata());
      const cancel = () => call.cancel();
      o.signal?.addEventListener('abort', cancel, { once: true });
      let ended = false;
      try {
        for await (const message of call as AsyncIterable<JobEvent__Output>) {
          const event = toJobEvent(message);
          if (!event) continue;
          failures = 0;
          after = event.seq;
          yield event;
          if (isLast(event)) ended = true;
        }
        if (ended) return;
        // No last event: the job ended before `after` (nothing left to send), or the stream broke.
        const job = await this.getJob(id);
        if (['succeeded', 'failed', 'cancelled'].includes(job.state) && Number(job.lastSeq) <= after) return;
        if (++failures > (o.reconnects ?? 30)) throw new EdiffError(grpc.status.UNAVAILABLE, `the watch of job ${id} kept ending before the job did`);
      } catch (error) {
        if (o.signal?.aborted) throw o.signal.reason;
        const e = asEdiffError(error);
        if (!(e instanceof EdiffError && e.code === grpc.status.UNAVAILABLE)) throw e;
        if (++failures > (o.reconnects ?? 30)) throw e;
      } finally {
        o.signal?.removeEventListener('abort', cancel);
        if (!ended) call.cancel();
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 100 * 2 ** failures)));
    }
  }

  getJob(id: string): Promise<JobInfo> {
    return this.unary<Job__Output>((cb) => this.client.GetJob({ id }, this.metadata(), this.deadline(), cb)).then(toJobInfo);
  }

  /** Cancels a queued or running job; returns it as it is now (a running job turns cancelled when it stops). */
  cancelJob(id: string): Promise<JobInfo> {
    return this.unary<Job__Output>((cb) => this.client.CancelJob({ id }, this.metadata(), this.deadline(), cb)).then(toJobInfo);
  }

  /** The coordinator's jobs, newest first (ended ones while they are kept). */
  listJobs(): Promise<JobInfo[]> {
    return this.unary<{ jobs: Job__Output[] }>((cb) => this.client.ListJobs({}, this.metadata(), this.deadline(), cb)).then((l) => l.jobs.map(toJobInfo));
  }

  describePipeline(): Promise<PipelineDescription__Output> {
    return this.unary((cb) => this.client.DescribePipeline({}, this.metadata(), this.deadline(), cb));
  }

  clusterStatus(): Promise<ClusterStatus__Output> {
    return this.unary((cb) => this.client.GetClusterStatus({}, this.metadata(), this.deadline(), cb));
  }

  close(): void {
    this.client.close();
  }

  /** Every call's metadata: the bearer token, when there is one. */
  private metadata(): grpc.Metadata {
    const m = new grpc.Metadata();
    if (this.options.token) m.set('authorization', `Bearer ${this.options.token}`);
    return m;
  }

  private deadline(): grpc.CallOptions {
    return { deadline: Date.now() + (this.options.callTimeoutMs ?? 10_000) };
  }

  private unary<T>(start: (callback: (error: grpc.ServiceError | null, value?: T) => void) => void): Promise<T> {
    return new Promise((resolve, reject) => start((error, value) => (error ? reject(asEdiffError(error)) : resolve(value!))));
  }
}
