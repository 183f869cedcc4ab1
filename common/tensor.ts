/** A float32 tensor as the pipeline passes it around: row-major data and its dims. */
export interface Tensor {
  dims: number[];
  data: Float32Array;
}

export const zeros = (dims: number[]): Tensor => ({ dims, data: new Float32Array(dims.reduce((a, b) => a * b, 1)) });

/** Stacks same-shaped tensors along a new leading batch axis. */
export function stack(tensors: readonly Tensor[]): Tensor {
  const first = tensors[0];
  if (!first) throw new Error('cannot stack zero tensors');
  const data = new Float32Array(first.data.length * tensors.length);
  tensors.forEach((t, i) => {
    if (t.data.length !== first.data.length) throw new Error(`cannot stack [${t.dims}] onto [${first.dims}]`);
    data.set(t.data, i * first.data.length);
  });
  return { dims: [tensors.length, ...first.dims], data };
}
