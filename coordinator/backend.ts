/**
 * The coordinator's PipelineBackend: branches are encoded by the encoder pool, base evaluations
 * go to each expert's replica pool, SR stages run on an SR pool. Jobs run `runJob`, as in process.
 * Replicas join and leave at run time (static list at start, NATS discovery after).
 */
import type * as grpc from '@grpc/grpc-js';
import { NodeUnavailableError } from '../common/errors.ts';
import { log } from '../common/process/node-process.ts';
import type { Pack } from '../common/pack/load.ts';
import { imageStageNames, type DecodeStage, type PackManifest, type SuperResolutionStage } from '../common/pack/manifest.ts';
import type { PipelineBackend, SuperResolutionRun } from '../common/pipeline/job.ts';
import { EncodingCache } from './encoding-cache.ts';
import { ExpertPool, ReplicaPool } from './pool.ts';
import { RemoteExpert, type RemoteOptions } from './remote-expert.ts';
import { RemoteEncoder, RemoteSuperResolution, type RemoteNode } from './remote-nodes.ts';
import type { BranchRequest, EncodedBranch } from '../common/pipeline/conditioning.ts';
import type { Tensor } from '../common/tensor.ts';

export type NodeRole = RemoteNode['role'];

/** A replica joined, left, or was refused (a pack mismatch). */
export interface MembershipChange {
  op: 'add' | 'remove' | 'refuse';
  role: NodeRole;
  name: string;
  address: string;
  /** Why the node is refused (op 'refuse'). */
  reason?: string;
}

/** Where each node of the pipeline listens (the static node list): addresses per role and name. */
export interface NodeAddresses {
  encoder: string[];
  /** Base expert name -> replica addresses. */
  experts: Record<string, string[]>;
  /** SR stage name -> replica addresses. */
  sr: Record<string, string[]>;
}

export interface BackendOptions extends RemoteOptions {
  /** Where encoded branches are kept. @default a 64 MiB cache */
  encodings?: EncodingCache;
  /**
   * Encodes the branches this backend's cache misses elsewhere instead of on the encoder pool: a
   * job thread asks the main thread, whose cache all threads share.
   */
  encode?: (request: BranchRequest) => Promise<EncodedBranch>;
  /** Called when a call is retried on another replica. */
  onRetry?: (role: NodeRole, name: string, failed: RemoteNode, error: Error) => void;
  /** Called after every change of membership (the job threads mirror it). */
  onMembership?: (change: MembershipChange) => void;
}

export class ClusterBackend implements PipelineBackend {
  readonly encoders: ReplicaPool<RemoteEncoder>;
  readonly experts: ExpertPool[];
  readonly sr = new Map<string, ReplicaPool<RemoteSuperResolution>>();
  private readonly encodings: EncodingCache;

  constructor(
    readonly pack: Pack,
    private readonly options: BackendOptions = {},
  ) {
    const retry = (role: NodeRole, name: string) => (failed: RemoteNode, error: Error) => options.onRetry?.(role, name, failed, error);
    this.encoders = new ReplicaPool<RemoteEncoder>('encoder-node', { onRetry: retry('encoder', 'encoder') });
    this.encodings = options.encodings ?? new EncodingCache(64 * 1024 * 1024);
    // Evaluations released together go to one replica, up to about one batch of guided ones.
    this.experts = pack.manifest.base.experts.map(
      (spec) => new ExpertPool(spec, new ReplicaPool<RemoteExpert>(`expert ${spec.name}`, { onRetry: retry('expert', spec.name), turnGroup: Math.floor((spec.max_batch ?? 32) / 2) })),
    );
    for (const stage of imageStageNames(pack.manifest)) this.sr.set(stage, new ReplicaPool<RemoteSuperResolution>(`sr-node ${stage}`, { onRetry: retry('sr', stage) }));
  }

  get manifest(): PackManifest {
    return this.pack.manifest;
  }


  /** How channels to the nodes are secured (health checks use it too). */
  get nodeCredentials(): grpc.ChannelCredentials | undefined {
    return this.options.credentials;
  }

  /** Every replica of every pool. */
  get nodes(): RemoteNode[] {
    return [...this.encoders.replicas, ...this.experts.flatMap((e) => e.pool.replicas), ...[...this.sr.values()].flatMap((p) => p.replicas)];
  }

  private poolOf(role: NodeRole, name: string) {
    if (role === 'encoder') return this.encoders;
    if (role === 'expert') return this.experts.find((e) => e.spec.name === name)?.pool;
    return this.sr.get(name);
  }

  /** Adds a replica; null (and a log line) when the pack has no such expert or stage. */
  addNode(role: NodeRole, name: string, address: string): RemoteNode | null {
    const unknown = () => {
      log('coordinator', `ignoring ${role} ${name} at ${address}: pack ${this.manifest.name} has no such ${role === 'sr' ? 'SR stage' : 'expert'}`);
      return null;
    };
    let node: RemoteNode;
    switch (role) {
      case 'encoder': {
        const encoder = new RemoteEncoder(address, undefined, this.options.credentials);
        this.encoders.add(encoder);
        node = encoder;
        break;
      }
      case 'expert': {
        const expert = this.experts.find((e) => e.spec.name === name);
        if (!expert) return unknown();
        const replica = new RemoteExpert(expert.spec, address, this.options);
        expert.pool.add(replica);
        node = replica;
        break;
      }
      case 'sr': {
        const pool = this.sr.get(name);
        if (!pool) return unknown();
        const replica = new RemoteSuperResolution(name, address, undefined, this.options.credentials);
        pool.add(replica);
        node = replica;
        break;
      }
    }
    this.options.onMembership?.({ op: 'add', role, name, address });
    return node;
  }

  /** Removes a replica (calls in flight on it fail over to the others). */
  removeNode(role: NodeRole, name: string, address: string): void {
    const removed = this.poolOf(role, name)?.remove(address);
    if (!removed) return;
    removed.close();
    this.options.onMembership?.({ op: 'remove', role, name, address });
  }

  /** Makes a change another backend saw (a job thread mirrors the main thread's membership). */
  applyMembership(change: MembershipChange): void {
    const { op, role, name, address } = change;
    if (op === 'add') this.addNode(role, name, address);
    else if (op === 'remove') this.removeNode(role, name, address);
    else {
      const node = this.poolOf(role, name)?.replicas.find((r) => r.address === address);
      if (node) node.refused = change.reason ?? 'refused';
    }
  }

  addAll(addresses: NodeAddresses): void {
    for (const a of addresses.encoder) this.addNode('encoder', 'encoder', a);
    for (const [name, list] of Object.entries(addresses.experts)) for (const a of list) this.addNode('expert', name, a);
    for (const [name, list] of Object.entries(addresses.sr)) for (const a of list) this.addNode('sr', name, a);
  }

  /** A branch's conditioning, from the cache or the encoder pool (whose calls have a deadline). */
  async encode(request: BranchRequest, signal?: AbortSignal) {
    const delegate = this.options.encode;
    const conditioning = await this.encodings.get(request, () => (delegate ? delegate(request) : this.encoders.run((replica) => replica.encode(request))));
    signal?.throwIfAborted();
    return conditioning;
  }

  async baseExperts() {
    return this.experts;
  }

  /** The pool of an image stage's sr-nodes, or a NodeUnavailableError saying how to start one. */
  private imageStagePool(stage: string): ReplicaPool<RemoteSuperResolution> {
    const pool = this.sr.get(stage);
    if (!pool || pool.replicas.length === 0) {
      throw new NodeUnavailableError(`sr-node ${stage}`, `none is registered; start one (sr-node --stage ${stage}) and pass --sr ${stage}=HOST:PORT or use discovery`);
    }
    return pool;
  }

  async decode(stage: DecodeStage, latents: Tensor, signal?: AbortSignal) {
    return this.imageStagePool(stage.name).run((replica) => replica.decode(latents, signal));
  }

  async superResolve(stage: SuperResolutionStage, run: SuperResolutionRun) {
    return this.imageStagePool(stage.name).run((replica) => replica.upscale(stage, run));
  }

  /**
   * Asks every node which pack it serves; a node serving another pack (a different hash) is
   * refused, with the reason logged. A node not reachable yet is checked again on its first use.
   */
  async verifyNodes(nodes: RemoteNode[] = this.nodes): Promise<void> {
    await Promise.all(
      nodes.map(async (node) => {
        try {
          const { packHash } = await node.describe();
          if (packHash !== this.pack.hash) {
            node.refused = `it serves pack hash ${packHash.slice(0, 12)}, the coordinator serves ${this.pack.hash.slice(0, 12)} (${this.pack.manifest.name})`;
            log('coordinator', `refusing ${node.label}: ${node.refused}`);
            this.options.onMembership?.({ op: 'refuse', role: node.role, name: node.name, address: node.address, reason: node.refused });
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
