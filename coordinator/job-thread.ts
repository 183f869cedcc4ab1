/**
 * A coordinator job thread (a worker_thread): runs whole jobs, each with `runJob` as in process,
 * on its own replica pools and Denoise streams, so that the samplers and the transport of many
 * jobs use every core. The main thread sends it the jobs, the membership changes and the encoded
 * branches; it sends back events, results and counts (coordinator/job-messages.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errorFromStatus, toServiceError } from '../common/grpc/status.ts';
import { log } from '../common/process/node-process.ts';
import { nodeCredentials } from '../common/grpc/tls.ts';
import { loadPack } from '../common/pack/load.ts';
import { runJob } from '../common/pipeline/job.ts';
import { ClusterBackend } from './backend.ts';
import { EncodingCache } from './encoding-cache.ts';
import type { FromJobThread, JobThreadData, ToJobThread } from './job-messages.ts';
import type { BranchRequest, EncodedBranch } from '../common/pipeline/conditioning.ts';

/** How often counts go to the main thread while jobs run (they also go before every result). */
const COUNTS_MS = 250;

const port = parentPort!;
const data = workerData as JobThreadData;
const send = (message: FromJobThread, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

/** Encodings asked of the main thread, by call number. */
const pendingEncodings = new Map<number, { resolve: (e: EncodedBranch) => void; reject: (e: Error) => void }>();
let nextCall = 1;
function encode(request: BranchRequest): Promise<EncodedBranch> {
  const call = nextCall++;
  return new Promise((resolve, reject) => {
    pendingEncodings.set(call, { resolve, reject });
    send({ type: 'encode', call, request });
  });
}

const evaluations = new Map<string, [{ stage: string; expert: string; replica: string }, number]>();
const retries = new Map<string, [{ role: string; name: string }, number]>();
const cache = new EncodingCache(data.encodingCacheBytes);
let reportedHits = 0;
let countsTimer: NodeJS.Timeout | null = null;
function flushCounts(): void {
  if (countsTimer) clearTimeout(countsTimer);
  countsTimer = null;
  const encodingHits = cache.hits - reportedHits;
  if (evaluations.size === 0 && retries.size === 0 && encodingHits === 0) return;
  send({ type: 'counts', evaluations: [...evaluations.values()], retries: [...retries.values()], encodingHits });
  evaluations.clear();
  retries.clear();
  reportedHits = cache.hits;
}
function count<L extends object>(into: Map<string, [L, number]>, labels: L): void {
  const key = Object.values(labels).join('\u0000');
  const entry = into.get(key);
  if (entry) entry[1]++;
  else into.set(key, [labels, 1]);
  countsTimer ??= setTimeout(flushCounts, COUNTS_MS);
}

const backend = new ClusterBackend(loadPack(data.pack), {
  evaluationTimeoutMs: data.evaluationTimeoutMs,
  credentials: nodeCredentials(data.nodeTls),
  encodings: cache,
  encode,
  onRetry: (role, name, failed, error) => {
    count(retries, { role, name });
    log('coordinator', `retrying a ${role} ${name} call elsewhere: ${failed.label} failed: ${error.message}`);
  },
});

const jobs = new Map<number, AbortController>();

/** The buffer to transfer with an array, if the array is all of it (never a shared or pooled one). */
const ownBuffer = (a: Float32Array): ArrayBuffer[] => (a.byteOffset === 0 && a.buffer instanceof ArrayBuffer && a.byteLength === a.buffer.byteLength ? [a.buffer] : []);

async function run(m: Extract<ToJobThread, { type: 'job' }>): Promise<void> {
  const abort = new AbortController();
  jobs.set(m.id, abort);
  try {
    const result = await runJob(backend, m.request, {
      signal: abort.signal,
      onProgress: (e) => {
        if (e.type !== 'evaluation') return;
        count(evaluations, { stage: e.stage, expert: e.expert, replica: e.replica });
        if (m.progress) send({ type: 'progress', id: m.id, event: e });
      },
      previews: { every: m.previewEvery, onPreview: (step, image) => send({ type: 'preview', id: m.id, step, image }, ownBuffer(image.data)) },
      ...(m.checkpointEvery !== null && { checkpoints: { every: m.checkpointEvery, save: (checkpoint) => send({ type: 'checkpoint', id: m.id, checkpoint }) } }),
      ...(m.resume && { resume: m.resume }),
    });
    flushCounts();
    send({ type: 'done', id: m.id, result }, ownBuffer(result.image.data));
  } catch (error) {
    flushCounts();
    send({ type: 'failed', id: m.id, error: toServiceError(error) });
  } finally {
    jobs.delete(m.id);
  }
}

port.on('message', (m: ToJobThread) => {
  switch (m.type) {
    case 'membership':
      backend.applyMembership(m.change);
      break;
    case 'job':
      void run(m);
      break;
    case 'cancel':
      jobs.get(m.id)?.abort();
      break;
    case 'encoded': {
      const pending = pendingEncodings.get(m.call);
      pendingEncodings.delete(m.call);
      if (m.encoded) pending?.resolve(m.encoded);
      else pending?.reject(errorFromStatus(m.error!));
      break;
    }
    case 'load':
      send({ type: 'load', call: m.call, nodes: backend.nodes.map((n) => ({ address: n.address, outstanding: n.outstanding, completed: n.completed })) });
      break;
    case 'stop':
      flushCounts();
      backend.close();
      port.close();
      break;
  }
});
