/**
 * Tensor and conditioning codecs for the wire. A Tensor message carries raw little-endian float32
 * bytes. A decoded `bytes` Buffer is a fresh slice of the received message: when it is 4-byte
 * aligned it is viewed as floats in place, else (it may be unaligned) copied first.
 */
import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '../errors.ts';
import { firstNonFinite, type Tensor } from '../tensor.ts';
import type { Tensor as TensorMessage, Tensor__Output as TensorOutput } from './generated/ediff/v1/Tensor.ts';
import type { Conditioning } from '../pipeline/conditioning.ts';

export function toWire(t: Tensor): TensorMessage {
  return { dtype: 'DTYPE_FLOAT32', shape: t.dims, data: Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength) };
}

export interface DecodeChecks {
  /** The dims the tensor must have. */
  dims?: readonly number[];
  /** Refuse NaN and infinities. */
  finite?: boolean;
}

/** Decodes and checks a tensor; problems are InvalidArgumentErrors naming `field`. */
export function fromWire(message: TensorOutput | null | undefined, field: string, checks: DecodeChecks = {}): Tensor {
  if (!message) throw new InvalidArgumentError(field, 'is missing');
  if (message.dtype !== 'DTYPE_FLOAT32') throw new InvalidArgumentError(field, `dtype must be DTYPE_FLOAT32, got ${message.dtype}`);
  const dims = message.shape;
  const count = dims.reduce((a, b) => a * b, 1);
  if (message.data.length !== count * 4) throw new InvalidArgumentError(field, `shape [${dims}] needs ${count * 4} bytes of float32, got ${message.data.length}`);
  if (checks.dims && dims.join() !== checks.dims.join()) throw new InvalidArgumentError(field, `must have shape [${checks.dims}], got [${dims}]`);
  const bytes = message.data;
  let data: Float32Array;
  if (bytes.byteOffset % 4 === 0) {
    data = new Float32Array(bytes.buffer, bytes.byteOffset, count);
  } else {
    data = new Float32Array(count);
    new Uint8Array(data.buffer).set(bytes);
  }
  if (checks.finite) {
    const bad = firstNonFinite(data);
    if (bad >= 0) throw new InvalidArgumentError(field, `value ${bad} is ${data[bad]}; values must be finite`);
  }
  return { dims, data };
}

export function conditioningToWire(c: Conditioning): Record<string, TensorMessage> {
  return Object.fromEntries(Object.entries(c).map(([name, t]) => [name, toWire(t)]));
}

export function conditioningFromWire(map: Record<string, TensorOutput>, field: string): Conditioning {
  return Object.fromEntries(Object.entries(map).map(([name, t]) => [name, fromWire(t, `${field}.${name}`, { finite: true })]));
}

/** The content id of a conditioning: the same tensors always get the same id, on every process. */
export function conditioningId(c: Conditioning): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(c).sort()) {
    const t = c[name]!;
    hash.update(`${name}[${t.dims.join(',')}]`).update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return hash.digest('hex').slice(0, 32);
}
