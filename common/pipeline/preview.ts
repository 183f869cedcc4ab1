/**
 * Previews of a job's base stage: the sampler's current denoised estimate as a picture. A pixel
 * stage's estimate is one already; a latent stage's goes through the pack's linear latent -> RGB
 * map (AUTOMATIC1111's "approximate (cheap)" preview), at latent resolution: a few microseconds
 * where a VAE call would cost a decode per preview (see bench/README.md).
 */
import type { PackManifest } from '../pack/manifest.ts';
import type { Tensor } from '../tensor.ts';

/** Whether the pack's base stage can be previewed. */
export const hasPreviews = (m: PackManifest) => !m.base.latent || m.base.latent.preview_rgb !== null;

/** The RGB preview [3, h, w] in about [-1, 1] of a base-stage estimate with dims [C, h, w] (a copy). */
export function previewImage(m: PackManifest, dims: readonly number[], estimate: ArrayLike<number>): Tensor {
  const rgb = m.base.latent?.preview_rgb;
  if (!m.base.latent) return { dims: [...dims], data: Float32Array.from(estimate) };
  if (!rgb) throw new Error(`pack ${m.name} has no latent preview map`);
  const [channels, h, w] = dims as [number, number, number];
  const plane = h * w;
  const data = new Float32Array(3 * plane);
  for (let c = 0; c < channels; c++) {
    const row = rgb[c]!;
    for (let p = 0; p < plane; p++) {
      const v = estimate[c * plane + p]!;
      data[p] += v * row[0]!;
      data[plane + p] += v * row[1]!;
      data[2 * plane + p] += v * row[2]!;
    }
  }
  return { dims: [3, h, w], data };
}
