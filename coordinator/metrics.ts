/** The coordinator's metrics (names in ../shared/DESIGN.md). */
import { LATENCY_BUCKETS, prom } from '../common/metrics.ts';
import type { Registry } from 'prom-client';
import type { EncodingCache } from './encoding-cache.ts';

export function coordinatorMetrics(registry: Registry, encodings: EncodingCache) {
  new prom.Counter({
    name: 'ediff_encoding_cache_lookups_total',
    help: "Branch encodings looked up in the coordinator's cache, by result.",
    labelNames: ['result'],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ result: 'hit' }, encodings.hits);
      this.inc({ result: 'miss' }, encodings.misses);
    },
  });
  new prom.Gauge({
    name: 'ediff_encoding_cache_bytes',
    help: "Bytes of encoded branches in the coordinator's cache.",
    registers: [registry],
    collect() {
      this.set(encodings.bytes);
    },
  });
  return {
    jobs: new prom.Counter({ name: 'ediff_jobs_total', help: 'Generate jobs by outcome (ok, cancelled, or a gRPC status code).', labelNames: ['outcome'], registers: [registry] }),
    jobSeconds: new prom.Histogram({ name: 'ediff_job_seconds', help: 'Wall time of a Generate job that completed.', buckets: LATENCY_BUCKETS, registers: [registry] }),
    jobsInFlight: new prom.Gauge({ name: 'ediff_jobs_in_flight', help: 'Generate jobs running now.', registers: [registry] }),
    evaluations: new prom.Counter({ name: 'ediff_routed_evaluations_total', help: 'Network evaluations routed, by expert and replica.', labelNames: ['stage', 'expert', 'replica'], registers: [registry] }),
    retries: new prom.Counter({ name: 'ediff_retries_total', help: 'Calls retried on another replica after theirs failed.', labelNames: ['role', 'name'], registers: [registry] }),
    errors: new prom.Counter({ name: 'ediff_errors_total', help: 'Failed requests by gRPC status code.', labelNames: ['code'], registers: [registry] }),
  };
}

export type CoordinatorMetrics = ReturnType<typeof coordinatorMetrics>;
