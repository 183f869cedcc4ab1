/**
 * coordinator: serves the public API; runs each job's sampler and routes every evaluation, by its
 * sigma, to the expert node that owns it.
 *
 *   node --import tsx coordinator/main.ts --pack DIR --encoder HOST:PORT \
 *     --expert high=HOST:PORT --expert middle=HOST:PORT --expert low=HOST:PORT \
 *     [--sr sr256=HOST:PORT ...] [--nodes nodes.json] [--host 127.0.0.1] [--port 0] [--metrics-port 0]
 *
 * nodes.json: {"encoder": "HOST:PORT", "experts": {"high": "HOST:PORT", ...}, "sr": {"sr256": "HOST:PORT"}}
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ediffProtos } from '../common/grpc/proto.ts';
import { startServer } from '../common/grpc/server.ts';
import { createRegistry } from '../common/metrics.ts';
import { COMMON_OPTIONS, announceAndServe, log, parseFlags, port } from '../common/node-process.ts';
import { loadPack } from '../common/pack/load.ts';
import { ClusterBackend, type NodeAddresses } from './backend.ts';
import { coordinatorMetrics } from './metrics.ts';
import { coordinatorHandlers } from './service.ts';

const ROLE = 'coordinator';
const USAGE = `usage: coordinator --pack DIR (--nodes FILE | --encoder ADDR --expert NAME=ADDR... [--sr STAGE=ADDR...])
                   [--host H] [--port N] [--metrics-port N] [--evaluation-timeout-ms N]`;

const values = parseFlags(ROLE, USAGE, () =>
  parseArgs({
    options: {
      ...COMMON_OPTIONS,
      nodes: { type: 'string' },
      encoder: { type: 'string' },
      expert: { type: 'string', multiple: true },
      sr: { type: 'string', multiple: true },
      'evaluation-timeout-ms': { type: 'string', default: '30000' },
    },
    strict: true,
  }),
);

function usageError(message: string): never {
  console.error(`${ROLE}: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function pairs(flag: string, list: string[] = []): Record<string, string> {
  return Object.fromEntries(
    list.map((v) => {
      const at = v.indexOf('=');
      if (at <= 0) usageError(`--${flag} takes NAME=HOST:PORT, got ${JSON.stringify(v)}`);
      return [v.slice(0, at), v.slice(at + 1)];
    }),
  );
}

function addresses(): NodeAddresses {
  const fromFile: Partial<NodeAddresses> = values.nodes ? JSON.parse(readFileSync(values.nodes, 'utf8')) : {};
  const encoder = values.encoder ?? fromFile.encoder;
  if (!encoder) usageError('no encoder node: pass --encoder HOST:PORT or a --nodes file');
  return { encoder, experts: { ...fromFile.experts, ...pairs('expert', values.expert) }, sr: { ...fromFile.sr, ...pairs('sr', values.sr) } };
}

if (!values.pack) usageError('--pack is required');
const timeout = Number(values['evaluation-timeout-ms']);
if (!(timeout > 0)) usageError(`--evaluation-timeout-ms must be a positive number, got ${values['evaluation-timeout-ms']}`);
try {
  const pack = loadPack(values.pack);
  const nodes = addresses();
  const missing = pack.manifest.base.experts.filter((e) => !nodes.experts[e.name]).map((e) => e.name);
  if (missing.length > 0) usageError(`no address for base expert(s) ${missing.join(', ')}: pass --expert NAME=HOST:PORT`);
  const backend = new ClusterBackend(pack, nodes, { evaluationTimeoutMs: timeout });
  await backend.verifyNodes();
  const registry = createRegistry(ROLE);
  const metrics = coordinatorMetrics(registry);
  let address = '';
  const server = await startServer(values.host, port(ROLE, 'port', values.port), (s) =>
    s.addService(ediffProtos().Coordinator.service, coordinatorHandlers(backend, metrics, () => address)),
  );
  address = server.address;
  await announceAndServe({ role: ROLE, name: pack.manifest.name, server, registry, host: values.host, metricsPort: port(ROLE, 'metrics-port', values['metrics-port']) }, async () =>
    backend.close(),
  );
} catch (error) {
  log(ROLE, `cannot start: ${(error as Error).message}`);
  process.exit(1);
}
