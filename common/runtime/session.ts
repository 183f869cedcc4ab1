/**
 * Model sessions off the event loop. onnxruntime-node's `session.run` is synchronous native code
 * behind a Promise: a 1 s UNet step would stop the node answering gRPC, health checks and NATS
 * heartbeats for that second. So each session lives in a worker thread of its own
 * (session-worker.ts); this side posts feeds and awaits outputs, and its event loop stays free
 * while a model runs. Several calls may be posted at once: the worker runs them one at a time.
 *
 * Execution providers come from EDIFF_EXECUTION_PROVIDERS (comma separated, e.g. "cuda,cpu";
 * default "cpu") and are tried in order: a provider that fails to load (CUDA files missing)
 * throws, so the next one is tried.
 *
 * Intra-op threads do not spin-wait for work by default (EDIFF_ORT_SPIN=1 turns spinning back
 * on): several sessions and processes share the cores, and a spinning idle session burns them.
 * Measured: 100 runs 5 ms apart cost 777 ms of CPU spinning, 227 ms not, for the same wall time.
 */
import type { Worker } from 'node:worker_threads';
import { startTypeScriptWorker } from '../process/worker.ts';
import type { Feed, FromSessionWorker, SessionWorkerData, ToSessionWorker, ValueMetadata } from './session-messages.ts';

export type { Feed, ValueMetadata } from './session-messages.ts';

const ENTRY = new URL('./session-worker.ts', import.meta.url);

export function executionProviders(): string[] {
  return (process.env.EDIFF_EXECUTION_PROVIDERS ?? 'cpu')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

export class ModelSession {
  private readonly pending = new Map<number, { resolve: (outputs: Record<string, Feed>) => void; reject: (error: Error) => void }>();
  private nextCall = 1;
  private exited: Error | null = null;

  private constructor(
    readonly file: string,
    private readonly worker: Worker,
    /** The model's inputs, as onnxruntime reads them (names, element types, dims). */
    readonly inputMetadata: readonly ValueMetadata[],
    readonly outputMetadata: readonly ValueMetadata[],
    /** A float16 model that runs in float32 (see upcast.ts). */
    readonly upcast: boolean,
  ) {
    worker.on('message', (m: FromSessionWorker) => {
      if (m.type !== 'result' && m.type !== 'error') return;
      const call = this.pending.get(m.call);
      this.pending.delete(m.call);
      if (m.type === 'result') call?.resolve(m.outputs);
      else call?.reject(new Error(`${file}: ${m.message}`));
    });
    worker.on('exit', (code) => {
      this.exited = new Error(`${file}: the model's thread stopped (exit code ${code})`);
      for (const call of this.pending.values()) call.reject(this.exited);
      this.pending.clear();
    });
  }

  /**
   * Loads the model at `file` (by path, so onnxruntime finds external data beside it) in a new
   * worker thread; with `upcast`, a float16 model is rewritten to float32 first where it can be.
   */
  static load(file: string, options: { upcast?: boolean } = {}): Promise<ModelSession> {
    const data: SessionWorkerData = { file, providers: executionProviders(), spin: process.env.EDIFF_ORT_SPIN === '1', upcast: options.upcast ?? false };
    const worker = startTypeScriptWorker(ENTRY, data);
    return new Promise((resolve, reject) => {
      const fail = (error: Error) => {
        worker.off('message', ready);
        void worker.terminate();
        reject(error);
      };
      const ready = (m: FromSessionWorker) => {
        if (m.type === 'failed') return fail(new Error(m.message));
        if (m.type !== 'ready') return;
        worker.off('message', ready);
        worker.off('error', fail);
        resolve(new ModelSession(file, worker, m.inputs, m.outputs, m.upcast));
      };
      worker.on('message', ready);
      worker.once('error', fail);
    });
  }

  /**
   * Runs the model. Each feed is cast to the element type its input declares (float32 to
   * float16, int32 and int64 either way); float16 outputs come back as float32. With `move`, the
   * feeds' buffers are moved to the model's thread rather than copied (the caller must not use
   * them again: they are detached); the outputs always come back moved.
   */
  run(feeds: Record<string, Feed>, outputs: string[], move = false): Promise<Record<string, Feed>> {
    if (this.exited) return Promise.reject(this.exited);
    const call = this.nextCall++;
    return new Promise((resolve, reject) => {
      this.pending.set(call, { resolve, reject });
      const transfer = move ? [...new Set(Object.values(feeds).map((f) => f.data.buffer as ArrayBuffer))] : [];
      this.worker.postMessage({ type: 'run', call, feeds, outputs } satisfies ToSessionWorker, transfer);
    });
  }

  /** Runs the model and returns the named outputs, which must be floating-point. */
  async runFloat(feeds: Record<string, Feed>, outputs: string[], move = false): Promise<Record<string, Float32Array>> {
    const result = await this.run(feeds, outputs, move);
    return Object.fromEntries(
      outputs.map((name) => {
        const data = result[name]!.data;
        if (!(data instanceof Float32Array)) throw new Error(`${this.file}: output ${name} is not floating-point`);
        return [name, data];
      }),
    );
  }

  async release(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage({ type: 'release' } satisfies ToSessionWorker);
    await exited;
  }
}
