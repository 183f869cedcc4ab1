/**
 * The public Coordinator gRPC service: the job API and Generate (job-service.ts), the pipeline's
 * description and the cluster's status.
 */
import type { CoordinatorHandlers } from '../common/grpc/generated/ediff/v1/Coordinator.ts';
import type { ExpertInfo } from '../common/grpc/generated/ediff/v1/ExpertInfo.ts';
import type { PipelineDescription } from '../common/grpc/generated/ediff/v1/PipelineDescription.ts';
import type { ClusterStatus } from '../common/grpc/generated/ediff/v1/ClusterStatus.ts';
import { SR_DEFAULT_GUIDANCE, type ExpertSpec } from '../common/pack/manifest.ts';
import { availableSizes, packFeatures, sizeStep } from '../common/pipeline/request.ts';
import { SAMPLERS } from '../common/sampling/samplers.ts';
import type { ClusterBackend } from './backend.ts';
import type { JobThreads } from './job-threads.ts';
import type * as grpc from '@grpc/grpc-js';
import { toServiceError } from '../common/grpc/status.ts';
import { OPEN_TENANT, type Tenant, type Tokens } from './auth.ts';
import { jobHandlers } from './job-service.ts';
import type { JobStore } from './job-store.ts';
import type { JobApi } from './job-api.ts';
import { checkHealth } from './health.ts';

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

/** The nodes this coordinator uses, with their health and the load it puts on them. */
export async function clusterStatus(backend: ClusterBackend, jobs: JobThreads, coordinator: string): Promise<ClusterStatus> {
  // Evaluations and SR stages run on the job threads, encodings on this one.
  const load = await jobs.load();
  const nodes = await Promise.all(
    backend.nodes.map(async (n) => {
      const { outstanding, completed } = n.role === 'encoder' ? n : (load.get(n.address) ?? { outstanding: 0, completed: 0 });
      return { role: n.role, name: n.name, address: n.address, health: n.refused ? 'NOT_SERVING' : await checkHealth(n.address, 1000, backend.nodeCredentials), outstanding, completed };
    }),
  );
  return { coordinator, nodes };
}

/**
 * The handlers: jobs are kept in the store and run on the job threads; the backend is the main
 * thread's view of the cluster (membership, encoders, pack checks).
 */
export function coordinatorHandlers(backend: ClusterBackend, jobs: JobThreads, store: JobStore, api: JobApi, address: () => string, tokens: Tokens | null = null): CoordinatorHandlers {
  const authenticate = (metadata: grpc.Metadata): Tenant => (tokens ? tokens.authenticate(metadata) : OPEN_TENANT);
  return {
    ...jobHandlers(backend.manifest, store, api, authenticate),

    DescribePipeline(call, callback) {
      try {
        authenticate(call.metadata);
        callback(null, describePipeline(backend));
      } catch (error) {
        callback(toServiceError(error));
      }
    },

    async GetClusterStatus(call, callback) {
      try {
        authenticate(call.metadata);
      } catch (error) {
        return callback(toServiceError(error));
      }
      callback(null, await clusterStatus(backend, jobs, address()));
    },
  };
}
