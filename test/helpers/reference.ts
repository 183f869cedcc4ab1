/** Shared test helpers: a freshly built reference pack, and reading pictures back as captions. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { buildReferencePack } from '../../packs/reference/build.ts';
import { items, render, type Item } from '../../packs/reference/dataset.ts';

export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `ediff-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Builds the reference pack into a temporary folder. */
export function builtReferencePack(): { dir: string; remove: () => void } {
  const tmp = tempDir('reference');
  buildReferencePack(tmp.dir);
  return tmp;
}

const catalogue = items().map((item) => ({ item, image: render(item, 64) }));

/** Area-averages a CHW image down to 64x64. */
export function downsampleTo64(image: Float32Array, size: number): Float32Array {
  const f = size / 64;
  const out = new Float32Array(3 * 64 * 64);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < 64; y++)
      for (let x = 0; x < 64; x++) {
        let s = 0;
        for (let dy = 0; dy < f; dy++) for (let dx = 0; dx < f; dx++) s += Math.max(-1, Math.min(1, image[c * size * size + (y * f + dy) * size + x * f + dx]!));
        out[c * 4096 + y * 64 + x] = s / (f * f);
      }
  return out;
}

/** The image of the data set closest to a 64x64 CHW picture, and the mean squared distance to it. */
export function classify(image: Float32Array): Item & { meanSquaredError: number } {
  let best = catalogue[0]!;
  let bestDistance = Infinity;
  for (const entry of catalogue) {
    let d = 0;
    for (let j = 0; j < image.length; j++) d += (image[j]! - entry.image[j]!) ** 2;
    if (d < bestDistance) {
      bestDistance = d;
      best = entry;
    }
  }
  return { ...best.item, meanSquaredError: bestDistance / image.length };
}

/** A square PNG (a file or its bytes) as the CHW picture in [-1, 1] classify() reads. */
export async function readPicture(png: string | Buffer): Promise<{ chw: Float32Array; width: number }> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const plane = info.width * info.height;
  const chw = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) chw[c * plane + p] = data[p * 3 + c]! / 127.5 - 1;
  return { chw, width: info.width };
}

/** The data set's image closest to a square PNG of any size (downsampled to 64x64 first). */
export async function classifyPng(png: string | Buffer): Promise<ReturnType<typeof classify>> {
  const { chw, width } = await readPicture(png);
  return classify(width === 64 ? chw : downsampleTo64(chw, width));
}

/** A PNG of a solid colour. */
export const solidPng = (hex: string, size = 32) => sharp({ create: { width: size, height: size, channels: 3, background: hex } }).png().toBuffer();

/** A 64x64 mask PNG, white on one half. */
export async function halfMaskPng(half: 'left' | 'right'): Promise<Buffer> {
  const white = await sharp({ create: { width: 32, height: 64, channels: 3, background: '#ffffff' } }).png().toBuffer();
  return sharp({ create: { width: 64, height: 64, channels: 3, background: '#000000' } })
    .composite([{ input: white, left: half === 'left' ? 0 : 32, top: 0 }])
    .png()
    .toBuffer();
}
