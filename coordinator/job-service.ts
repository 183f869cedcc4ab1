/**
 * The job API's handlers (SubmitJob, WatchJob, GetJob, CancelJob, ListJobs) and Generate as
 * submit + watch, over the JobStore; and the runner that runs a stored job on the job threads.
 */
import type * as grpc from '@grpc/grpc-js';
import { InvalidArgumentError, NotFoundError } from '../common/errors.ts';
import type { CoordinatorHandlers } from '../common/grpc/generated/ediff/v1/Coordinator.ts';
import type { GenerateEvent } from '../common/grpc/generated/ediff/v1/GenerateEvent.ts';
import type { GenerateRequest__Output } from '../common/grpc/generated/ediff/v1/GenerateRequest.ts';
import type { Job } from '../common/grpc/generated/ediff/v1/Job.ts';
import type { JobEvent } from '../common/grpc/generated/ediff/v1/JobEvent.ts';
import type { WatchJobRequest__Output } from '../common/grpc/generated/ediff/v1/WatchJobRequest.ts';
import { generateRequestFromWire } from '../common/grpc/generate-request.ts';
import { Status, toServiceError } from '../common/grpc/status.ts';
import { toWire } from '../common/grpc/tensor.ts';
import { encodePng } from '../common/image.ts';
import { clampImage } from '../common/pipeline/stage.ts';
import type { JobThreads } from './job-threads.ts';
import { type JobRunner, type JobStore, type StoredEvent, type StoredJob } from './job-store.ts';
import type { CoordinatorMetrics } from './metrics.ts';
import type { Tenant } from './auth.ts';

const STATE_NAMES = { queued: 'JOB_STATE_QUEUED', running: 'JOB_STATE_RUNNING', succeeded: 'JOB_STATE_SUCCEEDED', failed: 'JOB_STATE_FAILED', cancelled: 'JOB_STATE_CANCELLED' } as const;

/** Runs a stored job on the job threads: events in order (a preview's PNG is encoded before the events after it go out), metrics per job. */
export function jobRunner(jobs: JobThreads, metrics: CoordinatorMetrics): JobRunner {
  return async (request, sink, signal) => {
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

/** A stored job as the API shows it. */
function jobToWire(store: JobStore, job: StoredJob): Job {
  const p = job.progress;
  return {
    id: job.id,
    clientJobId: job.clientJobId,
    state: STATE_NAMES[job.state],
    queuePosition: job.state === 'queued' ? store.queuePosition(job) : 0,
    evaluation: p.evaluation,
    evaluations: p.evaluations,
    stage: p.stage,
    step: p.step,
    steps: p.steps,
    expert: p.expert,
    ...(job.result && { result: job.result }),
    errorCode: job.error?.code ?? 0,
    errorMessage: job.error?.details ?? '',
    submittedMs: job.submittedMs,
    finishedMs: job.finishedMs,
    lastSeq: job.events.length,
  };
}

const found = (store: JobStore, id: string, tenant: Tenant): StoredJob => {
  if (!id) throw new InvalidArgumentError('id', 'is missing');
  const job = store.get(id, tenant);
  if (!job) throw new NotFoundError(`no job ${id} (unknown, or ended and no longer kept)`);
  return job;
};

/** A job's event as Generate streams it, or null for the state changes Generate does not send. */
function generateEvent(e: StoredEvent): GenerateEvent | null {
  if (e.evaluation) return { evaluation: e.evaluation };
  if (e.preview) return { preview: e.preview };
  if (e.result) return { result: e.result };
  return null;
}

type JobHandlers = Pick<CoordinatorHandlers, 'Generate' | 'SubmitJob' | 'WatchJob' | 'GetJob' | 'CancelJob' | 'ListJobs'>;

/** `authenticate`: the caller's tenant from its metadata (throws UnauthenticatedError). */
export function jobHandlers(store: JobStore, authenticate: (metadata: grpc.Metadata) => Tenant): JobHandlers {
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
      try {
        if (!call.request.request) throw new InvalidArgumentError('request', 'is missing');
        const tenant = authenticate(call.metadata);
        const { job, existing } = store.submit(generateRequestFromWire(call.request.request), call.request.clientJobId, tenant);
        callback(null, { id: job.id, existing });
      } catch (error) {
        callback(toServiceError(error));
      }
    },

    WatchJob(call: grpc.ServerWritableStream<WatchJobRequest__Output, JobEvent>) {
      let job: StoredJob;
      try {
        job = found(store, call.request.id, authenticate(call.metadata));
      } catch (error) {
        call.emit('error', toServiceError(error));
        return;
      }
      const after = Number(call.request.after);
      const stop = store.watch(
        job,
        after,
        (e) => call.write(e),
        () => call.end(),
      );
      call.on('cancelled', stop);
    },

    GetJob(call, callback) {
      try {
        callback(null, jobToWire(store, found(store, call.request.id, authenticate(call.metadata))));
      } catch (error) {
        callback(toServiceError(error));
      }
    },

    CancelJob(call, callback) {
      try {
        const job = found(store, call.request.id, authenticate(call.metadata));
        store.cancel(job);
        callback(null, jobToWire(store, job));
      } catch (error) {
        callback(toServiceError(error));
      }
    },

    ListJobs(call, callback) {
      try {
        callback(null, { jobs: store.list(authenticate(call.metadata)).map((j) => jobToWire(store, j)) });
      } catch (error) {
        callback(toServiceError(error));
      }
    },
  };
}
