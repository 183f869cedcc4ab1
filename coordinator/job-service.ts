/**
 * The job API's handlers (SubmitJob, WatchJob, GetJob, CancelJob, ListJobs) over a JobApi, and
 * Generate as submit + watch on this process's JobStore; and the runner that runs a job on the
 * job threads.
 */
import type * as grpc from '@grpc/grpc-js';
import { InvalidArgumentError } from '../common/errors.ts';
import type { CoordinatorHandlers } from '../common/grpc/generated/ediff/v1/Coordinator.ts';
import type { GenerateEvent } from '../common/grpc/generated/ediff/v1/GenerateEvent.ts';
import type { GenerateRequest__Output } from '../common/grpc/generated/ediff/v1/GenerateRequest.ts';
import type { JobEvent } from '../common/grpc/generated/ediff/v1/JobEvent.ts';
import type { WatchJobRequest__Output } from '../common/grpc/generated/ediff/v1/WatchJobRequest.ts';
import { generateRequestFromWire } from '../common/grpc/generate-request.ts';
import { Status, toServiceError, type StatusError } from '../common/grpc/status.ts';
import { toWire } from '../common/grpc/tensor.ts';
import { encodePng } from '../common/image.ts';
import { clampImage } from '../common/pipeline/stage.ts';
import { resolveRequest } from '../common/pipeline/request.ts';
import type { PackManifest } from '../common/pack/manifest.ts';
import type { JobThreads } from './job-threads.ts';
import type { JobRunner, JobStore, StoredEvent, StoredJob } from './job-store.ts';
import type { JobApi } from './job-api.ts';
import type { CoordinatorMetrics } from './metrics.ts';
import type { Tenant } from './auth.ts';

/** Runs a stored job on the job threads: events in order (a preview's PNG is encoded before the events after it go out), metrics per job. */
export function jobRunner(jobs: JobThreads, metrics: CoordinatorMetrics): JobRunner {
  return async (request, sink, signal, resume) => {
    metrics.jobsInFlight.inc();
    const endTimer = metrics.jobSeconds.startTimer();
    let queue = Promise.resolve();
    let queued = 0;
    const inOrder = (emit: () => void | Promise<void>) => {
      if (queued === 0) return void emit();
      queued++;
      queue = queue.then(async () => {
        await emit();
        queued--;
      });
    };
    try {
      const result = await jobs.run(
        request,
        {
          onProgress: (e) => inOrder(() => sink.evaluation(e)),
          onPreview: (step, image) => {
            queued++;
            const png = encodePng(clampImage(image));
            queue = queue.then(async () => {
              sink.preview('base', step, await png);
              queued--;
            });
          },
          ...(sink.checkpoints && { checkpoints: sink.checkpoints }),
          ...(resume && { resume }),
        },
        signal,
      );
      const png = await encodePng(result.image);
      await queue;
      endTimer();
      metrics.jobs.inc({ outcome: 'ok' });
      const size = result.width === result.height ? result.width : 0;
      return { png, image: toWire(result.image), seed: result.seed, size, width: result.width, height: result.height, stages: result.stages, warnings: result.warnings };
    } catch (error) {
      await queue.catch(() => {});
      if (signal.aborted) metrics.jobs.inc({ outcome: 'cancelled' });
      else {
        const code = Status[toServiceError(error).code];
        metrics.jobs.inc({ outcome: code });
        metrics.errors.inc({ code });
      }
      throw error;
    } finally {
      metrics.jobsInFlight.dec();
    }
  };
}

/** A job's event as Generate streams it, or null for the state changes Generate does not send. */
function generateEvent(e: StoredEvent): GenerateEvent | null {
  if (e.evaluation) return { evaluation: e.evaluation };
  if (e.preview) return { preview: e.preview };
  if (e.result) return { result: e.result };
  return null;
}

type JobHandlers = Pick<CoordinatorHandlers, 'Generate' | 'SubmitJob' | 'WatchJob' | 'GetJob' | 'CancelJob' | 'ListJobs'>;

/**
 * Generate runs in this process's `store`; the job API goes to `api` (the same store, or durable
 * jobs); submitted requests are checked against the served pack's `manifest`. `authenticate`: the caller's tenant from its metadata (throws UnauthenticatedError).
 */
export function jobHandlers(manifest: PackManifest, store: JobStore, api: JobApi, authenticate: (metadata: grpc.Metadata) => Tenant): JobHandlers {
  return {
    Generate(call: grpc.ServerWritableStream<GenerateRequest__Output, GenerateEvent>) {
      let job: StoredJob;
      try {
        job = store.submit(generateRequestFromWire(call.request), '', authenticate(call.metadata)).job;
      } catch (error) {
        call.emit('error', toServiceError(error));
        return;
      }
      // The job belongs to this call: cancelling the call cancels it.
      const stop = store.watch(
        job,
        0,
        (e) => {
          const out = generateEvent(e);
          if (out) call.write(out);
          else if (e.state?.state === 'JOB_STATE_FAILED') call.emit('error', { code: e.state.code, details: e.state.message });
          else if (e.state?.state === 'JOB_STATE_CANCELLED') call.emit('error', { code: Status.CANCELLED, details: `job ${job.id} was cancelled` });
        },
        () => {
          if (job.state === 'succeeded') call.end();
        },
      );
      call.on('cancelled', () => {
        stop();
        store.cancel(job);
      });
    },

    SubmitJob(call, callback) {
      respond(callback, async () => {
        if (!call.request.request) throw new InvalidArgumentError('request', 'is missing');
        const tenant = authenticate(call.metadata);
        const request = generateRequestFromWire(call.request.request);
        // Bad input is refused now, not when the job runs; a random seed is drawn once, so that a
        // job resumed elsewhere draws the same noise.
        const { seed } = resolveRequest(manifest, request);
        return api.submit({ ...request, seed }, call.request.clientJobId, tenant);
      });
    },

    WatchJob(call: grpc.ServerWritableStream<WatchJobRequest__Output, JobEvent>) {
      const stopped = new AbortController();
      call.on('cancelled', () => stopped.abort());
      // The result goes out with its PNG only, as a watch that starts after the job ended sees it.
      const write = (e: JobEvent) => call.write(e.result ? { ...e, result: { ...e.result, image: null } } : e);
      (async () => api.watch(call.request.id, Number(call.request.after), authenticate(call.metadata), write, stopped.signal))().then(
        () => call.end(),
        (error) => call.emit('error', toServiceError(error)),
      );
    },

    GetJob(call, callback) {
      respond(callback, async () => api.get(call.request.id, authenticate(call.metadata)));
    },

    CancelJob(call, callback) {
      respond(callback, async () => api.cancel(call.request.id, authenticate(call.metadata)));
    },

    ListJobs(call, callback) {
      respond(callback, async () => ({ jobs: await api.list(authenticate(call.metadata)) }));
    },
  };
}

/** Answers a unary call with what `work` resolves with, or its error as a status. */
function respond<T>(callback: (error: StatusError | null, value?: T) => void, work: () => Promise<T>): void {
  work().then(
    (value) => callback(null, value),
    (error) => callback(toServiceError(error)),
  );
}
