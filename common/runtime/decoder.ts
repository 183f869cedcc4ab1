/**
 * A decode stage's model on onnxruntime-node: a VAE decoder, latents [C, h, w] -> an image
 * [3, H, W] in [-1, 1]. The latents are divided by the stage's scaling factor first, as diffusers
 * does. A float16 decoder whose export says `force_upcast` (SDXL's VAE overflows in float16)
 * runs in float32 where the model can be rewritten (upcast.ts); an output with NaN or infinity
 * is an error naming the stage, never a black image.
 */
import path from 'node:path';
import { NonFiniteOutputError } from '../errors.ts';
import type { Pack } from '../pack/load.ts';
import type { DecodeStage } from '../pack/manifest.ts';
import { firstNonFinite, type Tensor } from '../tensor.ts';
import { ModelSession } from './session.ts';

export class DecoderModel {
  private constructor(
    readonly stage: DecodeStage,
    private readonly session: ModelSession,
  ) {}

  static async load(pack: Pack, stage: DecodeStage): Promise<DecoderModel> {
    return new DecoderModel(stage, await ModelSession.load(path.resolve(pack.dir, stage.model), { upcast: stage.upcast ?? false }));
  }

  /** The model's element type for its latent input (float32, float16), as it runs. */
  get inputType(): string {
    return this.session.inputMetadata.find((m) => m.name === this.stage.tensors.input)?.type ?? 'float32';
  }

  /** A float16 decoder that runs in float32. */
  get upcast(): boolean {
    return this.session.upcast;
  }

  async decode(latents: Tensor): Promise<Tensor> {
    const { input, output } = this.stage.tensors;
    const factor = this.stage.scaling_factor;
    const scaled = Float32Array.from(latents.data, (v) => v / factor);
    const result = (await this.session.run({ [input]: { data: scaled, dims: [1, ...latents.dims] } }, [output]))[output]!;
    if (!(result.data instanceof Float32Array)) throw new Error(`stage ${this.stage.name}: output ${output} is not floating-point`);
    const bad = firstNonFinite(result.data);
    if (bad >= 0) {
      const hint =
        this.inputType !== 'float16'
          ? ''
          : this.stage.upcast
            ? ' (a float16 VAE overflows on some latents, and this one keeps its weights in external data, so it cannot run in float32 here: export the VAE decoder in float32)'
            : ' (a float16 VAE overflows on some latents: export the VAE decoder in float32, or set force_upcast in vae_decoder/config.json)';
      throw new NonFiniteOutputError(`stage ${this.stage.name}`, `the VAE decoder returned ${result.data[bad]} at value ${bad}${hint}`);
    }
    return { dims: result.dims.slice(1), data: result.data };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
