/**
 * A job's checkpoint (job.ts) as bytes, to store it where another coordinator can resume the job:
 * a JSON header (phase, step, shapes, the generator's integer state) and the arrays' raw bytes
 * after it, so every float (the sampler's float64 x and history, the generator's spare normal,
 * the float32 image) comes back with the same bits.
 *
 *   "EDC1" | header length (uint32 LE) | header JSON | zero padding to 8 bytes | float64 arrays | float32 image
 */
import type { JobCheckpoint } from './job.ts';

const MAGIC = 'EDC1';

interface Header {
  phase: number;
  evaluation: number;
  bits: number[];
  /** The generator's spare normal is the first float64 when set. */
  spare: boolean;
  sampler: { step: number; x: number; previousDenoised: number | null } | null;
  image: number[] | null;
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

export function encodeCheckpoint(c: JobCheckpoint): Uint8Array {
  const header: Header = {
    phase: c.phase,
    evaluation: c.evaluation,
    bits: c.rng.bits,
    spare: c.rng.spare !== null,
    sampler: c.sampler && { step: c.sampler.step, x: c.sampler.x.length, previousDenoised: c.sampler.previousDenoised?.length ?? null },
    image: c.image?.dims ?? null,
  };
  const json = Buffer.from(JSON.stringify(header));
  const doubles = [...(c.rng.spare !== null ? [Float64Array.of(c.rng.spare)] : []), ...(c.sampler ? [c.sampler.x] : []), ...(c.sampler?.previousDenoised ? [c.sampler.previousDenoised] : [])];
  const start = align8(8 + json.length);
  const floatsAt = start + doubles.reduce((n, d) => n + d.byteLength, 0);
  const out = new Uint8Array(floatsAt + (c.image?.data.byteLength ?? 0));
  out.set(Buffer.from(MAGIC), 0);
  new DataView(out.buffer).setUint32(4, json.length, true);
  out.set(json, 8);
  let at = start;
  for (const d of doubles) {
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  if (c.image) out.set(new Uint8Array(c.image.data.buffer, c.image.data.byteOffset, c.image.data.byteLength), at);
  return out;
}

export function decodeCheckpoint(bytes: Uint8Array): JobCheckpoint {
  if (bytes.length < 8 || Buffer.from(bytes.subarray(0, 4)).toString() !== MAGIC) throw new Error('not an ediff job checkpoint (or one of another version)');
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
  const h = JSON.parse(Buffer.from(bytes.subarray(8, 8 + length)).toString()) as Header;
  let at = align8(8 + length);
  // Copies: the arrays get their own aligned buffers, whatever `bytes` sits in.
  const doubles = (n: number) => {
    const d = new Float64Array(n);
    new Uint8Array(d.buffer).set(bytes.subarray(at, at + 8 * n));
    at += 8 * n;
    return d;
  };
  const spare = h.spare ? doubles(1)[0]! : null;
  const sampler = h.sampler && { step: h.sampler.step, x: doubles(h.sampler.x), previousDenoised: h.sampler.previousDenoised === null ? null : doubles(h.sampler.previousDenoised) };
  let image = null;
  if (h.image) {
    const data = new Float32Array(h.image.reduce((a, b) => a * b, 1));
    new Uint8Array(data.buffer).set(bytes.subarray(at, at + data.byteLength));
    at += data.byteLength;
    image = { dims: h.image, data };
  }
  if (at !== bytes.length) throw new Error(`a job checkpoint of ${bytes.length} bytes whose header describes ${at}`);
  return { phase: h.phase, evaluation: h.evaluation, rng: { bits: h.bits, spare }, sampler, image };
}
