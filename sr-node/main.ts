/**
 * sr-node: runs one super-resolution stage of a pack with its own sampler loop; the stage's
 * experts run here, routed by sigma, so its large tensors never leave the node.
 *
 *   node --import tsx sr-node/main.ts --pack DIR --stage sr256 [--host 127.0.0.1] [--port 0] [--metrics-port 0]
 */
import { parseArgs } from 'node:util';
import type * as grpc from '@grpc/grpc-js';
import type { SuperResolutionNodeHandlers } from '../common/grpc/generated/ediff/v1/SuperResolutionNode.ts';
import type { UpscaleEvent } from '../common/grpc/generated/ediff/v1/UpscaleEvent.ts';
import type { UpscaleRequest__Output } from '../common/grpc/generated/ediff/v1/UpscaleRequest.ts';
import { generatorFromWire, generatorToWire } from '../common/grpc/generator.ts';
import { ediffProtos } from '../common/grpc/proto.ts';
import { startServer } from '../common/grpc/server.ts';
import { Status, toServiceError } from '../common/grpc/status.ts';
import { conditioningFromWire, fromWire, toWire } from '../common/grpc/tensor.ts';
import { LATENCY_BUCKETS, createRegistry, prom } from '../common/metrics.ts';
import { COMMON_OPTIONS, announceAndServe, log, parseFlags, port } from '../common/process/node-process.ts';
import { loadPack, type Pack } from '../common/pack/load.ts';
import type { SuperResolutionStage } from '../common/pack/manifest.ts';
import { runSuperResolution } from '../common/pipeline/job.ts';
import { LocalExpert } from '../common/runtime/local-expert.ts';
import { ExpertModel } from '../common/runtime/expert.ts';
import type { Registry } from 'prom-client';

const ROLE = 'sr-node';
const USAGE = `usage: sr-node --pack DIR --stage NAME [--host H] [--port N] [--metrics-port N]`;

function handlers(pack: Pack, stage: SuperResolutionStage, experts: LocalExpert[], registry: Registry): SuperResolutionNodeHandlers {
  const channels = pack.manifest.base.channels;
  const seconds = new prom.Histogram({ name: 'ediff_sr_stage_seconds', help: 'Time to run the SR stage for one job.', labelNames: ['stage'], buckets: LATENCY_BUCKETS, registers: [registry] }).labels({ stage: stage.name });
  const evaluations = new prom.Counter({ name: 'ediff_sr_evaluations_total', help: 'Evaluations run by this SR node.', labelNames: ['stage', 'expert'], registers: [registry] });
  const errors = new prom.Counter({ name: 'ediff_errors_total', help: 'Failed requests by gRPC status code.', labelNames: ['code'], registers: [registry] });
  return {
    Describe(_call, callback) {
      callback(null, { role: 'sr', pack: pack.manifest.name, packHash: pack.hash, name: stage.name });
    },
    async Upscale(call: grpc.ServerWritableStream<UpscaleRequest__Output, UpscaleEvent>) {
      const end = seconds.startTimer();
      const abort = new AbortController();
      call.on('cancelled', () => abort.abort());
      try {
        const r = call.request;
        const lowRes = fromWire(r.lowRes, 'low_res', { dims: [channels, stage.from_size, stage.from_size], finite: true });
        const rng = generatorFromWire(r.rng, 'rng');
        const branches = { cond: conditioningFromWire(r.cond, 'cond'), uncond: conditioningFromWire(r.uncond, 'uncond') };
        let evaluation = 0;
        const image = await runSuperResolution(stage, channels, experts, {
          lowRes,
          branches,
          rng,
          signal: abort.signal,
          onEvaluation: (e) => {
            evaluations.inc({ stage: stage.name, expert: e.expert });
            call.write({ evaluation: { stage: stage.name, step: e.step, steps: stage.steps, sigma: e.sigma, expert: e.expert, replica: '', evaluation: ++evaluation, evaluations: 0 } });
          },
        });
        call.write({ result: { image: toWire(image), rng: generatorToWire(rng) } });
        call.end();
      } catch (error) {
        if (abort.signal.aborted) return;
        const e = toServiceError(error);
        errors.inc({ code: Status[e.code] });
        call.emit('error', e);
      } finally {
        end();
      }
    },
  };
}

const values = parseFlags(ROLE, USAGE, () => parseArgs({ options: { ...COMMON_OPTIONS, stage: { type: 'string' } }, strict: true }));
if (!values.pack || !values.stage) {
  console.error(`${ROLE}: --pack and --stage are required\n\n${USAGE}`);
  process.exit(2);
}
try {
  const pack = loadPack(values.pack);
  const stage = pack.manifest.super_resolution.find((s) => s.name === values.stage);
  if (!stage) throw new Error(`pack ${pack.manifest.name} has no SR stage ${values.stage} (it has ${pack.manifest.super_resolution.map((s) => s.name).join(', ') || 'none'})`);
  const models = await Promise.all(stage.experts.map((spec) => ExpertModel.load(pack, spec)));
  const registry = createRegistry(ROLE);
  const server = await startServer(values.host, port(ROLE, 'port', values.port), (s) =>
    s.addService(ediffProtos().SuperResolutionNode.service, handlers(pack, stage, models.map((m) => new LocalExpert(m)), registry)),
  );
  const register = values.nats ? { nats: values.nats, advertise: values.advertise, record: { role: 'sr' as const, name: stage.name, pack: pack.manifest.name, pack_hash: pack.hash, capacity: 1 } } : undefined;
  await announceAndServe({ role: ROLE, name: stage.name, server, registry, host: values.host, metricsPort: port(ROLE, 'metrics-port', values['metrics-port']), ...(register && { register }) }, async () => {
    await Promise.all(models.map((m) => m.release()));
  });
} catch (error) {
  log(ROLE, `cannot start: ${(error as Error).message}`);
  process.exit(1);
}
