/**
 * An expert on an expert node, as the routed denoiser sees it (an ExpertHandle). Evaluations go
 * on one long-lived bidirectional Denoise stream and are matched to their answers by id; those
 * asked for in one turn of the event loop share a message (an Outbox). Conditioning is uploaded
 * once, by content id; if the node lost it (NOT_FOUND) it is uploaded again and the evaluation
 * resent.
 */
import * as grpc from '@grpc/grpc-js';
import { onAbort } from '../common/abort.ts';
import { NodeTimeoutError, NodeUnavailableError } from '../common/errors.ts';
import type { DenoiseRequest } from '../common/grpc/generated/ediff/v1/DenoiseRequest.ts';
import type { DenoiseRequests } from '../common/grpc/generated/ediff/v1/DenoiseRequests.ts';
import type { DenoiseResponse__Output } from '../common/grpc/generated/ediff/v1/DenoiseResponse.ts';
import type { DenoiseResponses__Output } from '../common/grpc/generated/ediff/v1/DenoiseResponses.ts';
import type { ExpertNodeClient } from '../common/grpc/generated/ediff/v1/ExpertNode.ts';
import { Outbox, STREAM_MESSAGE_BYTES } from '../common/grpc/outbox.ts';
import { CHANNEL_OPTIONS, ediffProtos } from '../common/grpc/proto.ts';
import { Status, fromServiceError, statusName } from '../common/grpc/status.ts';
import { conditioningId, conditioningToWire, fromWire, toWire } from '../common/grpc/tensor.ts';
import type { ExpertSpec } from '../common/pack/manifest.ts';
import type { DenoiseCall, ExpertHandle } from '../common/pipeline/routing.ts';
import { describeCall, type RemoteNode } from './remote-nodes.ts';
import { type Conditioning, conditioningFor, needsUnconditional } from '../common/pipeline/conditioning.ts';

export interface RemoteOptions {
  /** Longest wait for one evaluation's answer. @default 30000 */
  evaluationTimeoutMs?: number;
  /** Longest wait for a unary call (conditioning upload, Describe). @default 10000 */
  callTimeoutMs?: number;
  /** How channels to nodes are secured (mutual TLS, see common/grpc/tls.ts). @default plaintext */
  credentials?: grpc.ChannelCredentials;
}

interface Pending {
  resolve: (denoised: Float32Array) => void;
  reject: (error: Error) => void;
  cleanup: () => void;
}

/** An error answered for one evaluation. */
class EvaluationError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const abortError = (node: string) => Object.assign(new Error(`${node}: the job was cancelled`), { name: 'AbortError' });

export class RemoteExpert implements ExpertHandle, RemoteNode {
  readonly role = 'expert';
  readonly label: string;
  private readonly client: ExpertNodeClient;
  private stream: { call: grpc.ClientDuplexStream<DenoiseRequests, DenoiseResponses__Output>; outbox: Outbox<DenoiseRequest> } | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Content id -> its upload (a settled promise once the node holds it). */
  private readonly uploads = new Map<string, Promise<void>>();
  /** Content ids whose upload finished. */
  private readonly held = new Set<string>();
  /** Branch conditioning -> the part this expert consumes and its id, so ids are hashed once per job. */
  private readonly ids = new WeakMap<Conditioning, { id: string; tensors: Conditioning }>();
  private readonly evaluationTimeoutMs: number;
  private readonly callTimeoutMs: number;
  /** Evaluations sent and answered (for GetClusterStatus). */
  completed = 0;
  /** Why this node must not be used (a pack mismatch), if it must not. */
  refused: string | null = null;

  constructor(
    readonly spec: ExpertSpec,
    readonly address: string,
    options: RemoteOptions = {},
  ) {
    this.label = `expert ${spec.name} at ${address}`;
    this.client = new (ediffProtos().ExpertNode)(address, options.credentials ?? grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
    this.evaluationTimeoutMs = options.evaluationTimeoutMs ?? 30_000;
    this.callTimeoutMs = options.callTimeoutMs ?? 10_000;
  }

  get name(): string {
    return this.spec.name;
  }

  get outstanding(): number {
    return this.pending.size;
  }

  async denoise(call: DenoiseCall): Promise<{ denoised: Float32Array; replica: string }> {
    if (this.refused) throw new NodeUnavailableError(this.label, this.refused);
    const guided = needsUnconditional(this.spec, call.guidance);
    const branches = guided ? [call.branches.cond, call.branches.uncond] : [call.branches.cond];
    for (let attempt = 0; ; attempt++) {
      // Nearly every evaluation finds its conditioning held already: no await for that.
      const heldIds = branches.map((b) => this.heldId(b));
      const [condId, uncondId = ''] = heldIds.every((id) => id !== undefined) ? (heldIds as string[]) : await Promise.all(branches.map((b) => this.upload(b)));
      try {
        const denoised = await this.evaluate({ x: toWire({ dims: call.dims, data: call.x }), sigma: call.sigma, condId, uncondId, guidance: call.guidance }, call.signal);
        this.completed++;
        return { denoised, replica: this.address };
      } catch (error) {
        // The node dropped the conditioning (restart, cache pressure): upload it again, once.
        if (error instanceof EvaluationError && error.code === Status.NOT_FOUND && attempt === 0) {
          for (const id of [condId!, uncondId]) {
            this.uploads.delete(id);
            this.held.delete(id);
          }
          continue;
        }
        throw error instanceof EvaluationError ? new Error(`${this.label} refused an evaluation: ${statusName(error.code)}: ${error.message}`) : error;
      }
    }
  }

  /** Does the node already hold (the part this expert consumes of) this branch's conditioning? */
  holds(branch: Conditioning): boolean {
    return this.heldId(branch) !== undefined;
  }

  /** The content id of (the part this expert consumes of) a branch, if the node holds it. */
  private heldId(branch: Conditioning): string | undefined {
    const entry = this.ids.get(branch);
    return entry !== undefined && this.held.has(entry.id) ? entry.id : undefined;
  }

  /** Uploads the part of a branch this expert consumes, unless the node already holds it; returns its id. */
  private async upload(branch: Conditioning): Promise<string> {
    let entry = this.ids.get(branch);
    if (!entry) {
      const tensors = conditioningFor(this.spec, branch);
      entry = { id: conditioningId(tensors), tensors };
      this.ids.set(branch, entry);
    }
    const { id, tensors } = entry;
    let upload = this.uploads.get(id);
    if (!upload) {
      upload = new Promise<void>((resolve, reject) =>
        this.client.PutConditioning({ id, tensors: conditioningToWire(tensors) }, { deadline: Date.now() + this.callTimeoutMs }, (error) =>
          error ? reject(fromServiceError(error, this.label)) : resolve(),
        ),
      );
      this.uploads.set(id, upload);
      upload.then(
        () => this.held.add(id),
        () => this.uploads.delete(id),
      );
    }
    await upload;
    return id;
  }

  private openStream() {
    if (this.stream) return this.stream;
    const call = this.client.Denoise();
    const answer = (r: DenoiseResponse__Output) => {
      const p = this.pending.get(r.id);
      if (!p) return; // timed out or cancelled meanwhile
      this.pending.delete(r.id);
      p.cleanup();
      if (r.code !== Status.OK) p.reject(new EvaluationError(r.code, r.message));
      else p.resolve(fromWire(r.denoised, 'denoised').data);
    };
    call.on('data', (m: DenoiseResponses__Output) => {
      for (const r of m.answers) answer(r);
    });
    const outbox: Outbox<DenoiseRequest> = new Outbox<DenoiseRequest>({
      send: (evaluations) => {
        if (this.stream?.call === call) call.write({ evaluations });
      },
      bytesOf: (r) => 64 + (r.x?.data?.length ?? 0),
      maxBytes: STREAM_MESSAGE_BYTES,
      // Answers due from the node (for evaluations sent before) may ask for more evaluations.
      more: () => this.pending.size > outbox.queued,
    });
    const lost = (reason: string) => {
      if (this.stream?.call !== call) return;
      this.stream = null;
      const error = new NodeUnavailableError(this.label, reason);
      for (const p of this.pending.values()) {
        p.cleanup();
        p.reject(error);
      }
      this.pending.clear();
    };
    call.on('error', (e: grpc.ServiceError) => lost(e.details || e.message));
    call.on('end', () => lost('the node closed the stream'));
    this.stream = { call, outbox };
    return this.stream;
  }

  private evaluate(request: Omit<DenoiseRequest, 'id'>, signal?: AbortSignal): Promise<Float32Array> {
    signal?.throwIfAborted();
    const id = this.nextId++;
    const stream = this.openStream();
    return new Promise<Float32Array>((resolve, reject) => {
      const forget = (error: Error) => {
        if (!this.pending.delete(id)) return;
        cleanup();
        if (this.stream === stream) stream.outbox.push({ id, cancel: true });
        reject(error);
      };
      const timer = setTimeout(() => forget(new NodeTimeoutError(this.label, this.evaluationTimeoutMs)), this.evaluationTimeoutMs);
      const dropAbort = signal ? onAbort(signal, () => forget(abortError(this.label))) : null;
      const cleanup = () => {
        clearTimeout(timer);
        dropAbort?.();
      };
      this.pending.set(id, { resolve, reject, cleanup });
      stream.outbox.push({ ...request, id });
    });
  }

  describe(): Promise<{ packHash: string; name: string }> {
    return describeCall(this.client, this.label, this.callTimeoutMs);
  }

  close(): void {
    this.stream?.call.end();
    this.stream = null;
    this.client.close();
  }
}
