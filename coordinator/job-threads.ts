/**
 * The coordinator's job threads, seen from the main thread. A job runs on one thread, the one
 * with the fewest jobs; each thread mirrors the cluster's expert and SR replicas (its own pools and
 * streams), asks the main thread to encode branches (one shared encoding cache), and reports the
 * counts behind the metrics. A thread that dies fails its jobs with INTERNAL and is replaced
 * (unless five in a row died within 10 s of starting: then the process exits).
 */
import type { Worker } from 'node:worker_threads';
import { errorFromStatus, Status, toServiceError } from '../common/grpc/status.ts';
import type { GenerateCall } from '../common/grpc/generate-request.ts';
import { log } from '../common/process/node-process.ts';
import { startTypeScriptWorker } from '../common/process/worker.ts';
import type { GenerateResult, JobCheckpoint, ProgressEvent } from '../common/pipeline/job.ts';
import type { Tensor } from '../common/tensor.ts';
import type { MembershipChange } from './backend.ts';
import type { EncodingCache } from './encoding-cache.ts';
import type { FromJobThread, JobThreadData, NodeLoad, ToJobThread } from './job-messages.ts';
import type { CoordinatorMetrics } from './metrics.ts';
import type { BranchRequest, EncodedBranch } from '../common/pipeline/conditioning.ts';

export interface JobThreadsOptions {
  /** How many threads. */
  threads: number;
  /** What every thread starts from. */
  data: JobThreadData;
  /** Encodes a branch (the main thread's backend, with the shared cache). */
  encode: (request: BranchRequest) => Promise<EncodedBranch>;
  /** The main thread's encoding cache (the threads report the lookups their own caches answered). */
  encodings: EncodingCache;
  metrics: CoordinatorMetrics;
  /** The threads' module. @default coordinator/job-thread.ts */
  entry?: URL;
}

export interface JobEvents {
  /** Each evaluation, when the request asked for progress. */
  onProgress?: (event: Extract<ProgressEvent, { type: 'evaluation' }>) => void;
  /** The denoised estimate every `previewEvery` base steps. */
  onPreview?: (step: number, image: Tensor) => void;
  /** Checkpoints every `every` base steps and at every phase boundary (common/pipeline/job.ts). */
  checkpoints?: { every: number; save: (checkpoint: JobCheckpoint) => void };
  /** Start from this checkpoint of the same request. */
  resume?: JobCheckpoint;
}

interface RunningJob extends JobEvents {
  resolve: (result: GenerateResult) => void;
  reject: (error: Error) => void;
}

interface JobThread {
  worker: Worker;
  jobs: Map<number, RunningJob>;
  loads: Map<number, (nodes: NodeLoad[]) => void>;
}

const ENTRY = new URL('./job-thread.ts', import.meta.url);
/** A thread that stops this soon after starting counts towards MAX_QUICK_FAILURES. */
const QUICK_FAILURE_MS = 10_000;
const MAX_QUICK_FAILURES = 5;

export class JobThreads {
  private readonly threads: JobThread[] = [];
  /** The expert and SR replicas now, by role/name/address: what a new thread is told first. */
  private readonly members = new Map<string, MembershipChange[]>();
  private nextId = 1;
  private nextCall = 1;
  private closed = false;
  /** Threads in a row that stopped soon after starting. */
  private quickFailures = 0;

  constructor(private readonly o: JobThreadsOptions) {
    for (let i = 0; i < o.threads; i++) this.threads.push(this.start());
  }

  /** Mirrors a change of the main thread's membership on every thread. */
  membership(change: MembershipChange): void {
    if (change.role === 'encoder') return;
    const key = `${change.role}/${change.name}/${change.address}`;
    if (change.op === 'remove') this.members.delete(key);
    else if (change.op === 'add') this.members.set(key, [change]);
    else this.members.get(key)?.push(change);
    for (const t of this.threads) this.post(t, { type: 'membership', change });
  }

  /** Runs a job on the least busy thread (from a checkpoint when `events.resume`). Aborting `signal` cancels it (it rejects with CANCELLED). */
  run(request: GenerateCall, events: JobEvents, signal: AbortSignal): Promise<GenerateResult> {
    const thread = this.threads.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
    const id = this.nextId++;
    const cancel = () => this.post(thread, { type: 'cancel', id });
    return new Promise<GenerateResult>((resolve, reject) => {
      thread.jobs.set(id, { ...events, resolve, reject });
      this.post(thread, { type: 'job', id, request, progress: request.progress !== 'none', previewEvery: request.previewEvery ?? 0, checkpointEvery: events.checkpoints?.every ?? null, resume: events.resume ?? null });
      if (signal.aborted) cancel();
      else signal.addEventListener('abort', cancel, { once: true });
    }).finally(() => signal.removeEventListener('abort', cancel));
  }

  /** Outstanding and completed calls per replica address, summed over the threads. */
  async load(): Promise<Map<string, NodeLoad>> {
    const reports = await Promise.all(
      this.threads.map(
        (t) =>
          new Promise<NodeLoad[]>((resolve) => {
            const call = this.nextCall++;
            t.loads.set(call, resolve);
            this.post(t, { type: 'load', call });
          }),
      ),
    );
    const total = new Map<string, NodeLoad>();
    for (const n of reports.flat()) {
      const sum = total.get(n.address);
      if (sum) {
        sum.outstanding += n.outstanding;
        sum.completed += n.completed;
      } else total.set(n.address, { ...n });
    }
    return total;
  }

  /** Stops every thread: each closes its node connections and exits (terminated after `graceMs`). */
  async close(graceMs = 2000): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.threads.map(async (t) => {
        const exited = new Promise<void>((resolve) => t.worker.once('exit', () => resolve()));
        this.post(t, { type: 'stop' });
        const timer = setTimeout(() => void t.worker.terminate(), graceMs);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  private post(thread: JobThread, message: ToJobThread): void {
    thread.worker.postMessage(message);
  }

  private start(): JobThread {
    const thread: JobThread = { worker: startTypeScriptWorker(this.o.entry ?? ENTRY, this.o.data), jobs: new Map(), loads: new Map() };
    for (const changes of this.members.values()) for (const change of changes) this.post(thread, { type: 'membership', change });
    thread.worker.on('message', (m: FromJobThread) => this.receive(thread, m));
    let failure: Error | null = null;
    thread.worker.on('error', (error) => (failure = error));
    const startedAt = Date.now();
    thread.worker.on('exit', (code) => {
      const reason = failure ? failure.message : `exit code ${code}`;
      for (const job of thread.jobs.values()) job.reject(errorFromStatus({ code: Status.INTERNAL, details: `the coordinator's job thread stopped (${reason}); the job was lost, submit it again` }));
      for (const resolve of thread.loads.values()) resolve([]);
      if (this.closed) return;
      // A thread that cannot even start would be replaced forever: stop, so that the process
      // supervisor (Kubernetes) sees the failure.
      this.quickFailures = Date.now() - startedAt < QUICK_FAILURE_MS ? this.quickFailures + 1 : 0;
      if (this.quickFailures >= MAX_QUICK_FAILURES) {
        log('coordinator', `job threads keep stopping within ${QUICK_FAILURE_MS / 1000} s of starting (last: ${reason}); exiting`);
        process.exit(1);
      }
      log('coordinator', `a job thread stopped (${reason}); starting another`);
      this.threads[this.threads.indexOf(thread)] = this.start();
    });
    return thread;
  }

  private receive(thread: JobThread, m: FromJobThread): void {
    switch (m.type) {
      case 'encode':
        this.o.encode(m.request).then(
          (encoded) => this.post(thread, { type: 'encoded', call: m.call, encoded }),
          (error) => this.post(thread, { type: 'encoded', call: m.call, error: toServiceError(error) }),
        );
        break;
      case 'progress':
        thread.jobs.get(m.id)?.onProgress?.(m.event);
        break;
      case 'preview':
        thread.jobs.get(m.id)?.onPreview?.(m.step, m.image);
        break;
      case 'checkpoint':
        thread.jobs.get(m.id)?.checkpoints?.save(m.checkpoint);
        break;
      case 'done':
      case 'failed': {
        const job = thread.jobs.get(m.id);
        thread.jobs.delete(m.id);
        if (m.type === 'done') job?.resolve(m.result);
        else job?.reject(errorFromStatus(m.error));
        break;
      }
      case 'counts':
        for (const [labels, n] of m.evaluations) this.o.metrics.evaluations.inc(labels, n);
        for (const [labels, n] of m.retries) this.o.metrics.retries.inc(labels, n);
        this.o.encodings.countHits(m.encodingHits);
        break;
      case 'load':
        thread.loads.get(m.call)?.(m.nodes);
        thread.loads.delete(m.call);
        break;
    }
  }
}
