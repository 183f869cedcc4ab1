/** The coordinator's job threads, main side, against a stand-in thread (test/helpers/fake-job-thread.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { Status } from '../../common/grpc/status.ts';
import { EncodingCache } from '../../coordinator/encoding-cache.ts';
import { JobThreads } from '../../coordinator/job-threads.ts';
import { coordinatorMetrics } from '../../coordinator/metrics.ts';

function threads(count: number) {
  const registry = new Registry();
  const encoded: string[] = [];
  const encodings = new EncodingCache(0);
  const jobs = new JobThreads({
    threads: count,
    data: { pack: 'unused', evaluationTimeoutMs: 1000, encodingCacheBytes: 0, nodeTls: null },
    encode: async (request) => {
      encoded.push(request.prompt);
      if (request.prompt === 'refused') throw Object.assign(new Error('x'), { code: Status.INVALID_ARGUMENT, details: 'prompt: refused' });
      return { conditioning: {}, warnings: [] };
    },
    encodings,
    metrics: coordinatorMetrics(registry, encodings),
    entry: new URL('../helpers/fake-job-thread.ts', import.meta.url),
  });
  return { jobs, registry, encoded, encodings };
}

const run = (jobs: JobThreads, prompt: string) => jobs.run({ prompt }, {}, new AbortController().signal);

test('job threads: jobs run, encode on the main thread, and their counts reach the metrics and the cache', async () => {
  const { jobs, registry, encoded, encodings } = threads(2);
  try {
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((p) => run(jobs, p)));
    assert.deepEqual(results.map((r) => [...r.image.data]), [[0.5], [0.5], [0.5], [0.5]]);
    assert.deepEqual(encoded.sort(), ['a', 'b', 'c', 'd']);
    const routed = (await registry.getSingleMetric('ediff_routed_evaluations_total')!.get()).values;
    assert.equal(routed.reduce((n, v) => n + v.value, 0), 12);
    assert.equal(encodings.hits, 4, "lookups the threads' own caches answered count as the coordinator's hits");
    // An encoding error keeps its status across the thread boundary.
    await assert.rejects(run(jobs, 'refused'), (e: { code: number; details: string }) => e.code === Status.INVALID_ARGUMENT && e.details === 'prompt: refused');
  } finally {
    await jobs.close();
  }
});

test('job threads: a thread that dies fails its jobs with INTERNAL and is replaced, with the membership', async () => {
  const { jobs } = threads(1);
  try {
    jobs.membership({ op: 'add', role: 'expert', name: 'low', address: 'a:1' });
    jobs.membership({ op: 'add', role: 'expert', name: 'low', address: 'a:2' });
    jobs.membership({ op: 'remove', role: 'expert', name: 'low', address: 'a:1' });
    jobs.membership({ op: 'add', role: 'encoder', name: 'encoder', address: 'e:1' });
    assert.deepEqual([...(await jobs.load()).keys()], ['a:2']);
    await assert.rejects(run(jobs, 'crash'), (e: { code: number; details: string }) => e.code === Status.INTERNAL && /job thread stopped \(a bug in a job thread\).*submit it again/.test(e.details));
    // The replacement thread serves jobs, and knows the replicas.
    assert.deepEqual([...(await run(jobs, 'after')).image.data], [0.5]);
    assert.deepEqual([...(await jobs.load()).keys()], ['a:2']);
  } finally {
    await jobs.close();
  }
});
