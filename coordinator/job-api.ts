/**
 * The job API (SubmitJob, WatchJob, GetJob, CancelJob, ListJobs) over wherever jobs are kept: this
 * process's JobStore (no NATS: jobs end with the process) or JetStream (durable-jobs.ts: any
 * coordinator runs, watches and cancels any job). Generate always runs in the coordinator that
 * took the call (its result carries the image tensor, and the call ends with that coordinator).
 */
import { InvalidArgumentError, NotFoundError } from '../common/errors.ts';
import type { GenerateCall } from '../common/grpc/generate-request.ts';
import type { Job } from '../common/grpc/generated/ediff/v1/Job.ts';
import type { GenerateResult } from '../common/grpc/generated/ediff/v1/GenerateResult.ts';
import type { JobEvent } from '../common/grpc/generated/ediff/v1/JobEvent.ts';
import type { Tenant } from './auth.ts';
import type { JobStateName, JobStore, StoredJob } from './job-store.ts';

export interface JobApi {
  /** Stores and queues a job (or returns the one `clientJobId` named before). */
  submit(request: GenerateCall, clientJobId: string, tenant: Tenant): Promise<{ id: string; existing: boolean }>;
  get(id: string, tenant: Tenant): Promise<Job>;
  /** Cancels a queued or running job (an ended one stays as it is); the job as it is then. */
  cancel(id: string, tenant: Tenant): Promise<Job>;
  /** The tenant's jobs, newest first. */
  list(tenant: Tenant): Promise<Job[]>;
  /**
   * Calls `onEvent` with each of the job's events after `after`, those made already, then each new
   * one, until the job ends (resolves) or `signal` aborts (resolves).
   */
  watch(id: string, after: number, tenant: Tenant, onEvent: (event: JobEvent) => void, signal: AbortSignal): Promise<void>;
}

const STATE_NAMES = { queued: 'JOB_STATE_QUEUED', running: 'JOB_STATE_RUNNING', succeeded: 'JOB_STATE_SUCCEEDED', failed: 'JOB_STATE_FAILED', cancelled: 'JOB_STATE_CANCELLED' } as const satisfies Record<JobStateName, string>;

/** Job ids are UUIDs, as SubmitJob gives them. */
const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const requireId = (id: string): string => {
  if (!id) throw new InvalidArgumentError('id', 'is missing');
  if (!JOB_ID.test(id)) throw new InvalidArgumentError('id', `${JSON.stringify(id.slice(0, 80))} is not a job id (a UUID, as SubmitJob returns it)`);
  return id;
};

export const unknownJob = (id: string) => new NotFoundError(`no job ${id} (unknown, or ended and no longer kept)`);

/** What the API shows of a job, wherever it is kept. */
export interface JobView {
  id: string;
  clientJobId: string;
  state: JobStateName;
  queuePosition: number;
  progress: { evaluation: number; evaluations: number; stage: string; step: number; steps: number; expert: string };
  /** Succeeded: the result, with its PNG. */
  result: GenerateResult | null;
  error: { code: number; details: string } | null;
  submittedMs: number;
  finishedMs: number;
  lastSeq: number;
}

export function jobToWire(v: JobView): Job {
  const p = v.progress;
  return {
    id: v.id,
    clientJobId: v.clientJobId,
    state: STATE_NAMES[v.state],
    queuePosition: v.queuePosition,
    evaluation: p.evaluation,
    evaluations: p.evaluations,
    stage: p.stage,
    step: p.step,
    steps: p.steps,
    expert: p.expert,
    ...(v.result && { result: v.result }),
    errorCode: v.error?.code ?? 0,
    errorMessage: v.error?.details ?? '',
    submittedMs: v.submittedMs,
    finishedMs: v.finishedMs,
    lastSeq: v.lastSeq,
  };
}

/** The job API over this process's JobStore. */
export function memoryJobApi(store: JobStore): JobApi {
  const found = (id: string, tenant: Tenant): StoredJob => {
    const job = store.get(requireId(id), tenant);
    if (!job) throw unknownJob(id);
    return job;
  };
  const toWire = (job: StoredJob): Job => jobToWire({ ...job, queuePosition: job.state === 'queued' ? store.queuePosition(job) : 0, lastSeq: job.events.length });
  return {
    submit: async (request, clientJobId, tenant) => {
      const { job, existing } = store.submit(request, clientJobId, tenant);
      return { id: job.id, existing };
    },
    get: async (id, tenant) => toWire(found(id, tenant)),
    cancel: async (id, tenant) => {
      const job = found(id, tenant);
      store.cancel(job);
      return toWire(job);
    },
    list: async (tenant) => store.list(tenant).map(toWire),
    watch: (id, after, tenant, onEvent, signal) => {
      const job = found(id, tenant);
      return new Promise<void>((resolve) => {
        const stop = store.watch(job, after, onEvent, resolve);
        signal.addEventListener(
          'abort',
          () => {
            stop();
            resolve();
          },
          { once: true },
        );
      });
    },
  };
}
