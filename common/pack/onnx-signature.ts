/**
 * The inputs and outputs of an ONNX model file (names, element types, dims), read without loading
 * the model: the file is walked field by field and only the graph's input and output
 * ValueInfoProtos are decoded (with onnx-proto); initializers and nodes are skipped by seeking. A
 * 500 MB text encoder costs a few hundred small reads, and a model whose weights live beside it
 * (`model.onnx_data`, `weights.pb`) is never opened past its graph.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** Element types by ONNX TensorProto.DataType, named as onnxruntime-node names them. */
const ELEMENT_TYPES: Record<number, string> = {
  [onnx.TensorProto.DataType.FLOAT]: 'float32',
  [onnx.TensorProto.DataType.FLOAT16]: 'float16',
  [onnx.TensorProto.DataType.DOUBLE]: 'float64',
  [onnx.TensorProto.DataType.INT64]: 'int64',
  [onnx.TensorProto.DataType.INT32]: 'int32',
  [onnx.TensorProto.DataType.BOOL]: 'bool',
};

export interface ValueSignature {
  name: string;
  /** float32 | float16 | float64 | int64 | int32 | bool (or `type N` for others). */
  type: string;
  /** A fixed size, or the symbolic name the exporter gave the dim ('' when it gave none). */
  dims: (number | string)[];
}

export interface ModelSignature {
  inputs: ValueSignature[];
  outputs: ValueSignature[];
  /** The files the initializers' external data is in (relative to the model's folder), e.g. `model.onnx_data`, `weights.pb`. */
  externalData: string[];
}

/** Protobuf field numbers walked here (onnx.proto3). */
const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
const TENSOR_NAME = 8;
const TENSOR_EXTERNAL_DATA = 13;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;
const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

/** Reads a file at positions, through one small buffer. */
class FileCursor {
  private buffer = Buffer.alloc(64 * 1024);
  private bufferStart = 0;
  private bufferEnd = 0;
  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  /** The bytes [pos, pos + n), as a view valid until the next call. */
  read(pos: number, n: number): Buffer {
    if (pos + n > this.size) throw new Error(`truncated file: needs bytes up to ${pos + n} of ${this.size}`);
    if (pos < this.bufferStart || pos + n > this.bufferEnd) {
      if (n > this.buffer.length) this.buffer = Buffer.alloc(n);
      const got = readSync(this.fd, this.buffer, 0, Math.min(this.buffer.length, this.size - pos), pos);
      this.bufferStart = pos;
      this.bufferEnd = pos + got;
    }
    return this.buffer.subarray(pos - this.bufferStart, pos - this.bufferStart + n);
  }

  /** A varint at pos: its value and the position after it. */
  varint(pos: number): [number, number] {
    const bytes = this.read(pos, Math.min(10, this.size - pos));
    let value = 0;
    let scale = 1;
    for (let i = 0; i < bytes.length; i++) {
      value += (bytes[i]! & 0x7f) * scale;
      if ((bytes[i]! & 0x80) === 0) return [value, pos + i + 1];
      scale *= 128;
    }
    throw new Error(`malformed varint at byte ${pos}`);
  }
}

/** Calls `visit(field, wireType, start, end)` for every field in [from, to); `start..end` is a LEN field's payload. */
function walkFields(c: FileCursor, from: number, to: number, visit: (field: number, start: number, end: number) => void): void {
  let pos = from;
  while (pos < to) {
    const [tag, afterTag] = c.varint(pos);
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === WIRE_VARINT) pos = c.varint(afterTag)[1];
    else if (wire === WIRE_I64) pos = afterTag + 8;
    else if (wire === WIRE_I32) pos = afterTag + 4;
    else if (wire === WIRE_LEN) {
      const [length, start] = c.varint(afterTag);
      pos = start + length;
      visit(field, start, pos);
    } else throw new Error(`unsupported protobuf wire type ${wire} at byte ${pos}`);
  }
  if (pos !== to) throw new Error(`malformed protobuf: a field runs past byte ${to}`);
}

function valueSignature(v: onnxProto.onnx.ValueInfoProto): ValueSignature {
  const tensor = v.type?.tensorType;
  const elem = tensor?.elemType ?? 0;
  return {
    name: v.name,
    type: ELEMENT_TYPES[elem] ?? `type ${elem}`,
    dims: (tensor?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) > 0 ? Number(d.dimValue) : '')),
  };
}

/** The graph inputs (initializers excluded) and outputs of the ONNX model at `file`. */
export function readModelSignature(file: string): ModelSignature {
  const fd = openSync(file, 'r');
  try {
    const c = new FileCursor(fd, fstatSync(fd).size);
    const inputs: ValueSignature[] = [];
    const outputs: ValueSignature[] = [];
    const initializers = new Set<string>();
    const externalData = new Set<string>();
    const text = (start: number, end: number) => c.read(start, end - start).toString('utf8');
    let graphs = 0;
    walkFields(c, 0, c.size, (field, start, end) => {
      if (field !== MODEL_GRAPH) return;
      graphs++;
      walkFields(c, start, end, (f, s, e) => {
        if (f === GRAPH_INPUT) inputs.push(valueSignature(onnx.ValueInfoProto.decode(c.read(s, e - s))));
        else if (f === GRAPH_OUTPUT) outputs.push(valueSignature(onnx.ValueInfoProto.decode(c.read(s, e - s))));
        else if (f === GRAPH_INITIALIZER)
          walkFields(c, s, e, (tf, ts, te) => {
            if (tf === TENSOR_NAME) initializers.add(text(ts, te));
            if (tf !== TENSOR_EXTERNAL_DATA) return;
            // A key/value entry; the one keyed "location" names the data file.
            const entry: Record<number, string> = {};
            walkFields(c, ts, te, (ef, es, ee) => (entry[ef] = text(es, ee)));
            if (entry[ENTRY_KEY] === 'location' && entry[ENTRY_VALUE]) externalData.add(entry[ENTRY_VALUE]);
          });
      });
    });
    if (graphs !== 1) throw new Error(graphs === 0 ? 'no graph in the model' : 'more than one graph');
    return { inputs: inputs.filter((v) => !initializers.has(v.name)), outputs, externalData: [...externalData] };
  } finally {
    closeSync(fd);
  }
}
