/**
 * Executors: what runs a batch on an expert node.
 * - `onnx`: the expert's model on onnxruntime-node (the default).
 * - `simulated-gpu`: runs the model, then holds the batch until a latency model a + b * rows (ms)
 *   has passed, so that scheduling can be studied on a small CPU machine as if each node had its
 *   own GPU (a benchmark tool; see bench/README.md).
 * - `instant`: no model; returns D = x at once (the identity denoiser), to measure the transport
 *   and the coordinator alone.
 */
import type { ExpertModel } from '../common/runtime/expert.ts';
import { guidedBatchEvaluation, rowsOf, type GuidedCall } from '../common/runtime/guided.ts';
import type { Executor } from './scheduler.ts';

export const EXECUTORS = ['onnx', 'simulated-gpu', 'instant'] as const;
export type ExecutorName = (typeof EXECUTORS)[number];

export interface LatencyModel {
  /** Fixed cost of a batch, ms. */
  a: number;
  /** Cost per row, ms. */
  b: number;
}

export function createExecutor(name: ExecutorName, model: ExpertModel | null, latency: LatencyModel | null): Executor {
  switch (name) {
    case 'onnx':
      return (calls) => guidedBatchEvaluation(model!, calls);
    case 'instant':
      return async (calls) => calls.map((c) => c.x);
    case 'simulated-gpu': {
      const { a, b } = latency!;
      return async (calls: readonly GuidedCall[]) => {
        const started = performance.now();
        const out = await guidedBatchEvaluation(model!, calls);
        const rows = calls.reduce((n, c) => n + rowsOf(model!.spec, c), 0);
        const left = started + a + b * rows - performance.now();
        if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
        return out;
      };
    }
  }
}
