/** The expert node's metrics (names in ../shared/DESIGN.md). */
import { LATENCY_BUCKETS, prom } from '../common/metrics.ts';
import type { Registry } from 'prom-client';

export function expertMetrics(registry: Registry, expert: string) {
  const labels = { expert };
  const queueDepth = new prom.Gauge({ name: 'ediff_expert_queue_depth', help: 'Evaluations waiting to run on this expert node.', labelNames: ['expert'], registers: [registry] });
  const batchSize = new prom.Histogram({ name: 'ediff_expert_batch_size', help: 'Samples per model call (cond and uncond count as two).', labelNames: ['expert'], buckets: [1, 2, 4, 8, 16, 32, 64], registers: [registry] });
  const queueSeconds = new prom.Histogram({ name: 'ediff_expert_queue_seconds', help: 'Time an evaluation waited before its model call.', labelNames: ['expert'], buckets: LATENCY_BUCKETS, registers: [registry] });
  const computeSeconds = new prom.Histogram({ name: 'ediff_expert_compute_seconds', help: 'Time of the model call that ran an evaluation.', labelNames: ['expert'], buckets: LATENCY_BUCKETS, registers: [registry] });
  const evaluations = new prom.Counter({ name: 'ediff_expert_evaluations_total', help: 'Evaluations this expert node completed.', labelNames: ['expert'], registers: [registry] });
  const conditioningUploads = new prom.Counter({ name: 'ediff_expert_conditioning_uploads_total', help: 'Conditioning uploads received.', labelNames: ['expert'], registers: [registry] });
  const conditioningBytes = new prom.Gauge({ name: 'ediff_expert_conditioning_bytes', help: 'Bytes of conditioning held in the cache.', labelNames: ['expert'], registers: [registry] });
  const errors = new prom.Counter({ name: 'ediff_errors_total', help: 'Failed requests by gRPC status code.', labelNames: ['code'], registers: [registry] });
  return {
    queueDepth: queueDepth.labels(labels),
    batchSize: batchSize.labels(labels),
    queueSeconds: queueSeconds.labels(labels),
    computeSeconds: computeSeconds.labels(labels),
    evaluations: evaluations.labels(labels),
    conditioningUploads: conditioningUploads.labels(labels),
    conditioningBytes: conditioningBytes.labels(labels),
    errors,
  };
}

export type ExpertMetrics = ReturnType<typeof expertMetrics>;
