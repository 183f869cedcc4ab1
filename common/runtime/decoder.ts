/**
 * A decode stage's model on onnxruntime-node: a VAE decoder, latents [C, h, w] -> an image
 * [3, H, W] in [-1, 1]. The latents are divided by the stage's scaling factor first, as diffusers
 * does; an output with NaN or infinity (SDXL's VAE overflows in float16) is an error naming the
 * stage, never a black image.
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
    return new DecoderModel(stage, await ModelSession.load(path.join(pack.dir, stage.model)));
  }

  /** The model's element type for its latent input (float32, float16). */
  get inputType(): string {
    return this.session.inputMetadata.find((m) => m.name === this.stage.tensors.input)?.type ?? 'float32';
  }

  async decode(latents: Tensor): Promise<Tensor> {
    const { input, output } = this.stage.tensors;
    const factor = this.stage.scaling_factor;
    const scaled = Float32Array.from(latents.data, (v) => v / factor);
    const result = (await this.session.run({ [input]: { data: scaled, dims: [1, ...latents.dims] } }, [output]))[output]!;
    if (!(result.data instanceof Float32Array)) throw new Error(`stage ${this.stage.name}: output ${output} is not floating-point`);
    const bad = firstNonFinite(result.data);
    if (bad >= 0) {
      const hint = this.inputType === 'float16' ? ' (a float16 VAE overflows on some latents: use a float32 VAE decoder)' : '';
      throw new NonFiniteOutputError(this.stage.name, `the VAE decoder returned ${result.data[bad]} at value ${bad}${hint}`);
    }
    return { dims: result.dims.slice(1), data: result.data };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
