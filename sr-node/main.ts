/**
 * sr-node: runs one image stage of a pack. A super-resolution stage runs its own sampler loop,
 * its experts routed by sigma here, so its large tensors never leave the node (Upscale); a decode
 * stage runs the VAE decoder on a latent pack's latents (Decode).
 *
 *   node --import tsx sr-node/main.ts --pack DIR --stage sr256|decode [--host 127.0.0.1] [--port 0] [--metrics-port 0]
 */
import { parseArgs } from 'node:util';
import type * as grpc from '@grpc/grpc-js';
import type { SuperResolutionNodeHandlers } from '../common/grpc/generated/ediff/v1/SuperResolutionNode.ts';
import type { UpscaleEvent } from '../common/grpc/generated/ediff/v1/UpscaleEvent.ts';
import type { UpscaleRequest__Output } from '../common/grpc/generated/ediff/v1/UpscaleRequest.ts';
import { generatorFromWire, generatorToWire } from '../common/grpc/generator.ts';
import { ediffProtos } from '../common/grpc/proto.ts';
import { startServer } from '../common/grpc/server.ts';
import { addCheckedService } from '../common/grpc/checked-service.ts';
import { Status, toServiceError } from '../common/grpc/status.ts';
import { conditioningFromWire, fromWire, toWire } from '../common/grpc/tensor.ts';
import { LATENCY_BUCKETS, createRegistry, prom } from '../common/metrics.ts';
import { COMMON_OPTIONS, announceAndServe, loadServedPack, log, parseFlags, port, natsAccess, serverTls } from '../common/process/node-process.ts';
import { serverCredentials } from '../common/grpc/tls.ts';
import type { Pack } from '../common/pack/load.ts';
import { imageChannels, imageStageNames } from '../common/pack/manifest.ts';
import { runSuperResolution } from '../common/pipeline/job.ts';
import { checkBaseDims } from '../common/pipeline/request.ts';
import { DecoderModel } from '../common/runtime/decoder.ts';
import { ExpertModel } from '../common/runtime/expert.ts';
import { LocalExpert } from '../common/runtime/local-expert.ts';
import type { Registry } from 'prom-client';

const ROLE = 'sr-node';
const USAGE = `usage: sr-node --pack DIR --stage NAME [--host H] [--port N] [--metrics-port N]`;

/** What the node runs: an SR stage's experts, or a decode stage's decoder. */
type StageModels = { kind: 'sr'; stage: string; experts: LocalExpert[]; release(): Promise<void> } | { kind: 'decode'; stage: string; decoder: DecoderModel; release(): Promise<void> };

function handlers(pack: Pack, models: StageModels, registry: Registry): SuperResolutionNodeHandlers {
  const m = pack.manifest;
  const stageName = models.stage;
  const seconds = new prom.Histogram({ name: 'ediff_sr_stage_seconds', help: 'Time to run the image stage for one job.', labelNames: ['stage'], buckets: LATENCY_BUCKETS, registers: [registry] }).labels({ stage: stageName });
  const evaluations = new prom.Counter({ name: 'ediff_sr_evaluations_total', help: 'Evaluations (model calls) run by this image-stage node.', labelNames: ['stage', 'expert'], registers: [registry] });
  const errors = new prom.Counter({ name: 'ediff_errors_total', help: 'Failed requests by gRPC status code.', labelNames: ['code'], registers: [registry] });
  const fail = (error: unknown) => {
    const e = toServiceError(error);
    errors.inc({ code: Status[e.code] });
    return e;
  };
  const wrongStage = (rpc: string) => ({ code: Status.FAILED_PRECONDITION, details: `this node serves the ${models.kind === 'sr' ? 'SR' : 'decode'} stage ${stageName}; ${rpc} is for the other kind` });
  return {
    Describe(_call, callback) {
      callback(null, { role: 'sr', pack: m.name, packHash: pack.hash, name: stageName });
    },
    async Upscale(call: grpc.ServerWritableStream<UpscaleRequest__Output, UpscaleEvent>) {
      if (models.kind !== 'sr') return void call.emit('error', fail(wrongStage('Upscale')));
      const stage = m.super_resolution.find((s) => s.name === stageName)!;
      const end = seconds.startTimer();
      const abort = new AbortController();
      call.on('cancelled', () => abort.abort());
      try {
        const r = call.request;
        const lowRes = fromWire(r.lowRes, 'low_res', { dims: [imageChannels(m), stage.from_size, stage.from_size], finite: true });
        const rng = generatorFromWire(r.rng, 'rng');
        const branches = { cond: conditioningFromWire(r.cond, 'cond'), uncond: conditioningFromWire(r.uncond, 'uncond') };
        let evaluation = 0;
        const image = await runSuperResolution(stage, imageChannels(m), models.experts, {
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
        call.emit('error', fail(error));
      } finally {
        end();
      }
    },
    async Decode(call, callback) {
      if (models.kind !== 'decode') return callback(fail(wrongStage('Decode')));
      const end = seconds.startTimer();
      try {
        const latents = fromWire(call.request.latents, 'latents', { finite: true });
        checkBaseDims(m, 'latents', latents.dims);
        const image = await models.decoder.decode(latents);
        evaluations.inc({ stage: stageName, expert: stageName });
        callback(null, { image: toWire(image) });
      } catch (error) {
        callback(fail(error));
      } finally {
        end();
      }
    },
  };
}

async function loadStage(pack: Pack, name: string): Promise<StageModels> {
  const m = pack.manifest;
  if (m.decode?.name === name) {
    const decoder = await DecoderModel.load(pack, m.decode);
    return { kind: 'decode', stage: name, decoder, release: () => decoder.release() };
  }
  const stage = m.super_resolution.find((s) => s.name === name);
  if (!stage) throw new Error(`pack ${m.name} has no image stage ${name} (it has ${imageStageNames(m).join(', ') || 'none'})`);
  const experts = await Promise.all(stage.experts.map((spec) => ExpertModel.load(pack, spec)));
  return { kind: 'sr', stage: name, experts: experts.map((e) => new LocalExpert(e)), release: async () => void (await Promise.all(experts.map((e) => e.release()))) };
}

const values = parseFlags(ROLE, USAGE, () => parseArgs({ options: { ...COMMON_OPTIONS, stage: { type: 'string' } }, strict: true }));
if (!values.pack || !values.stage) {
  console.error(`${ROLE}: --pack and --stage are required\n\n${USAGE}`);
  process.exit(2);
}
const tls = serverTls(ROLE, values);
try {
  const pack = loadServedPack(ROLE, { ...values, pack: values.pack });
  const models = await loadStage(pack, values.stage);
  const registry = createRegistry(ROLE);
  const server = await startServer(values.host, port(ROLE, 'port', values.port), (s) => addCheckedService(s, ediffProtos().SuperResolutionNode.service, handlers(pack, models, registry)), {}, serverCredentials(tls));
  const register = values.nats ? { nats: natsAccess(values)!, advertise: values.advertise, record: { role: 'sr' as const, name: models.stage, pack: pack.manifest.name, pack_hash: pack.hash, capacity: 1 } } : undefined;
  await announceAndServe({ role: ROLE, name: models.stage, server, registry, host: values.host, metricsPort: port(ROLE, 'metrics-port', values['metrics-port']), ...(register && { register }) }, () => models.release());
} catch (error) {
  log(ROLE, `cannot start: ${(error as Error).message}`);
  process.exit(1);
}
