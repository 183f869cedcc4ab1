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
import * as grpc from '@grpc/grpc-js';
import type { ClusterStatus__Output } from '../common/grpc/generated/ediff/v1/ClusterStatus.ts';
import type { CoordinatorClient } from '../common/grpc/generated/ediff/v1/Coordinator.ts';
import type { GenerateEvent__Output } from '../common/grpc/generated/ediff/v1/GenerateEvent.ts';
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

const asEdiffError = (error: unknown) => (error instanceof Error && 'code' in error && typeof error.code === 'number' ? new EdiffError(error.code, (error as grpc.ServiceError).details, { cause: error }) : error);

export class EdiffClient {
  private readonly client: CoordinatorClient;

  constructor(
    readonly address: string,
    private readonly options: ClientOptions = {},
  ) {
    this.client = new (ediffProtos().Coordinator)(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  }

  /** Runs a job: an event per evaluation, previews if asked for, and finally the result. */
  async *generate(request: GenerateCall, { signal }: { signal?: AbortSignal } = {}): AsyncGenerator<GenerateEvent> {
    signal?.throwIfAborted();
    const call = this.client.Generate(generateRequestToWire(request), this.options.generateTimeoutMs ? { deadline: Date.now() + this.options.generateTimeoutMs } : {});
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

  describePipeline(): Promise<PipelineDescription__Output> {
    return this.unary((cb) => this.client.DescribePipeline({}, this.deadline(), cb));
  }

  clusterStatus(): Promise<ClusterStatus__Output> {
    return this.unary((cb) => this.client.GetClusterStatus({}, this.deadline(), cb));
  }

  close(): void {
    this.client.close();
  }

  private deadline(): grpc.CallOptions {
    return { deadline: Date.now() + (this.options.callTimeoutMs ?? 10_000) };
  }

  private unary<T>(start: (callback: (error: grpc.ServiceError | null, value?: T) => void) => void): Promise<T> {
    return new Promise((resolve, reject) => start((error, value) => (error ? reject(asEdiffError(error)) : resolve(value!))));
  }
}
