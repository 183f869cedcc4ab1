/**
 * One expert denoiser of a pack on onnxruntime-node: a batch of (x, sigma, conditioning) -> D.
 * The parameterization wrapper (edm / eps / v) lives here, so callers always get D.
 */
import path from 'node:path';
import type { Pack } from '../pack/load.ts';
import { expertIo, type ExpertSpec } from '../pack/manifest.ts';
import { DiscreteSigmas, scalings } from './parameterization.ts';
import type { Tensor } from '../tensor.ts';
import { ModelSession, type Feed } from './session.ts';

export interface ExpertBatch {
  /** [B, C, H, W] */
  x: Tensor;
  /** One sigma per batch item. */
  sigma: ArrayLike<number>;
  /** Batched conditioning by input name ([B, ...]); must hold every input the expert lists. */
  inputs: Record<string, Tensor>;
  /** SR experts: the lower-resolution image, [B, C, h, w]. */
  lowRes?: Tensor;
}

export class ExpertModel {
  private readonly discrete: DiscreteSigmas | null;

  private constructor(
    readonly spec: ExpertSpec,
    private readonly session: ModelSession,
  ) {
    const p = spec.parameterization;
    this.discrete = p.type === 'edm' ? null : new DiscreteSigmas(p.schedule);
  }

  static async load(pack: Pack, spec: ExpertSpec): Promise<ExpertModel> {
    return new ExpertModel(spec, await ModelSession.load(path.join(pack.dir, spec.model)));
  }

  get name(): string {
    return this.spec.name;
  }

  /** Dims after the batch axis of each ONNX input (numbers where the model fixes them). */
  inputDims(): Record<string, readonly (number | string)[]> {
    const out: Record<string, readonly (number | string)[]> = {};
    for (const meta of this.session.inputMetadata) if (meta.isTensor) out[meta.name] = meta.shape.slice(1);
    return out;
  }

  /** D(x, sigma) for every item of the batch, [B, C, H, W] float32. */
  async evaluate(batch: ExpertBatch): Promise<Float32Array> {
    const { spec } = this;
    const B = batch.x.dims[0]!;
    if (batch.sigma.length !== B) throw new Error(`expert ${spec.name}: ${batch.sigma.length} sigmas for a batch of ${B}`);
    const per = batch.x.data.length / B;
    const io = expertIo(spec.parameterization);
    const feeds: Record<string, Feed> = {};
    for (const name of spec.inputs) {
      const t = batch.inputs[name];
      if (!t) throw new Error(`expert ${spec.name}: missing conditioning input ${name}`);
      feeds[name] = t;
    }
    if (batch.lowRes) feeds.low_res = batch.lowRes;
    const p = spec.parameterization;
    if (p.type === 'edm') {
      feeds.x = batch.x;
      feeds.sigma = { data: Float32Array.from(batch.sigma), dims: [B] };
      return (await this.session.runFloat(feeds, [io.output]))[io.output]!;
    }
    // Discrete-time eps / v model: feed c_in * x and the fractional timestep; D = c_skip * x + c_out * F.
    const s = Array.from(batch.sigma, (sigma) => scalings(p.type, sigma));
    const xIn = new Float32Array(batch.x.data.length);
    for (let b = 0; b < B; b++) for (let j = b * per; j < (b + 1) * per; j++) xIn[j] = batch.x.data[j]! * s[b]!.cIn;
    feeds.x = { data: xIn, dims: batch.x.dims };
    feeds.timestep = { data: Float32Array.from(batch.sigma, (sigma) => this.discrete!.sigmaToT(sigma)), dims: [B] };
    const F = (await this.session.runFloat(feeds, [io.output]))[io.output]!;
    const D = new Float32Array(F.length);
    for (let b = 0; b < B; b++) for (let j = b * per; j < (b + 1) * per; j++) D[j] = s[b]!.cSkip * batch.x.data[j]! + s[b]!.cOut * F[j]!;
    return D;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
