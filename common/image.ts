/**
 * Images in and out, through sharp. Inside the project an image is a CHW float32 tensor with
 * RGB in [-1, 1]; masks are HW float32 in [0, 1].
 */
import sharp from 'sharp';
import { InvalidArgumentError } from './errors.ts';
import type { Tensor } from './tensor.ts';

/** 8-bit value of a pixel component in [-1, 1] (clamped, rounded half up). */
const toByte = (v: number) => Math.min(255, Math.max(0, Math.floor((v + 1) * 127.5 + 0.5)));

/** CHW [-1, 1] -> interleaved 8-bit RGB. */
export function toRgb8(image: Tensor): { pixels: Buffer; width: number; height: number } {
  const [channels, height, width] = image.dims as [number, number, number];
  if (channels !== 3) throw new Error(`expected 3 channels, got [${image.dims}]`);
  const plane = width * height;
  const pixels = Buffer.alloc(plane * 3);
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) pixels[p * 3 + c] = toByte(image.data[c * plane + p]!);
  return { pixels, width, height };
}

/** PNG bytes of a CHW [-1, 1] image; the same pixels always give the same bytes. */
export async function encodePng(image: Tensor): Promise<Buffer> {
  const { pixels, width, height } = toRgb8(image);
  return sharp(pixels, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 6, adaptiveFiltering: false }).toBuffer();
}

async function decode(bytes: Uint8Array, field: string, size: number, grey: boolean): Promise<Buffer> {
  try {
    let img = sharp(bytes).flatten({ background: '#000000' });
    img = grey ? img.greyscale() : img.toColourspace('srgb');
    const { data, info } = await img.resize(size, size, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== (grey ? 1 : 3)) throw new Error(`decoded to ${info.channels} channels`);
    return data;
  } catch (cause) {
    throw new InvalidArgumentError(field, `cannot read the image (${(cause as Error).message}); give a PNG, JPEG or WebP file`, { cause });
  }
}

/** Decodes PNG / JPEG / WebP bytes to a size x size CHW [-1, 1] image (stretched to fit). */
export async function decodeImage(bytes: Uint8Array, field: string, size: number): Promise<Tensor> {
  const rgb = await decode(bytes, field, size, false);
  const plane = size * size;
  const data = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) data[c * plane + p] = rgb[p * 3 + c]! / 127.5 - 1;
  return { dims: [3, size, size], data };
}

/** Decodes a mask image to size x size values in [0, 1] (white = 1; transparency counts as black). */
export async function decodeMask(bytes: Uint8Array, field: string, size: number): Promise<Tensor> {
  const grey = await decode(bytes, field, size, true);
  return { dims: [size, size], data: Float32Array.from(grey, (v) => v / 255) };
}
