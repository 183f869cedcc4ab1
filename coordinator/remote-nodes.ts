/** The encoder node and the SR nodes, as the coordinator's backend calls them. */
import * as grpc from '@grpc/grpc-js';
import type { DecodeResponse__Output } from '../common/grpc/generated/ediff/v1/DecodeResponse.ts';
import type { EncodeResponse__Output } from '../common/grpc/generated/ediff/v1/EncodeResponse.ts';
import type { EncoderNodeClient } from '../common/grpc/generated/ediff/v1/EncoderNode.ts';
import type { SuperResolutionNodeClient } from '../common/grpc/generated/ediff/v1/SuperResolutionNode.ts';
import type { UpscaleEvent__Output } from '../common/grpc/generated/ediff/v1/UpscaleEvent.ts';
import { generatorFromWire, generatorToWire } from '../common/grpc/generator.ts';
import { microToWire } from '../common/grpc/micro.ts';
import { CHANNEL_OPTIONS, ediffProtos } from '../common/grpc/proto.ts';
import { fromServiceError } from '../common/grpc/status.ts';
import { conditioningFromWire, conditioningToWire, fromWire, toWire } from '../common/grpc/tensor.ts';
import { NodeUnavailableError } from '../common/errors.ts';
import type { SuperResolutionStage } from '../common/pack/manifest.ts';
import type { SuperResolutionRun } from '../common/pipeline/job.ts';
import type { NoiseGenerator } from '../common/rng.ts';
import type { Tensor } from '../common/tensor.ts';
import type { BranchRequest, EncodedBranch } from '../common/pipeline/conditioning.ts';

/** What every remote node offers the coordinator: its address, load and pack check. */
export interface RemoteNode {
  readonly role: 'encoder' | 'expert' | 'sr';
  readonly name: string;
  readonly address: string;
  readonly label: string;
  readonly outstanding: number;
  readonly completed: number;
  refused: string | null;
  describe(): Promise<{ packHash: string; name: string }>;
  close(): void;
}

/** Any node client: they all have Describe. */
interface Describable {
  Describe(argument: object, options: grpc.CallOptions, callback: grpc.requestCallback<{ packHash: string; name: string }>): grpc.ClientUnaryCall;
}

export function describeCall(client: Describable, label: string, timeoutMs: number) {
  return new Promise<{ packHash: string; name: string }>((resolve, reject) =>
    client.Describe({}, { deadline: Date.now() + timeoutMs }, (error, r) => (error ? reject(fromServiceError(error, label)) : resolve(r!))),
  );
}

/**
 * A unary call to a node, counted in its outstanding and completed calls and cancelled when
 * `signal` aborts; errors come back as the named errors of fromServiceError.
 */
function countedCall<R, T>(
  node: { label: string; outstanding: number; completed: number },
  signal: AbortSignal | undefined,
  start: (callback: grpc.requestCallback<R>) => grpc.ClientUnaryCall,
  decode: (response: R) => T,
): Promise<T> {
  signal?.throwIfAborted();
  node.outstanding++;
  return new Promise<T>((resolve, reject) => {
    const call = start((error, response) => {
      signal?.removeEventListener('abort', cancel);
      node.outstanding--;
      node.completed++;
      if (error) reject(fromServiceError(error, node.label));
      else resolve(decode(response!));
    });
    const cancel = () => call.cancel();
    signal?.addEventListener('abort', cancel, { once: true });
  });
}

export class RemoteEncoder implements RemoteNode {
  readonly role = 'encoder';
  readonly name = 'encoder';
  readonly label: string;
  private readonly client: EncoderNodeClient;
  outstanding = 0;
  completed = 0;
  refused: string | null = null;

  constructor(
    readonly address: string,
    private readonly timeoutMs = 30_000,
    credentials = grpc.credentials.createInsecure(),
  ) {
    this.label = `encoder-node at ${address}`;
    this.client = new (ediffProtos().EncoderNode)(address, credentials, CHANNEL_OPTIONS);
  }

  encode(r: BranchRequest, signal?: AbortSignal): Promise<EncodedBranch> {
    if (this.refused) return Promise.reject(new NodeUnavailableError(this.label, this.refused));
    return countedCall(
      this,
      signal,
      (callback) =>
        this.client.Encode(
          { prompt: r.prompt, styleImage: r.style ?? Buffer.alloc(0), paint: r.paint, paintWeight: r.paintWeight, paintRequired: r.paintRequired, negative: r.negative ?? false, ...(r.micro && { micro: microToWire(r.micro) }) },
          { deadline: Date.now() + this.timeoutMs },
          callback,
        ),
      (response: EncodeResponse__Output) => ({ conditioning: conditioningFromWire(response.conditioning, 'conditioning'), warnings: response.warnings }),
    );
  }

  describe() {
    return describeCall(this.client, this.label, this.timeoutMs);
  }

  close(): void {
    this.client.close();
  }
}

export class RemoteSuperResolution implements RemoteNode {
  readonly role = 'sr';
  readonly label: string;
  private readonly client: SuperResolutionNodeClient;
  outstanding = 0;
  completed = 0;
  refused: string | null = null;

  constructor(
    readonly name: string,
    readonly address: string,
    private readonly timeoutMs = 600_000,
    credentials = grpc.credentials.createInsecure(),
  ) {
    this.label = `sr-node ${name} at ${address}`;
    this.client = new (ediffProtos().SuperResolutionNode)(address, credentials, CHANNEL_OPTIONS);
  }

  upscale(stage: SuperResolutionStage, run: SuperResolutionRun): Promise<{ image: Tensor; rng: NoiseGenerator }> {
    if (this.refused) return Promise.reject(new NodeUnavailableError(this.label, this.refused));
    run.signal?.throwIfAborted();
    this.outstanding++;
    return new Promise((resolve, reject) => {
      const call = this.client.Upscale(
        { lowRes: toWire(run.lowRes), cond: conditioningToWire(run.branches.cond), uncond: conditioningToWire(run.branches.uncond), rng: generatorToWire(run.rng) },
        { deadline: Date.now() + this.timeoutMs },
      );
      let result: { image: Tensor; rng: NoiseGenerator } | null = null;
      let settled = false;
      const cancel = () => call.cancel();
      run.signal?.addEventListener('abort', cancel, { once: true });
      // grpc-js may fire 'error' and then 'end' for one failed stream: count the call once.
      const settle = (error: Error | null) => {
        if (settled) return;
        settled = true;
        run.signal?.removeEventListener('abort', cancel);
        this.outstanding--;
        this.completed++;
        if (error) reject(error);
        else if (result) resolve(result);
        else reject(new NodeUnavailableError(this.label, `stage ${stage.name} ended without a result`));
      };
      call.on('data', (e: UpscaleEvent__Output) => {
        if (e.evaluation) run.onEvaluation({ step: e.evaluation.step, sigma: e.evaluation.sigma, expert: e.evaluation.expert, replica: this.address });
        if (e.result) result = { image: fromWire(e.result.image, 'image'), rng: generatorFromWire(e.result.rng, 'rng') };
      });
      call.on('error', (error) => settle(fromServiceError(error, this.label)));
      call.on('end', () => settle(null));
    });
  }

  /** Runs the decode stage on this node: latents in, image out. */
  decode(latents: Tensor, signal?: AbortSignal): Promise<Tensor> {
    if (this.refused) return Promise.reject(new NodeUnavailableError(this.label, this.refused));
    return countedCall(
      this,
      signal,
      (callback) => this.client.Decode({ latents: toWire(latents) }, { deadline: Date.now() + this.timeoutMs }, callback),
      (response: DecodeResponse__Output) => fromWire(response.image, 'image'),
    );
  }

  describe() {
    return describeCall(this.client, this.label, 10_000);
  }

  close(): void {
    this.client.close();
  }
}
