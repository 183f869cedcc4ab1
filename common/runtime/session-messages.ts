/** What a model session (session.ts) and its worker thread (session-worker.ts) say to each other. */

/** A tensor's data and dims as it crosses the thread boundary. */
export interface Feed {
  data: Float32Array | BigInt64Array | Int32Array;
  dims: readonly number[];
}

/** An input or output of the model, as onnxruntime's session metadata gives it. */
export interface ValueMetadata {
  name: string;
  isTensor: boolean;
  /** float32 | float16 | int64 | int32 | ... ('' for a non-tensor value). */
  type: string;
  /** Fixed sizes, or the exporter's symbolic dim names; [] for a scalar. */
  shape: (number | string)[];
}

export interface SessionWorkerData {
  file: string;
  /** Execution providers, tried in order. */
  providers: string[];
  /** Let onnxruntime's intra-op threads spin-wait for work. */
  spin: boolean;
  /** Run a float16 model in float32 (see upcast.ts), where it can be rewritten. */
  upcast: boolean;
}

export type ToSessionWorker = { type: 'run'; call: number; feeds: Record<string, Feed>; outputs: string[] } | { type: 'release' };

export type FromSessionWorker =
  | { type: 'ready'; inputs: ValueMetadata[]; outputs: ValueMetadata[]; upcast: boolean }
  | { type: 'failed'; message: string }
  | { type: 'result'; call: number; outputs: Record<string, Feed> }
  | { type: 'error'; call: number; message: string };
