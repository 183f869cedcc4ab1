/**
 * The public Coordinator gRPC service. Handlers decode the request, run the job through the
 * cluster backend, and map errors to statuses in one place.
 */
import type * as grpc from '@grpc/grpc-js';
import type { CoordinatorHandlers } from '../common/grpc/generated/ediff/v1/Coordinator.ts';
import type { ExpertInfo } from '../common/grpc/generated/ediff/v1/ExpertInfo.ts';
import type { GenerateEvent } from '../common/grpc/generated/ediff/v1/GenerateEvent.ts';
import type { GenerateRequest__Output } from '../common/grpc/generated/ediff/v1/GenerateRequest.ts';
import type { PipelineDescription } from '../common/grpc/generated/ediff/v1/PipelineDescription.ts';
import { Status, toServiceError } from '../common/grpc/status.ts';
import { toWire } from '../common/grpc/tensor.ts';
import { generateRequestFromWire } from '../common/grpc/generate-request.ts';
import { encodePng } from '../common/image.ts';
import { SR_DEFAULT_GUIDANCE, type ExpertSpec } from '../common/pack/manifest.ts';
import { availableSizes, packFeatures, sizeStep } from '../common/pipeline/request.ts';
import { clampImage } from '../common/pipeline/stage.ts';
import { SAMPLERS } from '../common/sampling/samplers.ts';
import type { ClusterBackend } from './backend.ts';
import type { JobThreads } from './job-threads.ts';
import { checkHealth } from './health.ts';
import type { CoordinatorMetrics } from './metrics.ts';

function expertInfo(e: ExpertSpec, defaultGuidance: number): ExpertInfo {
  return {
    name: e.name,
    sigmaLo: e.sigma_lo,
    ...(e.sigma_hi !== null && { sigmaHi: e.sigma_hi }),
    parameterization: e.parameterization.type,
    inputs: e.inputs,
    guidance: e.guidance ?? defaultGuidance,
  };
}

export function describePipeline(backend: ClusterBackend): PipelineDescription {
  const m = backend.manifest;
  return {
    pack: m.name,
    packHash: backend.pack.hash,
    description: m.description ?? '',
    encoders: m.encoders.map((e) => ({ name: e.name, kind: e.kind, outputs: Object.values(e.outputs) })),
    experts: m.base.experts.map((e) => expertInfo(e, m.defaults.guidance)),
    superResolution: m.super_resolution.map((s) => ({ name: s.name, fromSize: s.from_size, size: s.size, sampler: s.sampler, steps: s.steps, experts: s.experts.map((e) => expertInfo(e, SR_DEFAULT_GUIDANCE)) })),
    defaults: { sampler: m.defaults.sampler, steps: m.defaults.steps, guidance: m.defaults.guidance, sigmaMin: m.defaults.sigma_min, sigmaMax: m.defaults.sigma_max, rho: m.defaults.rho, paintWeight: m.defaults.paint_weight },
    sizes: availableSizes(m),
    samplers: Object.keys(SAMPLERS),
    ...(m.decode && m.base.latent && {
      decode: { name: m.decode.name, scalingFactor: m.decode.scaling_factor, factor: m.base.latent.factor },
      latent: {
        channels: m.base.channels,
        factor: m.base.latent.factor,
        sizeStep: sizeStep(m)!,
        defaultWidth: m.base.size * m.base.latent.factor,
        defaultHeight: m.base.size * m.base.latent.factor,
        previews: m.base.latent.preview_rgb !== null,
      },
    }),
    features: packFeatures(m),
    recommendedSizes: (m.recommended_sizes ?? []).map(([width, height]) => ({ width, height })),
  };
}

/**
 * The handlers: jobs run on the job threads; the backend is the main thread's view of the cluster
 * (membership, encoders, pack checks).
 */
export function coordinatorHandlers(backend: ClusterBackend, jobs: JobThreads, metrics: CoordinatorMetrics, address: () => string): CoordinatorHandlers {
  return {
    async Generate(call: grpc.ServerWritableStream<GenerateRequest__Output, GenerateEvent>) {
      const abort = new AbortController();
      call.on('cancelled', () => abort.abort());
      metrics.jobsInFlight.inc();
      const endTimer = metrics.jobSeconds.startTimer();
      // Events go out in order: directly, unless an asynchronously encoded preview is still ahead.
      let queue = Promise.resolve();
      let queued = 0;
      const write = (event: GenerateEvent | Promise<GenerateEvent>) => {
        if (queued === 0 && !(event instanceof Promise)) {
          if (!abort.signal.aborted) call.write(event);
          return;
        }
        queued++;
        queue = queue.then(async () => {
          const e = await event;
          queued--;
          if (!abort.signal.aborted) call.write(e);
        });
      };
      try {
        const request = generateRequestFromWire(call.request);
        const result = await jobs.run(
          request,
          {
            onProgress: ({ type: _, ...evaluation }) => write({ evaluation }),
            onPreview: (step, image) => write(encodePng(clampImage(image)).then((png) => ({ preview: { stage: 'base', step, png } }))),
          },
          abort.signal,
        );
        const png = await encodePng(result.image);
        const size = result.width === result.height ? result.width : 0;
        write({ result: { png, image: toWire(result.image), seed: result.seed, size, width: result.width, height: result.height, stages: result.stages, warnings: result.warnings } });
        await queue;
        call.end();
        endTimer();
        metrics.jobs.inc({ outcome: 'ok' });
      } catch (error) {
        if (abort.signal.aborted) {
          metrics.jobs.inc({ outcome: 'cancelled' });
          return;
        }
        const e = toServiceError(error);
        metrics.jobs.inc({ outcome: Status[e.code] });
        metrics.errors.inc({ code: Status[e.code] });
        await queue.catch(() => {});
        call.emit('error', e);
      } finally {
        metrics.jobsInFlight.dec();
      }
    },

    DescribePipeline(_call, callback) {
      callback(null, describePipeline(backend));
    },

    async GetClusterStatus(_call, callback) {
      // Evaluations and SR stages run on the job threads, encodings on this one.
      const load = await jobs.load();
      const nodes = await Promise.all(
        backend.nodes.map(async (n) => {
          const { outstanding, completed } = n.role === 'encoder' ? n : (load.get(n.address) ?? { outstanding: 0, completed: 0 });
          return { role: n.role, name: n.name, address: n.address, health: n.refused ? 'NOT_SERVING' : await checkHealth(n.address), outstanding, completed };
        }),
      );
      callback(null, { coordinator: address(), nodes });
    },
  };
}
