/**
 * expert-node: hosts one base expert of a pack.
 *
 *   node --import tsx expert-node/main.ts --pack DIR --expert high [--host 127.0.0.1] [--port 0] [--metrics-port 0]
 */
import { parseArgs } from 'node:util';
import { ediffProtos } from '../common/grpc/proto.ts';
import { startServer } from '../common/grpc/server.ts';
import { addCheckedService } from '../common/grpc/checked-service.ts';
import { createRegistry } from '../common/metrics.ts';
import { COMMON_OPTIONS, announceAndServe, drainMs, loadServedPack, log, parseFlags, port, waitFor, natsAccess, serverTls } from '../common/process/node-process.ts';
import { serverCredentials } from '../common/grpc/tls.ts';
import { ExpertModel } from '../common/runtime/expert.ts';
import { rowsOf } from '../common/runtime/guided.ts';
import { ConditioningCache } from './conditioning-cache.ts';
import { EXECUTORS, createExecutor, type ExecutorName } from './executors.ts';
import { expertMetrics } from './metrics.ts';
import { DynamicBatcher, batchKeyOf } from './scheduler.ts';
import { expertNodeHandlers } from './service.ts';

const ROLE = 'expert-node';
const USAGE = `usage: expert-node --pack DIR --expert NAME [--host H] [--port N] [--metrics-port N] [--cache-mb N]
                   [--max-batch ROWS] [--max-delay-ms MS] [--executor ${EXECUTORS.join('|')}] [--latency-ms A,B]

  --max-batch, --max-delay-ms  dynamic batching limits (default: the expert's max_batch and max_delay_ms
                               in the pack, else 32 and 2); --max-batch 1 turns batching off
  --executor simulated-gpu     run the model, then hold each batch until A + B * rows ms have passed
  --executor instant           no model: D = x at once (benchmarks of the transport)`;

const values = parseFlags(ROLE, USAGE, () =>
  parseArgs({
    options: {
      ...COMMON_OPTIONS,
      expert: { type: 'string' },
      'cache-mb': { type: 'string', default: '256' },
      'max-batch': { type: 'string' },
      'max-delay-ms': { type: 'string' },
      executor: { type: 'string', default: 'onnx' },
      'latency-ms': { type: 'string' },
    },
    strict: true,
  }),
);
function usageError(message: string): never {
  console.error(`${ROLE}: ${message}\n\n${USAGE}`);
  process.exit(2);
}
function nonNegative(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) usageError(`--${flag} must be a number >= 0, got ${JSON.stringify(value)}`);
  return n;
}
if (!values.pack || !values.expert) usageError('--pack and --expert are required');
const executorName = values.executor as ExecutorName;
if (!EXECUTORS.includes(executorName)) usageError(`--executor must be one of ${EXECUTORS.join(', ')}, got ${JSON.stringify(values.executor)}`);
const latency = values['latency-ms']?.split(',').map(Number);
if (executorName === 'simulated-gpu' && !(latency?.length === 2 && latency.every((v) => Number.isFinite(v) && v >= 0))) usageError('--executor simulated-gpu needs --latency-ms A,B (ms per batch, ms per row)');
const tls = serverTls(ROLE, values);
try {
  const pack = loadServedPack(ROLE, { ...values, pack: values.pack });
  const spec = pack.manifest.base.experts.find((e) => e.name === values.expert);
  if (!spec) throw new Error(`pack ${pack.manifest.name} has no base expert ${values.expert} (it has ${pack.manifest.base.experts.map((e) => e.name).join(', ')})`);
  const model = executorName === 'instant' ? null : await ExpertModel.load(pack, spec);
  const registry = createRegistry(ROLE);
  const metrics = expertMetrics(registry, spec.name);
  const batching = {
    maxBatch: Math.max(1, nonNegative('max-batch', values['max-batch']) ?? spec.max_batch ?? 32),
    maxDelayMs: nonNegative('max-delay-ms', values['max-delay-ms']) ?? spec.max_delay_ms ?? 2,
    rowsOf: (call: { guidance: number }) => rowsOf(spec, call),
    batchKey: batchKeyOf(model?.oneSigmaPerCall ?? false),
  };
  const scheduler = new DynamicBatcher(createExecutor(executorName, model, latency ? { a: latency[0]!, b: latency[1]! } : null), batching, {
    onBatch: (rows, queueSeconds, computeSeconds) => {
      metrics.batchSize.observe(rows);
      for (const q of queueSeconds) {
        metrics.queueSeconds.observe(q);
        metrics.computeSeconds.observe(computeSeconds);
      }
    },
    onDepth: (depth) => metrics.queueDepth.set(depth),
  });
  log(ROLE, `${spec.name}: executor ${executorName}, batches of up to ${batching.maxBatch} rows, waiting up to ${batching.maxDelayMs} ms`);
  const cache = new ConditioningCache(Number(values['cache-mb']) * 1024 * 1024);
  const server = await startServer(
    values.host,
    port(ROLE, 'port', values.port),
    (s) => addCheckedService(s, ediffProtos().ExpertNode.service, expertNodeHandlers({ pack, spec, inputDims: model?.inputDims() ?? null, cache, scheduler, metrics })),
    {},
    serverCredentials(tls),
  );
  const register = values.nats
    ? { nats: natsAccess(values)!, advertise: values.advertise, record: { role: 'expert' as const, name: spec.name, pack: pack.manifest.name, pack_hash: pack.hash, sigma_lo: spec.sigma_lo, sigma_hi: spec.sigma_hi, capacity: batching.maxBatch }, load: () => scheduler.queued }
    : undefined;
  // Draining: the queued evaluations (and the batch running) finish before the node goes.
  const drain = async (ms: number) => {
    if (!(await waitFor(() => scheduler.idle, ms))) log(ROLE, `drain: ${scheduler.queued} evaluations still queued after ${ms / 1000} s; they fail`);
  };
  await announceAndServe({ role: ROLE, name: spec.name, server, registry, host: values.host, metricsPort: port(ROLE, 'metrics-port', values['metrics-port']), drain, drainMs: drainMs(ROLE, values['drain-s']), ...(register && { register }) }, async () => {
    scheduler.stop();
    await model?.release();
  });
} catch (error) {
  log(ROLE, `cannot start: ${(error as Error).message}`);
  process.exit(1);
}
