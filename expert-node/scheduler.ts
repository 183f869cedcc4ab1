/**
 * Who runs an evaluation and when. The service hands an evaluation to `enqueue` and owns it again
 * when the returned promise settles; until then the scheduler owns it. `cancel` drops an
 * evaluation that has not started (its promise rejects with an AbortError); one already running
 * finishes and its result is discarded by the caller.
 *
 * This scheduler runs one evaluation at a time, in arrival order.
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

interface Queued {
  key: string;
  call: GuidedCall;
  enqueuedAt: number;
  resolve: (d: Float32Array) => void;
  reject: (e: Error) => void;
}

export interface SchedulerHooks {
  /** Seconds waited in the queue and spent computing, for each evaluation run. */
  onRun?: (queueSeconds: number, computeSeconds: number) => void;
  onDepth?: (depth: number) => void;
}

const abortError = (message: string) => Object.assign(new Error(message), { name: 'AbortError' });

export class SerialScheduler implements Scheduler {
  private readonly queue: Queued[] = [];
  private running = false;
  private stopped = false;

  constructor(
    private readonly run: (call: GuidedCall) => Promise<Float32Array>,
    private readonly hooks: SchedulerHooks = {},
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  enqueue(key: string, call: GuidedCall): Promise<Float32Array> {
    if (this.stopped) return Promise.reject(abortError('the node is stopping'));
    return new Promise((resolve, reject) => {
      this.queue.push({ key, call, enqueuedAt: performance.now(), resolve, reject });
      this.hooks.onDepth?.(this.queue.length);
      void this.drain();
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
    for (const item of this.queue.splice(0)) item.reject(abortError('the node is stopping'));
    this.hooks.onDepth?.(0);
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let item = this.queue.shift(); item; item = this.queue.shift()) {
        this.hooks.onDepth?.(this.queue.length);
        const started = performance.now();
        try {
          const denoised = await this.run(item.call);
          this.hooks.onRun?.((started - item.enqueuedAt) / 1000, (performance.now() - started) / 1000);
          item.resolve(denoised);
        } catch (error) {
          item.reject(error as Error);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
