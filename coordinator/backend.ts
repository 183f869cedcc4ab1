/**
 * The coordinator's PipelineBackend: branches are encoded by the encoder node, base evaluations
 * go to expert nodes, SR stages run on SR nodes. Jobs run `runJob`, as in process.
 */
import { NodeUnavailableError } from '../common/errors.ts';
import type { Pack } from '../common/pack/load.ts';
import type { PackManifest, SuperResolutionStage } from '../common/pack/manifest.ts';
import type { SuperResolutionRun, PipelineBackend } from '../common/pipeline/job.ts';
import type { BranchRequest } from '../common/runtime/conditioning.ts';
import { RemoteExpert, type RemoteOptions } from './remote-expert.ts';
import { RemoteEncoder, RemoteSuperResolution, type RemoteNode } from './remote-nodes.ts';
import { log } from '../common/node-process.ts';

/** Where each node of the pipeline listens (the static node list). */
export interface NodeAddresses {
  encoder: string;
  /** Base expert name -> address. */
  experts: Record<string, string>;
  /** SR stage name -> address. */
  sr: Record<string, string>;
}

export class ClusterBackend implements PipelineBackend {
  readonly encoder: RemoteEncoder;
  readonly experts: RemoteExpert[];
  readonly sr = new Map<string, RemoteSuperResolution>();

  constructor(
    readonly pack: Pack,
    addresses: NodeAddresses,
    options: RemoteOptions = {},
  ) {
    this.encoder = new RemoteEncoder(addresses.encoder);
    this.experts = pack.manifest.base.experts.map((spec) => {
      const address = addresses.experts[spec.name];
      if (!address) throw new Error(`no address for base expert ${spec.name}`);
      return new RemoteExpert(spec, address, options);
    });
    for (const [name, address] of Object.entries(addresses.sr)) this.sr.set(name, new RemoteSuperResolution(name, address));
  }

  get manifest(): PackManifest {
    return this.pack.manifest;
  }

  get nodes(): RemoteNode[] {
    return [this.encoder, ...this.experts, ...this.sr.values()];
  }

  encode(request: BranchRequest, signal?: AbortSignal) {
    return this.encoder.encode(request, signal);
  }

  async baseExperts() {
    return this.experts;
  }

  superResolve(stage: SuperResolutionStage, run: SuperResolutionRun) {
    const node = this.sr.get(stage.name);
    if (!node) return Promise.reject(new NodeUnavailableError(`sr-node ${stage.name}`, `none is configured; start one and pass --sr ${stage.name}=HOST:PORT to the coordinator`));
    return node.upscale(stage, run);
  }

  /**
   * Asks every node which pack it serves; a node serving another pack (a different hash) is
   * refused, with the reason logged. A node not reachable yet is checked again on its first use.
   */
  async verifyNodes(): Promise<void> {
    await Promise.all(
      this.nodes.map(async (node) => {
        try {
          const { packHash } = await node.describe();
          if (packHash !== this.pack.hash) {
            node.refused = `it serves pack hash ${packHash.slice(0, 12)}, the coordinator serves ${this.pack.hash.slice(0, 12)} (${this.pack.manifest.name})`;
            log('coordinator', `refusing ${node.label}: ${node.refused}`);
          }
        } catch (error) {
          log('coordinator', `${node.label} is not reachable yet: ${(error as Error).message}`);
        }
      }),
    );
  }

  close(): void {
    for (const node of this.nodes) node.close();
  }
}
