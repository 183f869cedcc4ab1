/**
 * coordinator: serves the public API; runs each job's sampler and routes every evaluation, by its
 * sigma, to the expert node that owns it.
 *
 *   node --import tsx coordinator/main.ts --pack DIR --encoder HOST:PORT \
 *     --expert high=HOST:PORT[,HOST:PORT...] --expert middle=HOST:PORT --expert low=HOST:PORT \
 *     [--sr sr256=HOST:PORT ...] [--nodes nodes.json] [--host 127.0.0.1] [--port 0] [--metrics-port 0]
 *     [--job-threads N]
 *
 * nodes.json: {"encoder": "HOST:PORT", "experts": {"high": ["HOST:PORT", ...], ...}, "sr": {"sr256": "HOST:PORT"}}
 * (an address or a list of replica addresses for each).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { ediffProtos } from '../common/grpc/proto.ts';
import { startServer } from '../common/grpc/server.ts';
import { addCheckedService } from '../common/grpc/checked-service.ts';
import { createRegistry } from '../common/metrics.ts';
import { COMMON_OPTIONS, announceAndServe, drainMs, loadServedPack, log, parseFlags, natsAccess, port, serverTls } from '../common/process/node-process.ts';
import { ClusterBackend, type NodeAddresses } from './backend.ts';
import { RegistryWatcher } from './discovery.ts';
import { EncodingCache } from './encoding-cache.ts';
import { JobThreads } from './job-threads.ts';
import { coordinatorMetrics } from './metrics.ts';
import { clusterStatus, coordinatorHandlers, describePipeline } from './service.ts';
import { jobRunner } from './job-service.ts';
import { JobStore } from './job-store.ts';
import { memoryJobApi } from './job-api.ts';
import { DurableJobs } from './durable-jobs.ts';
import { OPEN_TENANT, Tokens } from './auth.ts';
import { startHttpApi } from './http-api.ts';
import { nodeCredentials, serverCredentials } from '../common/grpc/tls.ts';

const ROLE = 'coordinator';
/** The default job threads stop at this many: beyond it the main thread (API, encodings) limits. */
const MAX_DEFAULT_JOB_THREADS = 4;
const USAGE = `usage: coordinator --pack DIR (--nats URL | --nodes FILE | --encoder ADDR --expert NAME=ADDR[,ADDR...]... [--sr STAGE=ADDR...])
                   [--host H] [--port N] [--metrics-port N] [--evaluation-timeout-ms N] [--encoding-cache-mb N]
                   [--job-threads N] [--max-running N] [--max-queued N] [--keep-jobs-s N] [--max-kept-jobs N] [--max-kept-mb N]
                   [--max-streams-per-connection N] [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]] [--tokens FILE]
                   [--node-ca FILE --node-cert FILE --node-key FILE] [--insecure] [--drain-s N] [--ack-wait-s N] [--checkpoint-every N]
                   [--http-port N [--http-cors ORIGIN...]]

  --nats URL              discover nodes in the NATS registry (static addresses may be given too), and keep
                          the job API's jobs in JetStream: durable, run by any coordinator, resumed after a crash
  --encoding-cache-mb N   encoded prompts kept for jobs that repeat them (default 64; 0 = none)
  --job-threads N         threads that run jobs' samplers and node streams (default: the cores, at most ${MAX_DEFAULT_JOB_THREADS})
  --max-running N         jobs run at once (default 512); more wait in the queue
  --max-queued N          jobs waiting (default 512); past it submissions are RESOURCE_EXHAUSTED
  --keep-jobs-s N         how long an ended job (its events and result) is kept for GetJob / WatchJob (default 3600)
  --max-kept-jobs N       the most ended jobs kept (default 1000; the oldest go first)
  --max-kept-mb N         the most megabytes ended jobs keep: their PNGs (results, previews) and events (default 256)
  --max-streams-per-connection N  concurrent calls one client connection may have open (default 1024)
  --tls-cert FILE, --tls-key FILE  serve the public API over TLS (PEM; ediff certs makes a dev set)
  --tokens FILE           require a bearer token from every caller: a JSON file of tokens, tenants and quotas
  --node-ca, --node-cert, --node-key  mutual TLS to the nodes: trust nodes this CA signed, present this certificate
  --insecure              allow plaintext on an address other than loopback
  --drain-s N             on SIGTERM, how long running jobs may take to finish (default 30); with --nats, the
                          job API's jobs go back to the queue at once, to resume elsewhere from their checkpoints
  --ack-wait-s N          with --nats: a job whose coordinator gave no sign of life for this long goes to another (default 30)
  --checkpoint-every N    with --nats: a job's checkpoint every N base steps, and at every stage boundary (default 5)
  --http-port N           also serve the HTTP API (OpenAI's images API, /v1/models, /healthz, /readyz) and the
                          web UI (/) on --host:N (0: any free port); HTTPS with --tls-cert, the same tokens as gRPC
  --http-cors ORIGIN      let pages from ORIGIN (https://app.example.com, or * for any) call the HTTP API from a
                          browser; repeatable or comma-separated (default: none, CORS off)`;

const values = parseFlags(ROLE, USAGE, () =>
  parseArgs({
    options: {
      ...COMMON_OPTIONS,
      nodes: { type: 'string' },
      encoder: { type: 'string', multiple: true },
      expert: { type: 'string', multiple: true },
      sr: { type: 'string', multiple: true },
      'evaluation-timeout-ms': { type: 'string', default: '30000' },
      'encoding-cache-mb': { type: 'string', default: '64' },
      'job-threads': { type: 'string', default: String(Math.min(os.availableParallelism(), MAX_DEFAULT_JOB_THREADS)) },
      'max-running': { type: 'string', default: '512' },
      'max-queued': { type: 'string', default: '512' },
      'keep-jobs-s': { type: 'string', default: '3600' },
      'max-kept-jobs': { type: 'string', default: '1000' },
      'max-kept-mb': { type: 'string', default: '256' },
      'max-streams-per-connection': { type: 'string', default: '1024' },
      tokens: { type: 'string' },
      'node-ca': { type: 'string' },
      'node-cert': { type: 'string' },
      'node-key': { type: 'string' },
      'ack-wait-s': { type: 'string', default: '30' },
      'checkpoint-every': { type: 'string', default: '5' },
      'http-port': { type: 'string' },
      'http-cors': { type: 'string', multiple: true },
    },
    strict: true,
  }),
);

function usageError(message: string): never {
  console.error(`${ROLE}: ${message}\n\n${USAGE}`);
  process.exit(2);
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).flatMap((a) => a.split(',')).filter(Boolean));

/** NAME=ADDR[,ADDR...] flags (repeatable) merged into NAME -> addresses. */
function pairs(flag: string, into: Record<string, string[]>, values: string[] = []): Record<string, string[]> {
  const out = Object.fromEntries(Object.entries(into).map(([k, v]) => [k, list(v)]));
  for (const v of values) {
    const at = v.indexOf('=');
    if (at <= 0) usageError(`--${flag} takes NAME=HOST:PORT[,HOST:PORT...], got ${JSON.stringify(v)}`);
    (out[v.slice(0, at)] ??= []).push(...list(v.slice(at + 1)));
  }
  return out;
}

function addresses(): NodeAddresses {
  const fromFile: { encoder?: string | string[]; experts?: Record<string, string[]>; sr?: Record<string, string[]> } = values.nodes ? JSON.parse(readFileSync(values.nodes, 'utf8')) : {};
  return { encoder: [...list(fromFile.encoder), ...list(values.encoder)], experts: pairs('expert', fromFile.experts ?? {}, values.expert), sr: pairs('sr', fromFile.sr ?? {}, values.sr) };
}

if (!values.pack) usageError('--pack is required');
const timeout = Number(values['evaluation-timeout-ms']);
if (!(timeout > 0)) usageError(`--evaluation-timeout-ms must be a positive number, got ${values['evaluation-timeout-ms']}`);
const encodingCacheMb = Number(values['encoding-cache-mb']);
if (!(encodingCacheMb >= 0)) usageError(`--encoding-cache-mb must be a number >= 0, got ${values['encoding-cache-mb']}`);
const wholeNumber = (flag: 'job-threads' | 'max-running' | 'max-queued' | 'keep-jobs-s' | 'max-kept-jobs' | 'max-kept-mb' | 'max-streams-per-connection' | 'ack-wait-s' | 'checkpoint-every', min: number) => {
  const n = Number(values[flag]);
  if (!(Number.isInteger(n) && n >= min)) usageError(`--${flag} must be a whole number >= ${min}, got ${values[flag]}`);
  return n;
};
const jobThreads = wholeNumber('job-threads', 1);
const ackWaitS = wholeNumber('ack-wait-s', 1);
const checkpointEvery = wholeNumber('checkpoint-every', 0);
const maxStreams = wholeNumber('max-streams-per-connection', 1);
const tls = serverTls(ROLE, values);
const nodeFiles = [values['node-ca'], values['node-cert'], values['node-key']];
if (nodeFiles.some((f) => f !== undefined) && nodeFiles.some((f) => f === undefined)) usageError('--node-ca, --node-cert and --node-key go together (mutual TLS to the nodes)');
const nodeTls = values['node-ca'] ? { ca: values['node-ca'], cert: values['node-cert']!, key: values['node-key']! } : null;
const admission = { maxRunning: wholeNumber('max-running', 1), maxQueued: wholeNumber('max-queued', 0), keepMs: 1000 * wholeNumber('keep-jobs-s', 0), maxKept: wholeNumber('max-kept-jobs', 0), maxKeptBytes: 1024 * 1024 * wholeNumber('max-kept-mb', 0) };
try {
  const pack = loadServedPack(ROLE, { ...values, pack: values.pack });
  const nodes = addresses();
  if (!values.nats) {
    if (nodes.encoder.length === 0) usageError('no encoder node: pass --encoder HOST:PORT, a --nodes file, or --nats URL for discovery');
    const missing = pack.manifest.base.experts.filter((e) => !nodes.experts[e.name]?.length).map((e) => e.name);
    if (missing.length > 0) usageError(`no address for base expert(s) ${missing.join(', ')}: pass --expert NAME=HOST:PORT or --nats URL for discovery`);
    const decode = pack.manifest.decode?.name;
    if (decode && !nodes.sr[decode]?.length) usageError(`no address for the decode stage: pass --sr ${decode}=HOST:PORT (an sr-node started with --stage ${decode}) or --nats URL for discovery`);
  }
  const registry = createRegistry(ROLE);
  const encodings = new EncodingCache(encodingCacheMb * 1024 * 1024);
  const metrics = coordinatorMetrics(registry, encodings);
  // Jobs run on the job threads; this thread keeps the membership (which they mirror) and encodes.
  const jobs: JobThreads = new JobThreads({
    threads: jobThreads,
    data: { pack: pack.location, evaluationTimeoutMs: timeout, encodingCacheBytes: encodings.maxBytes, nodeTls },
    encode: (request) => backend.encode(request),
    encodings,
    metrics,
  });
  const backend = new ClusterBackend(pack, {
    evaluationTimeoutMs: timeout,
    credentials: nodeCredentials(nodeTls),
    encodings,
    onRetry: (role, name, failed, error) => {
      metrics.retries.inc({ role, name });
      log(ROLE, `retrying a ${role} ${name} call elsewhere: ${failed.label} failed: ${error.message}`);
    },
    onMembership: (change) => jobs.membership(change),
  });
  const store = new JobStore({ ...admission, run: jobRunner(jobs, metrics) });
  const tokens = values.tokens ? Tokens.load(values.tokens) : null;
  backend.addAll(nodes);
  await backend.verifyNodes();
  const nats = natsAccess(values);
  const discovery = nats ? await RegistryWatcher.start(nats, backend) : null;
  let address = '';
  const durable: DurableJobs | null = nats
    ? await DurableJobs.start({ ...admission, access: nats, name: () => address, ackWaitMs: 1000 * ackWaitS, checkpointEvery, run: jobRunner(jobs, metrics) })
    : null;
  const api = durable ?? memoryJobApi(store);
  const server = await startServer(
    values.host,
    port(ROLE, 'port', values.port),
    (s) => addCheckedService(s, ediffProtos().Coordinator.service, coordinatorHandlers(backend, jobs, store, api, () => address, tokens)),
    { 'grpc.max_concurrent_streams': maxStreams },
    serverCredentials(tls),
  );
  address = server.address;
  const authenticateHeader = (header: string | undefined) => (tokens ? tokens.authenticateHeader(header) : OPEN_TENANT);
  let draining = false;
  const http =
    values['http-port'] === undefined
      ? null
      : await startHttpApi(values.host, port(ROLE, 'http-port', values['http-port']), {
          manifest: pack.manifest,
          store,
          api,
          pipeline: describePipeline(backend),
          cluster: () => clusterStatus(backend, jobs, address),
          corsOrigins: list(values['http-cors']),
          authenticate: authenticateHeader,
          registry,
          ready: () => !draining,
          tls: tls && { cert: readFileSync(tls.cert), key: readFileSync(tls.key) },
        });
  // Draining: new jobs are refused (UNAVAILABLE); durable jobs go back to the queue at once, the
  // others (running and queued) finish within --drain-s.
  const drain = async (ms: number) => {
    draining = true;
    const handedBack = (await durable?.drain()) ?? 0;
    if (handedBack > 0) log(ROLE, `drain: ${handedBack} running jobs went back to the queue; other coordinators resume them from their checkpoints`);
    const cancelled = await store.drain(ms);
    if (cancelled > 0) log(ROLE, `drain: ${cancelled} jobs were still running or queued after ${ms / 1000} s; they were cancelled`);
  };
  await announceAndServe({ role: ROLE, name: pack.manifest.name, server, registry, host: values.host, metricsPort: port(ROLE, 'metrics-port', values['metrics-port']), drain, drainMs: drainMs(ROLE, values['drain-s']), ...(http && { http: http.address }) }, async () => {
    await http?.app.close();
    await discovery?.stop();
    await durable?.close();
    await jobs.close();
    backend.close();
  });
} catch (error) {
  log(ROLE, `cannot start: ${(error as Error).message}`);
  process.exit(1);
}
