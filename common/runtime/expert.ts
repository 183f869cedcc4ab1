/**
 * One expert denoiser of a pack on onnxruntime-node: a batch of (x, sigma, conditioning) -> D.
 * The parameterization wrapper (edm / eps / v) lives here, so callers always get D.
 *
 * The noise level is fed as the model's own input declares it (read from the session): sigma
 * (edm) or the training timestep (eps, v); float (the fractional timestep, as k-diffusion feeds
 * it) or integer (the nearest training step, k-diffusion's `quantize=True`); one per batch row
 * (`[B]`) or one for the whole call (a scalar `[]`, as Optimum >= 1.24 exports it: such a model
 * can only run evaluations of one sigma per call, see `oneSigmaPerCall`).
 */
import path from 'node:path';
import type { Pack } from '../pack/load.ts';
import { expertInputName, expertIo, type ExpertSpec, type ExpertTensorNames } from '../pack/manifest.ts';
import { NonFiniteOutputError } from '../errors.ts';
import { firstNonFinite, type Tensor } from '../tensor.ts';
import { DiscreteSigmas } from '../sampling/discrete-schedule.ts';
import { scalings } from './parameterization.ts';
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

/** How a model takes its noise level. */
export interface NoiseInput {
  /** One value for the whole call ([]) rather than one per row ([B]). */
  scalar: boolean;
  /** An integer timestep (int64 or int32): the nearest training step is fed. */
  integer: boolean;
}

export class ExpertModel {
  private readonly discrete: DiscreteSigmas | null;
  private readonly io: ExpertTensorNames;

  private constructor(
    readonly spec: ExpertSpec,
    private readonly session: ModelSession,
    readonly noise: NoiseInput,
  ) {
    const p = spec.parameterization;
    this.discrete = p.type === 'edm' ? null : new DiscreteSigmas(p.schedule);
    this.io = expertIo(spec);
  }

  static async load(pack: Pack, spec: ExpertSpec): Promise<ExpertModel> {
    const session = await ModelSession.load(path.resolve(pack.dir, spec.model));
    const name = expertIo(spec).noise;
    const meta = session.inputMetadata.find((m) => m.name === name);
    const fail = (problem: string) => {
      void session.release();
      return new Error(`expert ${spec.name}: ${spec.model}: input ${name} ${problem}`);
    };
    if (!meta?.isTensor) throw fail('is missing');
    if (meta.shape.length > 1) throw fail(`must be a scalar or one value per batch row, got shape [${meta.shape}]`);
    const integer = meta.type === 'int64' || meta.type === 'int32';
    if (!integer && meta.type !== 'float32' && meta.type !== 'float16') throw fail(`has type ${meta.type}; ediff feeds float32, float16, int64 or int32`);
    if (integer && spec.parameterization.type === 'edm') throw fail('is an integer, but an edm model takes sigma itself');
    return new ExpertModel(spec, session, { scalar: meta.shape.length === 0, integer });
  }

  get name(): string {
    return this.spec.name;
  }

  /** The model takes one noise level per call: only evaluations of one sigma can share a batch. */
  get oneSigmaPerCall(): boolean {
    return this.noise.scalar;
  }

  /** Dims after the batch axis of each conditioning input, by conditioning name (numbers where the model fixes them). */
  inputDims(): Record<string, readonly (number | string)[]> {
    const out: Record<string, readonly (number | string)[]> = {};
    for (const name of this.spec.inputs) {
      const meta = this.session.inputMetadata.find((m) => m.name === expertInputName(this.spec, name));
      if (meta?.isTensor) out[name] = meta.shape.slice(1);
    }
    return out;
  }

  /** The noise-level feed: sigma (edm) or the timestep of each row, as the model declares it. */
  private noiseFeed(sigmas: ArrayLike<number>): Feed {
    const values = Array.from(sigmas, (sigma) => (!this.discrete ? sigma : this.noise.integer ? this.discrete.nearestT(sigma) : this.discrete.sigmaToT(sigma)));
    if (this.noise.scalar && values.some((v) => v !== values[0])) throw new Error(`expert ${this.spec.name}: its model takes one noise level per call, but the batch mixes sigmas ${[...new Set(Array.from(sigmas))].join(', ')}`);
    const data = this.noise.integer ? BigInt64Array.from(values, BigInt) : Float32Array.from(values);
    return this.noise.scalar ? { data: data.subarray(0, 1), dims: [] } : { data, dims: [values.length] };
  }

  /**
   * D(x, sigma) for every item of the batch, [B, C, H, W] float32. With `move`, the batch's
   * arrays are moved to the model's thread, not copied: the caller gives them up (they are
   * detached), as the batcher's freshly stacked batches can.
   */
  async evaluate(batch: ExpertBatch, move = false): Promise<Float32Array> {
    const { spec, io } = this;
    const B = batch.x.dims[0]!;
    if (batch.sigma.length !== B) throw new Error(`expert ${spec.name}: ${batch.sigma.length} sigmas for a batch of ${B}`);
    const per = batch.x.data.length / B;
    const feeds: Record<string, Feed> = { [io.noise]: this.noiseFeed(batch.sigma) };
    for (const name of spec.inputs) {
      const t = batch.inputs[name];
      if (!t) throw new Error(`expert ${spec.name}: missing conditioning input ${name}`);
      feeds[expertInputName(spec, name)] = t;
    }
    if (batch.lowRes) feeds.low_res = batch.lowRes;
    const p = spec.parameterization;
    if (p.type === 'edm') {
      feeds[io.x] = batch.x;
      return this.finite((await this.session.runFloat(feeds, [io.output], move))[io.output]!);
    }
    // Discrete-time eps / v model: feed c_in * x and the timestep; D = c_skip * x + c_out * F.
    const s = Array.from(batch.sigma, (sigma) => scalings(p.type, sigma));
    const xIn = new Float32Array(batch.x.data.length);
    for (let b = 0; b < B; b++) for (let j = b * per; j < (b + 1) * per; j++) xIn[j] = batch.x.data[j]! * s[b]!.cIn;
    feeds[io.x] = { data: xIn, dims: batch.x.dims };
    // batch.x is still needed below: it is never among the moved feeds (c_in * x is).
    const F = (await this.session.runFloat(feeds, [io.output], move))[io.output]!;
    const D = new Float32Array(F.length);
    for (let b = 0; b < B; b++) for (let j = b * per; j < (b + 1) * per; j++) D[j] = s[b]!.cSkip * batch.x.data[j]! + s[b]!.cOut * F[j]!;
    return this.finite(D);
  }

  /** D, unless the model returned NaN or infinity (a float16 overflow, a broken model): an error naming the expert. */
  private finite(D: Float32Array): Float32Array {
    const bad = firstNonFinite(D);
    if (bad >= 0) throw new NonFiniteOutputError(`expert ${this.spec.name}`, `the model returned ${D[bad]} at value ${bad} of a batch of ${D.length}`);
    return D;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
