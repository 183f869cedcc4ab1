/**
 * The coordinator's jobs: submitted, queued, run, watched, cancelled, and kept after they end.
 * A job is a request plus the numbered events it makes (evaluations, previews, state changes,
 * the result), kept so that a watcher that reconnects resumes after the last one it saw.
 *
 * Admission: at most `maxRunning` jobs run at once and `maxQueued` wait, oldest first; past
 * that a submission is refused (ResourceExhaustedError, with a retry hint). A client job id
 * makes a submission idempotent. Ended jobs are kept `keepMs`, the `maxKept` most recent, and
 * within `maxKeptBytes` of PNGs (results and previews) and events.
 * Jobs live in this process's memory: they do not outlive it (see the README's durability).
 */
import { randomUUID } from 'node:crypto';
import { NodeUnavailableError, PermissionDeniedError, ResourceExhaustedError } from '../common/errors.ts';
import { jobPriority } from '../common/pipeline/request.ts';
import { OPEN_TENANT, type Tenant } from './auth.ts';
import { TenantQuotas } from './quotas.ts';
import type { GenerateCall } from '../common/grpc/generate-request.ts';
import type { JobEvent } from '../common/grpc/generated/ediff/v1/JobEvent.ts';
import type { GenerateResult as WireResult } from '../common/grpc/generated/ediff/v1/GenerateResult.ts';
import { toServiceError, type StatusError } from '../common/grpc/status.ts';
import type { JobCheckpoint, ProgressEvent } from '../common/pipeline/job.ts';

export type JobStateName = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** What a job's runner reports; `result` ends a job that succeeded. */
export interface JobSink {
  evaluation(event: Extract<ProgressEvent, { type: 'evaluation' }>): void;
  /** A preview's PNG, in order with the other events (the runner awaits its encoding). */
  preview(stage: string, step: number, png: Uint8Array): void;
  /** Durable jobs: a checkpoint every `every` base steps and at every phase boundary. */
  checkpoints?: { every: number; save: (checkpoint: JobCheckpoint) => void };
}

/** Runs a job (from `resume`, a checkpoint of it): resolves with the wire result (with its image tensor), rejects with its error. */
export type JobRunner = (request: GenerateCall, sink: JobSink, signal: AbortSignal, resume?: JobCheckpoint) => Promise<WireResult>;

export interface StoredJob {
  id: string;
  /** The tenant that submitted it: only that tenant sees it. */
  tenant: string;
  clientJobId: string;
  request: GenerateCall;
  state: JobStateName;
  events: StoredEvent[];
  progress: { evaluation: number; evaluations: number; stage: string; step: number; steps: number; expert: string };
  /** Succeeded: the result without the image tensor. */
  result: WireResult | null;
  error: StatusError | null;
  submittedMs: number;
  finishedMs: number;
  /** Ended: what it keeps in memory (see keptSize). */
  keptBytes: number;
}

/** A rough size of an event besides its PNG bytes (an evaluation event's fields and the array slot). */
const EVENT_BYTES = 256;

/** What an ended job keeps: its result's PNG, its previews' PNGs, and its events. */
const keptSize = (job: StoredJob): number => (job.result?.png?.length ?? 0) + job.events.reduce((n, e) => n + EVENT_BYTES + (e.preview?.png?.length ?? 0), 0);

export interface JobStoreOptions {
  maxRunning: number;
  maxQueued: number;
  /** How long an ended job is kept. */
  keepMs: number;
  /** How many ended jobs are kept at most. */
  maxKept: number;
  /** How many bytes ended jobs keep at most: their PNGs (results, previews) and events. */
  maxKeptBytes: number;
  run: JobRunner;
}

/** A job's event, numbered from 1. */
export type StoredEvent = Omit<JobEvent, 'seq'> & { seq: number };

type Watcher = (event: StoredEvent) => void;

const ENDED: readonly JobStateName[] = ['succeeded', 'failed', 'cancelled'];
export const isEnded = (state: JobStateName) => ENDED.includes(state);

export class JobStore {
  private readonly jobs = new Map<string, StoredJob>();
  private readonly byClientId = new Map<string, string>();
  private readonly queue: StoredJob[] = [];
  private readonly aborts = new Map<string, AbortController>();
  private readonly watchers = new Map<string, Set<Watcher>>();
  /** Ended job ids, oldest first. */
  private readonly ended: string[] = [];
  /** Jobs running: those with an abort controller. */
  get running(): number {
    return this.aborts.size;
  }
  /** Set when the coordinator drains: submissions are refused. */
  private draining = false;
  /** Bytes an ended job keeps (see keptSize), summed. */
  private keptBytes = 0;
  /** Mean seconds a job ran, for the retry hint. */
  private meanSeconds = 1;
  /** Per tenant: jobs queued or running. */
  private readonly inFlight = new Map<string, number>();
  private readonly quotas = new TenantQuotas();

  constructor(private readonly o: JobStoreOptions) {}

  /** Stores and queues a job for `tenant` (or returns the one its `clientJobId` named before). */
  submit(request: GenerateCall, clientJobId = '', tenant: Tenant = OPEN_TENANT): { job: StoredJob; existing: boolean } {
    this.expire();
    const clientKey = `${tenant.name}\0${clientJobId}`;
    const known = clientJobId ? this.jobs.get(this.byClientId.get(clientKey) ?? '') : undefined;
    if (known) return { job: known, existing: true };
    if (this.draining) throw new NodeUnavailableError('this coordinator', 'it is shutting down; submit to another coordinator (or retry)');
    if (this.running >= this.o.maxRunning && this.queue.length >= this.o.maxQueued) {
      const waves = Math.ceil((this.queue.length + 1) / Math.max(1, this.o.maxRunning));
      throw new ResourceExhaustedError(`the coordinator is full: ${this.running} jobs running and ${this.queue.length} queued (limits --max-running ${this.o.maxRunning}, --max-queued ${this.o.maxQueued}); retry later`, Math.max(1, Math.ceil(waves * this.meanSeconds)));
    }
    const priority = jobPriority(request);
    this.quotas.admit(tenant, this.inFlight.get(tenant.name) ?? 0, this.meanSeconds);
    this.inFlight.set(tenant.name, (this.inFlight.get(tenant.name) ?? 0) + 1);
    const job: StoredJob = {
      id: randomUUID(),
      tenant: tenant.name,
      clientJobId,
      request,
      state: 'queued',
      events: [],
      progress: { evaluation: 0, evaluations: 0, stage: '', step: 0, steps: 0, expert: '' },
      result: null,
      error: null,
      submittedMs: Date.now(),
      finishedMs: 0,
      keptBytes: 0,
    };
    this.jobs.set(job.id, job);
    if (clientJobId) this.byClientId.set(clientKey, job.id);
    // Interactive jobs wait behind interactive ones only; batch jobs behind everything.
    const firstBatch = this.queue.findIndex((j) => j.request.priority === 'batch');
    const at = priority === 'batch' || firstBatch < 0 ? this.queue.length : firstBatch;
    this.queue.splice(at, 0, job);
    this.emit(job, { state: { state: 'JOB_STATE_QUEUED', code: 0, message: '', queuePosition: at } });
    this.startQueued();
    return { job, existing: false };
  }

  /**
   * Refuses new jobs, lets the queued and running ones finish for up to `ms`, then cancels what
   * is left (in memory, nothing else could take it over). Resolves with the jobs cancelled.
   */
  async drain(ms: number): Promise<number> {
    this.draining = true;
    const deadline = Date.now() + ms;
    while (this.running + this.queue.length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const left = [...this.queue, ...[...this.jobs.values()].filter((j) => j.state === 'running')];
    for (const job of left) this.cancel(job);
    return left.length;
  }

  /** A job by id, if `tenant` may see it (another tenant's job: PermissionDeniedError). */
  get(id: string, tenant: Tenant = OPEN_TENANT): StoredJob | undefined {
    this.expire();
    const job = this.jobs.get(id);
    if (job && job.tenant !== tenant.name) throw new PermissionDeniedError(`job ${id} belongs to another tenant`);
    return job;
  }

  /** The tenant's jobs, newest first. */
  list(tenant: Tenant = OPEN_TENANT): StoredJob[] {
    this.expire();
    return [...this.jobs.values()].filter((j) => j.tenant === tenant.name).reverse();
  }

  /** How many jobs are ahead of this one in the queue (0 when it is not queued). */
  queuePosition(job: StoredJob): number {
    return Math.max(0, this.queue.indexOf(job));
  }

  /** Cancels a queued or running job; an ended one stays as it is. */
  cancel(job: StoredJob): void {
    if (isEnded(job.state)) return;
    const at = this.queue.indexOf(job);
    if (at >= 0) {
      this.queue.splice(at, 1);
      this.end(job, 'cancelled', null);
      return;
    }
    this.aborts.get(job.id)?.abort();
  }

  /**
   * Calls `onEvent` with each event after `after`, those stored first, then each new one as it
   * comes, until the job ends (then `onEnd`). Returns a function that stops watching.
   */
  watch(job: StoredJob, after: number, onEvent: Watcher, onEnd: () => void): () => void {
    for (const e of job.events) if (e.seq > after) onEvent(e);
    if (isEnded(job.state)) {
      onEnd();
      return () => {};
    }
    const watcher: Watcher = (e) => {
      if (e.seq <= after) return;
      onEvent(e);
      if (isEnded(job.state)) {
        stop();
        onEnd();
      }
    };
    const set = this.watchers.get(job.id) ?? new Set<Watcher>();
    set.add(watcher);
    this.watchers.set(job.id, set);
    const stop = () => {
      set.delete(watcher);
      if (set.size === 0) this.watchers.delete(job.id);
    };
    return stop;
  }

  private emit(job: StoredJob, event: Omit<JobEvent, 'seq'>): void {
    const e: StoredEvent = { seq: job.events.length + 1, ...event };
    job.events.push(e);
    for (const w of [...(this.watchers.get(job.id) ?? [])]) w(e);
  }

  private startQueued(): void {
    while (this.running < this.o.maxRunning && this.queue.length > 0) void this.start(this.queue.shift()!);
  }

  private async start(job: StoredJob): Promise<void> {
    const abort = new AbortController();
    this.aborts.set(job.id, abort);
    job.state = 'running';
    this.emit(job, { state: { state: 'JOB_STATE_RUNNING', code: 0, message: '' } });
    const started = performance.now();
    const sink: JobSink = {
      evaluation: ({ type: _, ...e }) => {
        job.progress = { evaluation: e.evaluation, evaluations: e.evaluations, stage: e.stage, step: e.step, steps: e.steps, expert: e.expert };
        if (job.request.progress !== 'none') this.emit(job, { evaluation: e });
      },
      preview: (stage, step, png) => this.emit(job, { preview: { stage, step, png } }),
    };
    try {
      const result = await this.o.run(job.request, sink, abort.signal);
      this.meanSeconds = 0.9 * this.meanSeconds + 0.1 * ((performance.now() - started) / 1000);
      job.result = { ...result, image: null };
      this.end(job, 'succeeded', null, result);
    } catch (error) {
      if (abort.signal.aborted) this.end(job, 'cancelled', null);
      else this.end(job, 'failed', toServiceError(error));
    } finally {
      this.aborts.delete(job.id);
      this.startQueued();
    }
  }

  /**
   * Ends a job. Watchers attached now get the full result (with its image tensor, as Generate
   * returns it); the stored event keeps only the PNG and the figures.
   */
  private end(job: StoredJob, state: 'succeeded' | 'failed' | 'cancelled', error: StatusError | null, result?: WireResult): void {
    job.state = state;
    job.error = error;
    job.finishedMs = Date.now();
    this.inFlight.set(job.tenant, this.inFlight.get(job.tenant)! - 1);
    if (result) {
      const seq = job.events.length + 1;
      job.events.push({ seq, result: job.result! });
      for (const w of [...(this.watchers.get(job.id) ?? [])]) w({ seq, result });
    } else {
      const stateName = state === 'failed' ? 'JOB_STATE_FAILED' : 'JOB_STATE_CANCELLED';
      this.emit(job, { state: { state: stateName, code: error?.code ?? 0, message: error?.details ?? '' } });
    }
    job.keptBytes = keptSize(job);
    this.keptBytes += job.keptBytes;
    this.ended.push(job.id);
    this.expire();
  }

  /** Forgets ended jobs past their keeping time, and the oldest past maxKept. */
  private expire(): void {
    const now = Date.now();
    while (this.ended.length > 0) {
      const job = this.jobs.get(this.ended[0]!);
      if (job && this.ended.length <= this.o.maxKept && this.keptBytes <= this.o.maxKeptBytes && now - job.finishedMs < this.o.keepMs) break;
      this.ended.shift();
      if (!job) continue;
      this.keptBytes -= job.keptBytes;
      this.jobs.delete(job.id);
      if (job.clientJobId) this.byClientId.delete(`${job.tenant}\0${job.clientJobId}`);
    }
  }
}
