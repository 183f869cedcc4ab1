/**
 * encoder-node: hosts a pack's tokenizers and encoders (T5, CLIP text, CLIP image) with an
 * embedding cache keyed by prompt, and builds the conditioning of a guidance branch.
 *
 *   node --import tsx encoder-node/main.ts --pack DIR [--host 127.0.0.1] [--port 0] [--metrics-port 0]
 */
import { parseArgs } from 'node:util';
import type { EncoderNodeHandlers } from '../common/grpc/generated/ediff/v1/EncoderNode.ts';
import { microFromWire } from '../common/grpc/micro.ts';
import { ediffProtos } from '../common/grpc/proto.ts';
import { startServer } from '../common/grpc/server.ts';
import { addCheckedService } from '../common/grpc/checked-service.ts';
import { Status, toServiceError } from '../common/grpc/status.ts';
import { conditioningToWire } from '../common/grpc/tensor.ts';
import { LATENCY_BUCKETS, createRegistry, prom } from '../common/metrics.ts';
import { COMMON_OPTIONS, announceAndServe, loadServedPack, log, parseFlags, port, natsAccess, serverTls } from '../common/process/node-process.ts';
import { serverCredentials } from '../common/grpc/tls.ts';
import type { Pack } from '../common/pack/load.ts';
import { checkPrompt } from '../common/pipeline/request.ts';
import { ConditioningBuilder } from '../common/runtime/conditioning.ts';
import { EncoderEnsemble } from '../common/runtime/encoders.ts';
import type { Registry } from 'prom-client';

const ROLE = 'encoder-node';
const USAGE = `usage: encoder-node --pack DIR [--host H] [--port N] [--metrics-port N]`;

function handlers(pack: Pack, encoders: EncoderEnsemble, registry: Registry): EncoderNodeHandlers {
  const builder = new ConditioningBuilder(pack.manifest, encoders);
  const seconds = new prom.Histogram({ name: 'ediff_encoder_seconds', help: 'Time to build the conditioning of one branch.', buckets: LATENCY_BUCKETS, registers: [registry] });
  const errors = new prom.Counter({ name: 'ediff_errors_total', help: 'Failed requests by gRPC status code.', labelNames: ['code'], registers: [registry] });
  new prom.Counter({
    name: 'ediff_encoder_cache_lookups_total',
    help: 'Prompt lookups in the embedding cache, by result.',
    labelNames: ['result'],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ result: 'hit' }, encoders.cacheStats.hits);
      this.inc({ result: 'miss' }, encoders.cacheStats.misses);
    },
  });
  return {
    Describe(_call, callback) {
      callback(null, { role: 'encoder', pack: pack.manifest.name, packHash: pack.hash, name: 'encoder' });
    },
    async Encode(call, callback) {
      const end = seconds.startTimer();
      try {
        const r = call.request;
        const { conditioning, warnings } = await builder.branch({
          prompt: checkPrompt('prompt', r.prompt),
          style: r.styleImage.length > 0 ? r.styleImage : null,
          paint: r.paint.map((p) => ({ phrase: p.phrase, mask: p.mask })),
          paintWeight: r.paintWeight,
          paintRequired: r.paintRequired,
          negative: r.negative,
          ...(r.micro && { micro: microFromWire(r.micro) }),
        });
        callback(null, { conditioning: conditioningToWire(conditioning), warnings });
      } catch (error) {
        const e = toServiceError(error);
        errors.inc({ code: Status[e.code] });
        callback(e);
      } finally {
        end();
      }
    },
  };
}

const values = parseFlags(ROLE, USAGE, () => parseArgs({ options: COMMON_OPTIONS, strict: true }));
if (!values.pack) {
  console.error(`${ROLE}: --pack is required\n\n${USAGE}`);
  process.exit(2);
}
const tls = serverTls(ROLE, values);
try {
  const pack = loadServedPack(ROLE, { ...values, pack: values.pack });
  const encoders = await EncoderEnsemble.load(pack);
  const registry = createRegistry(ROLE);
  const server = await startServer(values.host, port(ROLE, 'port', values.port), (s) => addCheckedService(s, ediffProtos().EncoderNode.service, handlers(pack, encoders, registry)), {}, serverCredentials(tls));
  const register = values.nats ? { nats: natsAccess(values)!, advertise: values.advertise, record: { role: 'encoder' as const, name: 'encoder', pack: pack.manifest.name, pack_hash: pack.hash, capacity: 1 } } : undefined;
  await announceAndServe({ role: ROLE, name: 'encoder', server, registry, host: values.host, metricsPort: port(ROLE, 'metrics-port', values['metrics-port']), ...(register && { register }) }, () =>
    encoders.release(),
  );
} catch (error) {
  log(ROLE, `cannot start: ${(error as Error).message}`);
  process.exit(1);
}
