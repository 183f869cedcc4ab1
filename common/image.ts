/**
 * Images in and out. Inside the project an image is a CHW float32 tensor with RGB in [-1, 1];
 * masks are HW float32 in [0, 1]. sharp decodes (PNG, JPEG, WebP); PNGs are written with
 * node:zlib (see encodePng).
 */
import { crc32, deflate, deflateSync, type ZlibOptions } from 'node:zlib';
import { promisify } from 'node:util';
import sharp, { type Metadata } from 'sharp';
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

const deflateAsync = promisify(deflate);
/** Images up to this many bytes are compressed at once (under 0.5 ms here), larger ones on libuv's pool. */
const SYNC_DEFLATE_BYTES = 64 * 1024;
const PNG_SIGNATURE = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);

/** A PNG chunk: length, type, data, and the CRC-32 of type and data. */
function pngChunk(type: string, data: Buffer): Buffer {
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write(type, 4, 'latin1');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  return chunk;
}

/**
 * PNG bytes of a CHW [-1, 1] image (8-bit RGB, no row filter, deflate level 6); the same pixels
 * always give the same bytes. Written with node:zlib rather than sharp: sharp's fixed cost per
 * call made a 64x64 PNG cost 0.8-1.0 ms of CPU against 0.45 here (256: 3.0 against 2.5 ms;
 * 1024: 29 against 32 ms), and a coordinator encodes one per job, most of them small.
 */
export async function encodePng(image: Tensor): Promise<Buffer> {
  const { pixels, width, height } = toRgb8(image);
  const stride = width * 3;
  // Each scanline starts with its filter type byte (0: none).
  const scanlines = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) pixels.copy(scanlines, y * (stride + 1) + 1, y * stride, (y + 1) * stride);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  const options: ZlibOptions = { level: 6, chunkSize: Math.max(16 * 1024, scanlines.length) };
  const data = scanlines.length <= SYNC_DEFLATE_BYTES ? deflateSync(scanlines, options) : await deflateAsync(scanlines, options);
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', header), pngChunk('IDAT', data), pngChunk('IEND', Buffer.alloc(0))]);
}

/** The largest style image or mask accepted, in pixels (a 4096x4096 image). */
export const MAX_INPUT_PIXELS = 4096 * 4096;

/** An image's width x height from its header, without decoding it (INVALID_ARGUMENT naming `field` when unreadable). */
export async function imagePixels(bytes: Uint8Array, field: string): Promise<number> {
  let meta: Metadata;
  try {
    meta = await sharp(bytes).metadata();
  } catch (cause) {
    throw new InvalidArgumentError(field, `cannot read the image (${(cause as Error).message}); give a PNG, JPEG or WebP file`, { cause });
  }
  return (meta.width ?? 0) * (meta.height ?? 0);
}

async function decode(bytes: Uint8Array, field: string, size: number, grey: boolean): Promise<Buffer> {
  const pixels = await imagePixels(bytes, field);
  if (pixels > MAX_INPUT_PIXELS) throw new InvalidArgumentError(field, `is ${pixels} pixels; the limit is ${MAX_INPUT_PIXELS} (4096x4096)`);
  try {
    let img = sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS }).flatten({ background: '#000000' });
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
