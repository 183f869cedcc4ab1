/**
 * A float16 ONNX model rewritten to compute in float32: what diffusers' `force_upcast` does for
 * SDXL's VAE, whose activations overflow float16 (NaN or black images). Every float16 weight,
 * constant, value type and Cast target becomes float32; the inputs and outputs too (the session
 * boundary then feeds and returns float32). A model that keeps weights in external data files
 * is not rewritten (the caller keeps float16 and checks its outputs).
 */
import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import { float16ToFloat32 } from './float16.ts';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;

/** A float16 tensor's values as float32 (from raw_data, or int32_data where each int holds one half). */
function upcastTensor(t: onnxProto.onnx.ITensorProto): void {
  if (t.dataType !== FLOAT16) return;
  let halves: Uint16Array;
  if (t.rawData && t.rawData.length > 0) {
    const bytes = Uint8Array.from(t.rawData);
    halves = new Uint16Array(bytes.buffer, 0, bytes.length / 2);
  } else halves = Uint16Array.from(t.int32Data ?? []);
  const values = float16ToFloat32(halves);
  t.dataType = FLOAT;
  t.rawData = new Uint8Array(values.buffer);
  t.int32Data = [];
}

function upcastType(type: onnxProto.onnx.ITypeProto | null | undefined): void {
  if (type?.tensorType?.elemType === FLOAT16) type.tensorType.elemType = FLOAT;
}

function upcastGraph(g: onnxProto.onnx.IGraphProto): void {
  for (const t of g.initializer ?? []) upcastTensor(t);
  for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) upcastType(v.type);
  for (const node of g.node ?? []) {
    for (const a of node.attribute ?? []) {
      if (node.opType === 'Cast' && a.name === 'to' && Number(a.i) === FLOAT16) a.i = FLOAT;
      if (a.t) upcastTensor(a.t);
      for (const t of a.tensors ?? []) upcastTensor(t);
      if (a.g) upcastGraph(a.g);
      for (const sub of a.graphs ?? []) upcastGraph(sub);
    }
  }
}

/** Does the model keep any weights outside its file? */
function hasExternalData(g: onnxProto.onnx.IGraphProto): boolean {
  return (g.initializer ?? []).some((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL);
}

/** The float32 form of a float16 model file, or null when it keeps weights in external data. */
export function upcastModel(file: string): Uint8Array | null {
  const model = onnx.ModelProto.decode(readFileSync(file));
  if (!model.graph || hasExternalData(model.graph)) return null;
  upcastGraph(model.graph);
  return onnx.ModelProto.encode(model).finish();
}
