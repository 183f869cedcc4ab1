/**
 * Durable jobs (a coordinator started with --nats): the job API over NATS JetStream, so that any
 * coordinator runs, watches and cancels any job, and a job outlives the coordinator running it.
 *
 * - A job's record (state, progress, result figures) is a key of the `ediff_jobs` bucket,
 *   `job.<tenant digest>.<id>`, changed only by compare-and-set; its request, latest checkpoint
 *   and result PNG are objects of the `ediff_job_blobs` store. A client job id is a key
 *   `client.<tenant digest>.<id digest>` holding the job's id (created once: idempotent retries).
 * - Accepted means stored: the request, the record and the QUEUED event are written before the
 *   job's key goes into its priority's work queue (a work-queue stream) and the client hears its id.
 * - Each coordinator pulls from the queues (interactive first) while it has a free slot, keeps the
 *   message alive while it runs the job (`working`), and acks it when the job ends. A coordinator
 *   that dies stops keeping it alive: after the ack deadline JetStream hands the job to another,
 *   which resumes it from its latest checkpoint (every `checkpointEvery` base steps and at every
 *   phase boundary): the same bytes as an undisturbed run. A draining coordinator hands its jobs
 *   back at once (nak).
 * - Events go to the stream `EDIFF_JOB_EVENTS`, subject `ediff.events.<id>`, numbered in the
 *   message. A coordinator that takes a job over reads its events first and numbers on; it leaves
 *   out the evaluations and previews the job had already sent, so watchers see each once.
 * - A job that failed because a node was unreachable (every replica of an expert down at once)
 *   goes back to the queue and resumes from its checkpoint after 1, 2, 4, 8, 16 s (QUEUED events
 *   say so); only then is it failed.
 * - Cancelling: a queued job's record is set to cancelled; a running job's is marked and every
 *   coordinator hears `ediff.cancel.<id>` (the one running it stops it).
 * Everything is kept `keepMs` after its last change (the bucket's, store's and stream's max age).
 */
import { createHash, randomUUID } from 'node:crypto';
import { AckPolicy, DiscardPolicy, jetstream, jetstreamManager, RetentionPolicy, type Consumer, type JetStreamClient, type JetStreamManager, type JsMsg, type StreamConfig } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { connectNats, type NatsAccess } from '../common/discovery.ts';
import { NodeUnavailableError, ResourceExhaustedError } from '../common/errors.ts';
import { generateRequestFromWire, generateRequestToWire, type GenerateCall } from '../common/grpc/generate-request.ts';
import type { GenerateResult as WireResult } from '../common/grpc/generated/ediff/v1/GenerateResult.ts';
import type { Job } from '../common/grpc/generated/ediff/v1/Job.ts';
import type { JobEvent, JobEvent__Output } from '../common/grpc/generated/ediff/v1/JobEvent.ts';
import { decodeMessage, encodeMessage } from '../common/grpc/messages.ts';
import { Status, toServiceError } from '../common/grpc/status.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../common/pipeline/checkpoint-codec.ts';
import type { JobCheckpoint } from '../common/pipeline/job.ts';
import { JOB_PRIORITIES, jobPriority, type JobPriority } from '../common/pipeline/request.ts';
import { log } from '../common/process/node-process.ts';
import type { Tenant } from './auth.ts';
import { jobToWire, requireId, unknownJob, type JobApi } from './job-api.ts';
import { isEnded, type JobRunner, type JobStateName } from './job-store.ts';
import { TenantQuotas } from './quotas.ts';

const JOBS_BUCKET = 'ediff_jobs';
const BLOBS_STORE = 'ediff_job_blobs';
const EVENTS_STREAM = 'EDIFF_JOB_EVENTS';
const QUEUE_STREAMS: Record<JobPriority, string> = { interactive: 'EDIFF_QUEUE_INTERACTIVE', batch: 'EDIFF_QUEUE_BATCH' };
const RUNNERS = 'runners';
const eventsSubject = (id: string) => `ediff.events.${id}`;
const cancelSubject = (id: string) => `ediff.cancel.${id}`;
const queueSubject = (priority: JobPriority) => `ediff.queue.${priority}`;
/** How long a pull for a queued job waits (the client's least). */
const PULL_MS = 1000;
/** A job whose coordinators died this many times is failed rather than handed on again. */
const MAX_TAKEOVERS = 3;
/**
 * A job that failed because a node was unreachable or too slow (UNAVAILABLE, DEADLINE_EXCEEDED:
 * every replica of an expert down at once, say) goes back to the queue to resume from its
 * checkpoint after 1, 2, 4, 8, 16 s; failed after that.
 */
const MAX_RETRIES = 5;
const RETRY_BASE_MS = 1000;
const RETRYABLE: readonly number[] = [Status.UNAVAILABLE, Status.DEADLINE_EXCEEDED];

/** Thrown to put a job back in the queue for `delayMs` (see MAX_RETRIES). */
class RetryLater extends Error {
  constructor(readonly delayMs: number) {
    super(`retry in ${delayMs} ms`);
  }
}
/** JetStream's error code for a stream at its message limit. */
const STREAM_FULL = 10077;

export interface DurableJobsOptions {
  access: NatsAccess;
  /** This coordinator, as its events name it (its address once it listens). */
  name: () => string;
  /** Durable jobs this coordinator runs at once. */
  maxRunning: number;
  /** Jobs each priority's queue holds, waiting or running (the queue stream's limit). */
  maxQueued: number;
  keepMs: number;
  /** After this long without a sign of life from its coordinator, a job is handed to another. */
  ackWaitMs: number;
  /** A checkpoint every this many base steps (and at every phase boundary). */
  checkpointEvery: number;
  run: JobRunner;
}

/** A job as the bucket keeps it. */
interface JobRecord {
  id: string;
  tenant: string;
  clientJobId: string;
  priority: JobPriority;
  state: JobStateName;
  /** Set when a running job was cancelled: the coordinator running it stops it. */
  cancelRequested: boolean;
  /** The queue message's sequence in its stream (for the queue position). */
  queueSeq: number;
  progress: { evaluation: number; evaluations: number; stage: string; step: number; steps: number; expert: string };
  /** Succeeded: the result's figures (its PNG is the object `result.<id>`). */
  result: Omit<WireResult, 'png' | 'image'> | null;
  error: { code: number; details: string } | null;
  submittedMs: number;
  finishedMs: number;
  /** How often a coordinator took it over after the one running it died. */
  takeovers: number;
  /** How often it went back to the queue after a node failure (see MAX_RETRIES). */
  retries: number;
}

/** What a job's stored events say: the last number, evaluation and preview step. */
interface EventHistory {
  lastSeq: number;
  lastEvaluation: number;
  lastPreviewStep: number;
  last: JobEvent | null;
}

const digest = (text: string, length: number) => createHash('sha256').update(text).digest('hex').slice(0, length);
const jobKey = (tenant: string, id: string) => `job.${digest(tenant, 16)}.${id}`;
const clientKey = (tenant: string, clientJobId: string) => `client.${digest(tenant, 16)}.${digest(clientJobId, 32)}`;
const isLastEvent = (e: JobEvent) => Boolean(e.result) || e.state?.state === 'JOB_STATE_FAILED' || e.state?.state === 'JOB_STATE_CANCELLED';
const isWrongRevision = (error: unknown) => /wrong last sequence/.test((error as Error).message);

/** A running job's events, numbered on: `publish` waits for JetStream to store one (state changes, the end), `emit` does not (evaluations, previews). */
interface JobEvents {
  publish: (event: Omit<JobEvent, 'seq'>) => Promise<unknown>;
  emit: (event: Omit<JobEvent, 'seq'>) => void;
}

interface RunningJob {
  abort: AbortController;
  /** Aborted to hand the job back to the queue (draining), not to cancel it. */
  handBack: boolean;
}

export class DurableJobs implements JobApi {
  private readonly running = new Map<string, RunningJob>();
  /** Queue messages taken and not yet ended: counted at once, before their job is looked up. */
  private taken = 0;
  /** Per tenant: the keys of the jobs this coordinator accepted that had not ended when last seen. */
  private readonly inFlight = new Map<string, Set<string>>();
  private readonly quotas = new TenantQuotas();
  private meanSeconds = 1;
  private taking = true;
  private taker: Promise<void> = Promise.resolve();
  private slotFreed: () => void = () => {};
  private cancels: Subscription | null = null;

  private constructor(
    private readonly o: DurableJobsOptions,
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly kv: KV,
    private readonly blobs: ObjectStore,
    private readonly queues: Record<JobPriority, Consumer>,
  ) {}

  /** Connects, creates the bucket, store and streams if needed, and starts taking jobs. */
  static async start(o: DurableJobsOptions): Promise<DurableJobs> {
    const nc = await connectNats(o.access);
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    const keepMs = Math.max(1000, o.keepMs);
    const maxAge = keepMs * 1e6;
    const kv = await new Kvm(nc).create(JOBS_BUCKET, { history: 1, ttl: keepMs });
    const blobs = await new Objm(nc).create(BLOBS_STORE, { ttl: maxAge });
    await ensureStream(jsm, { name: EVENTS_STREAM, subjects: [eventsSubject('*')], max_age: maxAge });
    const queues = {} as Record<JobPriority, Consumer>;
    for (const priority of JOB_PRIORITIES) {
      const stream = QUEUE_STREAMS[priority];
      await ensureStream(jsm, { name: stream, subjects: [queueSubject(priority)], retention: RetentionPolicy.Workqueue, max_msgs: o.maxQueued, discard: DiscardPolicy.New, max_age: maxAge });
      const config = { durable_name: RUNNERS, ack_policy: AckPolicy.Explicit, ack_wait: o.ackWaitMs * 1e6, max_ack_pending: -1 };
      await jsm.consumers.add(stream, config).catch(() => jsm.consumers.update(stream, RUNNERS, { ack_wait: config.ack_wait }));
      queues[priority] = await js.consumers.get(stream, RUNNERS);
    }
    const jobs = new DurableJobs(o, nc, js, jsm, kv, blobs, queues);
    jobs.cancels = nc.subscribe(cancelSubject('*'), { callback: (_, m) => jobs.running.get(m.subject.slice(cancelSubject('').length))?.abort.abort() });
    jobs.taker = jobs.take();
    return jobs;
  }

  async submit(request: GenerateCall, clientJobId: string, tenant: Tenant): Promise<{ id: string; existing: boolean }> {
    const priority = jobPriority(request);
    const byClient = clientJobId ? clientKey(tenant.name, clientJobId) : '';
    const known = byClient ? await this.knownJob(byClient, tenant) : null;
    if (known) return { id: known, existing: true };
    if (!this.taking) throw new NodeUnavailableError('this coordinator', 'it is shutting down; submit to another coordinator (or retry)');
    this.quotas.admit(tenant, await this.inFlightOf(tenant), this.meanSeconds);
    const id = randomUUID();
    if (byClient) {
      try {
        await this.kv.create(byClient, id);
      } catch (error) {
        if (!isWrongRevision(error)) throw error;
        // Another coordinator took the same client job id a moment ago.
        const raced = await this.knownJob(byClient, tenant);
        if (raced) return { id: raced, existing: true };
        throw error;
      }
    }
    const key = jobKey(tenant.name, id);
    const record: JobRecord = {
      id,
      tenant: tenant.name,
      clientJobId,
      priority,
      state: 'queued',
      cancelRequested: false,
      queueSeq: 0,
      progress: { evaluation: 0, evaluations: 0, stage: '', step: 0, steps: 0, expert: '' },
      result: null,
      error: null,
      submittedMs: Date.now(),
      finishedMs: 0,
      takeovers: 0,
      retries: 0,
    };
    await this.blobs.putBlob({ name: `request.${id}` }, encodeMessage('GenerateRequest', generateRequestToWire(request)));
    await this.kv.create(key, JSON.stringify(record));
    const ahead = await this.waiting(priority);
    await this.js.publish(eventsSubject(id), encodeMessage('JobEvent', { seq: 1, state: { state: 'JOB_STATE_QUEUED', code: 0, message: '', queuePosition: ahead } }));
    try {
      const ack = await this.js.publish(queueSubject(priority), key);
      await this.update(key, (r) => ({ ...r, queueSeq: ack.seq }));
    } catch (error) {
      await this.forget(key, id, byClient);
      if ((error as { code?: number }).code === STREAM_FULL) {
        const waves = Math.ceil((this.o.maxQueued + 1) / Math.max(1, this.o.maxRunning));
        throw new ResourceExhaustedError(`the ${priority} queue is full: ${this.o.maxQueued} jobs waiting or running (limit --max-queued ${this.o.maxQueued}); retry later`, Math.max(1, Math.ceil(waves * this.meanSeconds)));
      }
      throw error;
    }
    const set = this.inFlight.get(tenant.name) ?? new Set<string>();
    set.add(key);
    this.inFlight.set(tenant.name, set);
    return { id, existing: false };
  }

  async get(id: string, tenant: Tenant): Promise<Job> {
    return this.toWire(await this.record(jobKey(tenant.name, requireId(id)), id));
  }

  async cancel(id: string, tenant: Tenant): Promise<Job> {
    const key = jobKey(tenant.name, requireId(id));
    const before = await this.record(key, id);
    if (isEnded(before.state)) return this.toWire(before);
    const after = await this.update(key, (r) => (isEnded(r.state) ? r : r.state === 'queued' ? { ...r, state: 'cancelled', finishedMs: Date.now() } : { ...r, cancelRequested: true }));
    if (after.state === 'cancelled' && before.state === 'queued') {
      // Nobody runs it: this coordinator ends it.
      const last = await this.lastEvent(id);
      await this.js.publish(eventsSubject(id), encodeMessage('JobEvent', { seq: Number(last?.seq ?? 0) + 1, state: { state: 'JOB_STATE_CANCELLED', code: 0, message: '' } }));
      await this.jsm.streams.deleteMessage(QUEUE_STREAMS[after.priority], after.queueSeq).catch(() => {});
    } else if (after.state === 'running') this.nc.publish(cancelSubject(id));
    return this.toWire(after);
  }

  async list(tenant: Tenant): Promise<Job[]> {
    const records: JobRecord[] = [];
    for await (const key of await this.kv.keys(`job.${digest(tenant.name, 16)}.*`)) {
      const entry = await this.kv.get(key);
      if (entry && entry.operation === 'PUT') records.push(entry.json<JobRecord>());
    }
    records.sort((a, b) => b.submittedMs - a.submittedMs);
    return Promise.all(records.map((r) => this.toWire(r)));
  }

  async watch(id: string, after: number, tenant: Tenant, onEvent: (event: JobEvent) => void, signal: AbortSignal): Promise<void> {
    await this.record(jobKey(tenant.name, requireId(id)), id);
    const last = await this.lastEvent(id);
    if (!last || (isLastEvent(last) && Number(last.seq) <= after) || signal.aborted) return;
    const consumer = await this.js.consumers.get(EVENTS_STREAM, { filter_subjects: eventsSubject(id) });
    const messages = await consumer.consume();
    const stop = () => void messages.stop();
    signal.addEventListener('abort', stop, { once: true });
    let seen = after;
    try {
      for await (const m of messages) {
        const event = decodeMessage('JobEvent', m.data);
        // Two coordinators that both believed they ran the job: the first of each number counts.
        if (Number(event.seq) <= seen) continue;
        seen = Number(event.seq);
        onEvent(event.result ? { ...event, result: { ...event.result, png: (await this.blobs.getBlob(`result.${id}`)) ?? new Uint8Array() } } : event);
        if (isLastEvent(event)) break;
      }
    } finally {
      signal.removeEventListener('abort', stop);
      stop();
    }
  }

  /**
   * Stops taking jobs and hands the running ones back to the queue (another coordinator resumes
   * each from its latest checkpoint). Resolves with how many were handed back.
   */
  async drain(): Promise<number> {
    this.taking = false;
    this.slotFreed();
    const handed = [...this.running.values()];
    for (const job of handed) {
      job.handBack = true;
      job.abort.abort();
    }
    while (this.taken > 0) await new Promise((r) => setTimeout(r, 20));
    await this.taker;
    return handed.length;
  }

  async close(): Promise<void> {
    await this.drain();
    this.cancels?.unsubscribe();
    await this.nc.drain().catch(() => {});
  }

  /** Pulls jobs while there is a free slot, interactive ones first, until draining. */
  private async take(): Promise<void> {
    while (this.taking) {
      if (this.taken >= this.o.maxRunning) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
        continue;
      }
      try {
        const message = (await this.queues.interactive.next({ expires: PULL_MS })) ?? (this.taking ? await this.queues.batch.next({ expires: PULL_MS }) : null);
        if (!message) continue;
        if (!this.taking) {
          message.nak();
          break;
        }
        this.taken++;
        void this.runMessage(message);
      } catch (error) {
        if (!this.taking || this.nc.isClosed()) break;
        log('coordinator', `cannot take jobs from the queue (retrying): ${(error as Error).message}`);
        await new Promise((r) => setTimeout(r, PULL_MS));
      }
    }
  }

  /** Runs the job a queue message names, start to end (or from its checkpoint), then acks it. */
  private async runMessage(message: JsMsg): Promise<void> {
    const key = message.string();
    const running: RunningJob = { abort: new AbortController(), handBack: false };
    const alive = setInterval(() => message.working(), Math.max(100, this.o.ackWaitMs / 3));
    let id = '';
    try {
      const entry = await this.kv.get(key);
      if (!entry || entry.operation !== 'PUT') return message.ack();
      id = entry.json<JobRecord>().id;
      this.running.set(id, running);
      // Draining began while this job was looked up: it goes back untouched.
      if (!this.taking) return message.nak();
      let record: JobRecord;
      try {
        record = await this.update(key, (r) => (isEnded(r.state) || r.cancelRequested ? r : { ...r, state: 'running', takeovers: r.takeovers + (r.state === 'running' ? 1 : 0) }));
      } catch {
        return message.nak();
      }
      const history = await this.history(id);
      if (isEnded(record.state)) return message.ack();
      let seq = history.lastSeq;
      const numbered = (event: Omit<JobEvent, 'seq'>) => encodeMessage('JobEvent', { seq: ++seq, ...event });
      const events: JobEvents = {
        publish: (event) => this.js.publish(eventsSubject(id), numbered(event)),
        // The stream stores a plain publish too, in order with the acknowledged ones on this connection.
        emit: (event) => this.nc.publish(eventsSubject(id), numbered(event)),
      };
      if (record.cancelRequested || record.takeovers > MAX_TAKEOVERS) {
        const error = record.cancelRequested ? null : { code: Status.ABORTED, details: `the coordinators running job ${id} died ${record.takeovers} times; it was not handed on again (submit it again)` };
        await this.end(key, error ? 'failed' : 'cancelled', error, events.publish);
        return message.ack();
      }
      const checkpoint = await this.blobs.getBlob(`checkpoint.${id}`);
      const resume = checkpoint ? decodeCheckpoint(checkpoint) : undefined;
      const from = resume ? (resume.sampler ? `base step ${resume.sampler.step}` : `phase ${resume.phase}`) : '';
      await events.publish({ state: { state: 'JOB_STATE_RUNNING', code: 0, message: resume ? `resumed by coordinator ${this.o.name()} from its checkpoint at ${from}` : `run by coordinator ${this.o.name()}` } });
      await this.runJob(key, record, resume, history, running, events);
      message.ack();
    } catch (error) {
      if (error instanceof RetryLater) message.nak(error.delayMs);
      else if (running.handBack) {
        await this.update(key, (r) => (isEnded(r.state) ? r : { ...r, state: 'queued' })).catch(() => {});
        message.nak();
      } else {
        log('coordinator', `job ${id || key}: cannot store its progress (it goes back to the queue): ${(error as Error).message}`);
        message.nak(this.o.ackWaitMs);
      }
    } finally {
      clearInterval(alive);
      this.running.delete(id);
      this.taken--;
      this.slotFreed();
    }
  }

  private async runJob(key: string, record: JobRecord, resume: JobCheckpoint | undefined, history: EventHistory, running: RunningJob, { publish, emit }: JobEvents): Promise<void> {
    const id = record.id;
    const wire = await this.blobs.getBlob(`request.${id}`);
    if (!wire) throw new Error(`the request of job ${id} is no longer stored`);
    const request = generateRequestFromWire(decodeMessage('GenerateRequest', wire));
    let progress = record.progress;
    const checkpoints = new CheckpointWriter(async (c) => {
      await this.blobs.putBlob({ name: `checkpoint.${id}` }, encodeCheckpoint(c));
      await this.update(key, (r) => ({ ...r, progress }));
    });
    const started = performance.now();
    try {
      const result = await this.o.run(
        request,
        {
          evaluation: ({ type: _, ...e }) => {
            progress = { evaluation: e.evaluation, evaluations: e.evaluations, stage: e.stage, step: e.step, steps: e.steps, expert: e.expert };
            if (request.progress !== 'none' && e.evaluation > history.lastEvaluation) emit({ evaluation: e });
          },
          preview: (stage, step, png) => {
            if (step > history.lastPreviewStep) emit({ preview: { stage, step, png } });
          },
          checkpoints: { every: this.o.checkpointEvery, save: (c) => checkpoints.save(c) },
        },
        running.abort.signal,
        resume,
      );
      await checkpoints.settled();
      this.meanSeconds = 0.9 * this.meanSeconds + 0.1 * ((performance.now() - started) / 1000);
      const { png, image: _, ...figures } = result;
      await this.blobs.putBlob({ name: `result.${id}` }, png instanceof Uint8Array ? png : new Uint8Array());
      await this.update(key, (r) => ({ ...r, state: 'succeeded', progress, result: figures, finishedMs: Date.now() }));
      await publish({ result: { ...figures, png: new Uint8Array() } });
      await this.blobs.delete(`checkpoint.${id}`).catch(() => {});
    } catch (error) {
      await checkpoints.settled();
      if (running.handBack) throw error;
      const cancelled = running.abort.signal.aborted;
      const status = toServiceError(error);
      if (!cancelled && RETRYABLE.includes(status.code) && record.retries < MAX_RETRIES) {
        const delayMs = RETRY_BASE_MS * 2 ** record.retries;
        await this.update(key, (r) => ({ ...r, state: 'queued', progress, retries: r.retries + 1 }));
        const message = `${status.details}; it goes back to the queue and resumes from its checkpoint in ${delayMs / 1000} s (retry ${record.retries + 1} of ${MAX_RETRIES})`;
        await publish({ state: { state: 'JOB_STATE_QUEUED', code: status.code, message, queuePosition: 0 } });
        throw new RetryLater(delayMs);
      }
      await this.end(key, cancelled ? 'cancelled' : 'failed', cancelled ? null : { code: status.code, details: status.details }, publish);
    }
  }

  /** Ends a job that did not succeed: its record, then its last event. */
  private async end(key: string, state: 'failed' | 'cancelled', error: JobRecord['error'], publish: (event: Omit<JobEvent, 'seq'>) => Promise<unknown>): Promise<void> {
    await this.update(key, (r) => ({ ...r, state, error, finishedMs: Date.now() }));
    await publish({ state: { state: state === 'failed' ? 'JOB_STATE_FAILED' : 'JOB_STATE_CANCELLED', code: error?.code ?? 0, message: error?.details ?? '' } });
  }

  /** The job a client job id names, if it is still kept. */
  private async knownJob(byClient: string, tenant: Tenant): Promise<string | null> {
    const entry = await this.kv.get(byClient);
    if (!entry || entry.operation !== 'PUT') return null;
    const id = entry.string();
    return (await this.kv.get(jobKey(tenant.name, id)))?.operation === 'PUT' ? id : null;
  }

  /** The tenant's jobs in flight that this coordinator accepted (those seen ended are dropped). */
  private async inFlightOf(tenant: Tenant): Promise<number> {
    const set = this.inFlight.get(tenant.name);
    if (!set || set.size < tenant.maxInFlight) return set?.size ?? 0;
    for (const key of set) {
      const entry = await this.kv.get(key);
      if (!entry || entry.operation !== 'PUT' || isEnded(entry.json<JobRecord>().state)) set.delete(key);
    }
    return set.size;
  }

  /** Undoes an accepted job whose queue message could not be written. */
  private async forget(key: string, id: string, byClient: string): Promise<void> {
    await this.kv.purge(key).catch(() => {});
    if (byClient) await this.kv.purge(byClient).catch(() => {});
    await this.jsm.streams.purge(EVENTS_STREAM, { filter: eventsSubject(id) }).catch(() => {});
    await this.blobs.delete(`request.${id}`).catch(() => {});
  }

  /** Jobs waiting in a priority's queue (not yet taken by any coordinator). */
  private async waiting(priority: JobPriority): Promise<number> {
    return (await this.queues[priority].info()).num_pending;
  }

  private async record(key: string, id: string): Promise<JobRecord> {
    const entry = await this.kv.get(key);
    if (!entry || entry.operation !== 'PUT') throw unknownJob(id);
    return entry.json<JobRecord>();
  }

  /** Changes a record by compare-and-set (retried when another coordinator changed it first). */
  private async update(key: string, change: (r: JobRecord) => JobRecord): Promise<JobRecord> {
    for (;;) {
      const entry = await this.kv.get(key);
      if (!entry || entry.operation !== 'PUT') throw new Error(`the record ${key} is no longer stored`);
      const next = change(entry.json<JobRecord>());
      try {
        await this.kv.update(key, JSON.stringify(next), entry.revision);
        return next;
      } catch (error) {
        if (!isWrongRevision(error)) throw error;
      }
    }
  }

  private async lastEvent(id: string): Promise<JobEvent__Output | null> {
    const m = await this.jsm.streams.getMessage(EVENTS_STREAM, { last_by_subj: eventsSubject(id) });
    return m ? decodeMessage('JobEvent', m.data) : null;
  }

  /** Reads a job's stored events: what a coordinator taking it over numbers on from. */
  private async history(id: string): Promise<EventHistory> {
    const history: EventHistory = { lastSeq: 0, lastEvaluation: 0, lastPreviewStep: 0, last: null };
    const last = await this.jsm.streams.getMessage(EVENTS_STREAM, { last_by_subj: eventsSubject(id) });
    if (!last) return history;
    const consumer = await this.js.consumers.get(EVENTS_STREAM, { filter_subjects: eventsSubject(id) });
    const messages = await consumer.consume();
    for await (const m of messages) {
      const e = decodeMessage('JobEvent', m.data);
      history.lastSeq = Math.max(history.lastSeq, Number(e.seq));
      if (e.evaluation) history.lastEvaluation = Math.max(history.lastEvaluation, e.evaluation.evaluation);
      if (e.preview) history.lastPreviewStep = Math.max(history.lastPreviewStep, e.preview.step);
      history.last = e;
      // The stored ones are read (more may come while another coordinator still runs it).
      if (m.seq >= last.seq || m.info.pending === 0) break;
    }
    await messages.stop();
    return history;
  }

  private async toWire(r: JobRecord): Promise<Job> {
    const last = await this.lastEvent(r.id);
    const png = r.result ? await this.blobs.getBlob(`result.${r.id}`) : null;
    return jobToWire({
      ...r,
      queuePosition: r.state === 'queued' ? await this.queuePosition(r) : 0,
      progress: last?.evaluation && r.state === 'running' ? last.evaluation : r.progress,
      result: r.result && { ...r.result, png: png ?? new Uint8Array() },
      lastSeq: Number(last?.seq ?? 0),
    });
  }

  /** Jobs ahead of a queued one, about: those its queue delivered since, and for a batch job every waiting interactive one. */
  private async queuePosition(r: JobRecord): Promise<number> {
    const info = await this.queues[r.priority].info();
    const ahead = Math.max(0, Math.min(info.num_pending - 1, r.queueSeq - info.delivered.stream_seq - 1));
    return ahead + (r.priority === 'batch' ? await this.waiting('interactive') : 0);
  }
}

/** Creates a stream, or brings an existing one to this configuration (the latest coordinator's flags win). */
async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.add(config);
  } catch {
    const { name, retention: _, ...rest } = config;
    await jsm.streams.update(name, rest);
  }
}

/** Writes a job's checkpoints one at a time, the latest first: one that comes while another is written replaces any waiting. */
class CheckpointWriter {
  private waiting: JobCheckpoint | null = null;
  private writing: Promise<void> | null = null;

  constructor(private readonly write: (checkpoint: JobCheckpoint) => Promise<void>) {}

  save(checkpoint: JobCheckpoint): void {
    this.waiting = checkpoint;
    this.writing ??= this.drain().finally(() => (this.writing = null));
  }

  /** Resolves when the latest checkpoint is written (failures are logged: the previous one stands). */
  async settled(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    while (this.waiting) {
      const next = this.waiting;
      this.waiting = null;
      await this.write(next).catch((error) => log('coordinator', `a checkpoint was not stored (the previous one stands): ${(error as Error).message}`));
    }
  }
}
