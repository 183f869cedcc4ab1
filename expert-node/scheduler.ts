/**
 * Who runs an evaluation and when. The service hands an evaluation to `enqueue` and owns it again
 * when the returned promise settles; until then the scheduler owns it. `cancel` drops an
 * evaluation that has not started (its promise rejects with an AbortError); one already in a
 * running batch finishes and its result is discarded by the caller.
 */
import type { GuidedCall } from '../common/runtime/guided.ts';

export interface Scheduler {
  enqueue(key: string, call: GuidedCall): Promise<Float32Array>;
  cancel(key: string): void;
  /** Evaluations waiting to run. */
  readonly queued: number;
  /** Rejects everything queued; later enqueues reject too. */
  stop(): void;
}

/** Runs a batch of evaluations (one model call, or a simulation of one); answers in call order. */
export type Executor = (calls: readonly GuidedCall[]) => Promise<Float32Array[]>;

export interface BatcherOptions {
  /** Largest batch, in model rows (an evaluation with guidance takes 2); a batch always takes at least one evaluation. */
  maxBatch: number;
  /** Longest an evaluation waits for a fuller batch, from its arrival. */
  maxDelayMs: number;
  /** Model rows an evaluation takes. */
  rowsOf: (call: GuidedCall) => number;
  /**
   * Evaluations of different keys never share a batch: they could not be stacked (latents of
   * different sizes) or run in one call (different sigmas, for a model that takes one per call).
   */
  batchKey: (call: GuidedCall) => string;
}

/** The usual batch key: evaluations batch when their samples have the same shape (and, if `oneSigmaPerCall`, the same sigma). */
export const batchKeyOf = (oneSigmaPerCall: boolean) => (call: GuidedCall) => (oneSigmaPerCall ? `${call.dims.join('x')}@${call.sigma}` : call.dims.join('x'));

export interface SchedulerHooks {
  /** After each batch: its rows, each evaluation's wait in seconds, the batch's compute seconds. */
  onBatch?: (rows: number, queueSeconds: number[], computeSeconds: number) => void;
  onDepth?: (depth: number) => void;
}

interface Queued {
  key: string;
  call: GuidedCall;
  rows: number;
  batchKey: string;
  enqueuedAt: number;
  resolve: (d: Float32Array) => void;
  reject: (e: Error) => void;
}

const abortError = (message: string) => Object.assign(new Error(message), { name: 'AbortError' });

/**
 * Triton-style dynamic batcher: evaluations (from any job) are gathered until the batch holds
 * `maxBatch` rows or the oldest has waited `maxDelayMs`, then run in one executor call. One
 * batch runs at a time, as on one GPU.
 *
 * It also stops waiting once as many evaluations are queued as the last batch ran: a job sends
 * its next evaluation as soon as it gets the previous answer, so the jobs of the last batch are
 * the ones expected back. A lone job therefore never waits for company that will not come, while
 * concurrent jobs still share model calls.
 */
export class DynamicBatcher implements Scheduler {
  private readonly queue: Queued[] = [];
  private running = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  /** Evaluations in the last batch: how many to expect back before running the next. */
  private expected = 1;

  constructor(
    private readonly execute: Executor,
    private readonly options: BatcherOptions,
    private readonly hooks: SchedulerHooks = {},
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  /** Nothing queued and no batch running. */
  get idle(): boolean {
    return !this.running && this.queue.length === 0;
  }

  enqueue(key: string, call: GuidedCall): Promise<Float32Array> {
    if (this.stopped) return Promise.reject(abortError('the node is stopping'));
    return new Promise((resolve, reject) => {
      this.queue.push({ key, call, rows: this.options.rowsOf(call), batchKey: this.options.batchKey(call), enqueuedAt: performance.now(), resolve, reject });
      this.hooks.onDepth?.(this.queue.length);
      this.schedule();
    });
  }

  cancel(key: string): void {
    const i = this.queue.findIndex((q) => q.key === key);
    if (i < 0) return;
    const [item] = this.queue.splice(i, 1);
    this.hooks.onDepth?.(this.queue.length);
    item!.reject(abortError(`evaluation ${key} was cancelled`));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const item of this.queue.splice(0)) item.reject(abortError('the node is stopping'));
    this.hooks.onDepth?.(0);
  }

  private queuedRows(): number {
    return this.queue.reduce((n, q) => n + q.rows, 0);
  }

  /** Runs a batch now if it is full or the oldest evaluation has waited long enough, else waits. */
  private schedule(): void {
    if (this.running || this.queue.length === 0) return;
    const waited = performance.now() - this.queue[0]!.enqueuedAt;
    if (this.queuedRows() >= this.options.maxBatch || this.queue.length >= this.expected || waited >= this.options.maxDelayMs) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      void this.runBatch();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.schedule();
      }, this.options.maxDelayMs - waited);
    }
  }

  private async runBatch(): Promise<void> {
    this.running = true;
    // The oldest evaluation, and those after it of its batch key, in order, while they fit.
    const first = this.queue.shift()!;
    const batch: Queued[] = [first];
    let rows = first.rows;
    for (let i = 0; i < this.queue.length && rows < this.options.maxBatch; ) {
      const item = this.queue[i]!;
      if (item.batchKey !== first.batchKey) i++;
      else if (rows + item.rows > this.options.maxBatch) break;
      else {
        this.queue.splice(i, 1);
        batch.push(item);
        rows += item.rows;
      }
    }
    this.hooks.onDepth?.(this.queue.length);
    this.expected = batch.length;
    const started = performance.now();
    try {
      const results = await this.execute(batch.map((q) => q.call));
      this.hooks.onBatch?.(rows, batch.map((q) => (started - q.enqueuedAt) / 1000), (performance.now() - started) / 1000);
      batch.forEach((q, i) => q.resolve(results[i]!));
    } catch (error) {
      for (const q of batch) q.reject(error as Error);
    } finally {
      this.running = false;
      this.schedule();
    }
  }
}
