/**
 * float16 <-> float32 at a session's boundary. onnxruntime-node takes and returns float16 tensors
 * as raw IEEE half bits in a Uint16Array (Node 20 has no Float16Array). Rounding (to nearest,
 * ties to even) comes from @petamoriken/float16; the way back is a table of all 65,536 halves
 * built with it once, since its Float16Array reads one element at a time through a proxy
 * (220 ms against ~1 ms for a 3x512x512 image here).
 */
import { Float16Array, getFloat16 } from '@petamoriken/float16';

/** The half bits of each value, rounded to nearest (ties to even); out of range goes to infinity. */
export function float32ToFloat16(values: Float32Array): Uint16Array {
  return new Uint16Array(new Float16Array(values).buffer);
}

let table: Float32Array | null = null;

/** The float32 value of each half. */
export function float16ToFloat32(bits: Uint16Array): Float32Array {
  if (!table) {
    const view = new DataView(new ArrayBuffer(2));
    table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) {
      view.setUint16(0, h, true);
      table[h] = getFloat16(view, 0, true);
    }
  }
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]!]!;
  return out;
}
