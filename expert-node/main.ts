/**
 * expert-node: hosts one base expert of a pack.
 *
 *   node --import tsx expert-node/main.ts --pack DIR --expert high [--host 127.0.0.1] [--port 0] [--metrics-port 0]
 */
import { parseArgs } from 'node:util';
import { ediffProtos } from '../common/grpc/proto.ts';
import { startServer } from '../common/grpc/server.ts';
import { createRegistry } from '../common/metrics.ts';
import { COMMON_OPTIONS, announceAndServe, log, parseFlags, port } from '../common/node-process.ts';
import { loadPack } from '../common/pack/load.ts';
import { ExpertModel } from '../common/runtime/expert.ts';
import { guidedEvaluation, needsUnconditional } from '../common/runtime/guided.ts';
import { ConditioningCache } from './conditioning-cache.ts';
import { expertMetrics } from './metrics.ts';
import { SerialScheduler } from './scheduler.ts';
import { expertNodeHandlers } from './service.ts';

const ROLE = 'expert-node';
const USAGE = `usage: expert-node --pack DIR --expert NAME [--host H] [--port N] [--metrics-port N] [--cache-mb N]`;

const values = parseFlags(ROLE, USAGE, () =>
  parseArgs({ options: { ...COMMON_OPTIONS, expert: { type: 'string' }, 'cache-mb': { type: 'string', default: '256' } }, strict: true }),
);
if (!values.pack || !values.expert) {
  console.error(`${ROLE}: --pack and --expert are required\n\n${USAGE}`);
  process.exit(2);
}
try {
  const pack = loadPack(values.pack);
  const spec = pack.manifest.base.experts.find((e) => e.name === values.expert);
  if (!spec) throw new Error(`pack ${pack.manifest.name} has no base expert ${values.expert} (it has ${pack.manifest.base.experts.map((e) => e.name).join(', ')})`);
  const model = await ExpertModel.load(pack, spec);
  const registry = createRegistry(ROLE);
  const metrics = expertMetrics(registry, spec.name);
  const scheduler = new SerialScheduler(
    (call) => {
      metrics.batchSize.observe(needsUnconditional(spec, call.guidance) ? 2 : 1);
      return guidedEvaluation(model, call);
    },
    {
      onRun: (queue, compute) => {
        metrics.queueSeconds.observe(queue);
        metrics.computeSeconds.observe(compute);
      },
      onDepth: (depth) => metrics.queueDepth.set(depth),
    },
  );
  const cache = new ConditioningCache(Number(values['cache-mb']) * 1024 * 1024);
  const server = await startServer(values.host, port(ROLE, 'port', values.port), (s) =>
    s.addService(ediffProtos().ExpertNode.service, expertNodeHandlers({ pack, model, cache, scheduler, metrics })),
  );
  await announceAndServe({ role: ROLE, name: spec.name, server, registry, host: values.host, metricsPort: port(ROLE, 'metrics-port', values['metrics-port']) }, async () => {
    scheduler.stop();
    await model.release();
  });
} catch (error) {
  log(ROLE, `cannot start: ${(error as Error).message}`);
  process.exit(1);
}
