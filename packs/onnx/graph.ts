/**
 * A small builder that writes ONNX models from TypeScript (on the `onnx-proto` package's
 * generated protobuf classes). Used to build the project's own model packs, since no weights can
 * be downloaded. Output is deterministic: the same calls give the same bytes.
 *
 * ```ts
 * const g = new GraphBuilder('affine');
 * const x = g.input('x', 'float32', ['batch', 4]);
 * const y = g.op('Add', [g.op('MatMul', [x, g.constant('w', f32(w), [4, 2])]), g.constant('b', f32(b), [2])]);
 * g.output(y, 'y', 'float32', ['batch', 2]);
 * writeFileSync('affine.onnx', g.encode());
 * ```
 */
import onnxProto from 'onnx-proto';
import { float32ToFloat16 } from '../../common/runtime/float16.ts';

const { onnx } = onnxProto;

/** Element types the builder writes; names as onnxruntime-node's Tensor types. */
export type ElementType = 'float32' | 'float16' | 'int64' | 'int32' | 'bool';

export const ELEMENT_TYPE: Record<ElementType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** A dimension: a fixed size, or a symbolic name (e.g. 'batch'). */
export type Dim = number | string;

/** The default opset (ai.onnx); 17 has LayerNormalization. */
export const DEFAULT_OPSET = 17;

/** A typed attribute value; ONNX tells INT from FLOAT, so the builder asks which. */
export type Attribute =
  | { type: 'int'; value: number }
  | { type: 'float'; value: number }
  | { type: 'ints'; value: number[] }
  | { type: 'floats'; value: number[] }
  | { type: 'string'; value: string };

export const attr = {
  int: (value: number): Attribute => ({ type: 'int', value }),
  float: (value: number): Attribute => ({ type: 'float', value }),
  ints: (value: number[]): Attribute => ({ type: 'ints', value }),
  floats: (value: number[]): Attribute => ({ type: 'floats', value }),
  string: (value: string): Attribute => ({ type: 'string', value }),
};

function toAttributeProto(name: string, a: Attribute): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case 'int':
      return { name, type: T.INT, i: a.value };
    case 'float':
      return { name, type: T.FLOAT, f: a.value };
    case 'ints':
      return { name, type: T.INTS, ints: a.value };
    case 'floats':
      return { name, type: T.FLOATS, floats: a.value };
    case 'string':
      return { name, type: T.STRING, s: new TextEncoder().encode(a.value) };
  }
}

function valueInfo(name: string, type: ElementType, dims: Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEMENT_TYPE[type],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** A constant's values: float16 as raw half bits (Uint16Array), bool as bytes. */
type TensorData = Float32Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;

function elementTypeOf(data: TensorData): ElementType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Uint16Array) return 'float16';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  return 'bool';
}

/** Where `encode` puts large initializers: in a file beside the model, as ONNX external data. */
export interface ExternalData {
  /** The data file's name, relative to the model's folder (e.g. `model.onnx_data`, `weights.pb`). */
  location: string;
  /** Initializers of at least this many bytes go to the file. @default 1024 */
  minBytes?: number;
}

/** Float32Array from numbers. */
export const f32 = (values: ArrayLike<number>) => Float32Array.from(values);
/** BigInt64Array from numbers (shapes, indices, axes). */
export const i64 = (values: ArrayLike<number>) => BigInt64Array.from(Array.from(values, (v) => BigInt(v)));

export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  /**
   * @param floatWeights 'float16' stores every float32 constant as float16 and casts it back to
   * float32 in the graph, as a half-precision export stores its weights.
   */
  constructor(
    readonly name: string,
    private readonly floatWeights: 'float32' | 'float16' = 'float32',
  ) {}

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`ONNX graph ${this.name}: the name ${name} is used twice`);
    this.names.add(name);
    return name;
  }

  /** An unused name; the caller claims it. */
  private fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.counter++}`;
    while (this.names.has(name));
    return name;
  }

  /** Declares a graph input and returns its name. */
  input(name: string, type: ElementType, dims: Dim[]): string {
    this.inputs.push(valueInfo(this.claim(name), type, dims));
    return name;
  }

  /** Adds a constant tensor (an initializer) and returns its name. */
  constant(name: string, data: TensorData, dims: number[]): string {
    if (this.floatWeights === 'float16' && data instanceof Float32Array) {
      const half = this.constant(`${name}_float16`, float32ToFloat16(data), dims);
      return this.op('Cast', [half], { to: attr.int(ELEMENT_TYPE.float32) }, name);
    }
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== data.length) throw new Error(`constant ${name}: ${data.length} values for shape [${dims}]`);
    this.initializers.push({
      name: this.claim(name),
      dims,
      dataType: ELEMENT_TYPE[elementTypeOf(data)],
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
    return name;
  }

  /** A scalar-ish float constant of shape [] with an automatic name. */
  scalar(value: number): string {
    return this.constant(this.fresh('scalar'), f32([value]), []);
  }

  /** A float32 vector constant (e.g. Resize scales) with an automatic name. */
  floats(values: number[]): string {
    return this.constant(this.fresh('floats'), f32(values), [values.length]);
  }

  /** An int64 vector constant (shapes, axes, indices) with an automatic name. */
  ints(values: number[]): string {
    return this.constant(this.fresh('ints'), i64(values), [values.length]);
  }

  /** Adds a node with one output and returns the output's name. */
  op(opType: string, inputs: string[], attributes: Record<string, Attribute> = {}, outputName?: string): string {
    return this.opMulti(opType, inputs, 1, attributes, outputName ? [outputName] : undefined)[0]!;
  }

  /** Adds a node with several outputs and returns their names. */
  opMulti(opType: string, inputs: string[], outputCount: number, attributes: Record<string, Attribute> = {}, outputNames?: string[]): string[] {
    const names = outputNames ?? Array.from({ length: outputCount }, () => this.fresh(opType.toLowerCase()));
    const outputs = names.map((n) => this.claim(n));
    this.nodes.push({
      opType,
      name: `${opType}_${this.nodes.length}`,
      input: inputs,
      output: outputs,
      attribute: Object.entries(attributes).map(([k, v]) => toAttributeProto(k, v)),
    });
    return outputs;
  }

  /** Declares `value` as a graph output named `name` (adds an Identity when the names differ). */
  output(value: string, name: string, type: ElementType, dims: Dim[]): void {
    const out = value === name ? value : this.op('Identity', [value], {}, name);
    this.outputs.push(valueInfo(out, type, dims));
  }

  /** The serialized ModelProto. */
  encode(opset = DEFAULT_OPSET): Uint8Array {
    return onnx.ModelProto.encode(this.model(opset, this.initializers)).finish();
  }

  /**
   * The serialized ModelProto with its large initializers moved to an external data file (as
   * exporters write models over 2 GB): returns the model and the data file's bytes.
   */
  encodeWithExternalData(external: ExternalData, opset = DEFAULT_OPSET): { model: Uint8Array; data: Uint8Array } {
    const minBytes = external.minBytes ?? 1024;
    const chunks: Uint8Array[] = [];
    let offset = 0;
    const initializers = this.initializers.map((t) => {
      const raw = t.rawData as Uint8Array;
      if (raw.length < minBytes) return t;
      chunks.push(raw);
      const entry = { ...t, rawData: null, dataLocation: onnx.TensorProto.DataLocation.EXTERNAL, externalData: [{ key: 'location', value: external.location }, { key: 'offset', value: String(offset) }, { key: 'length', value: String(raw.length) }] };
      offset += raw.length;
      return entry;
    });
    const data = new Uint8Array(offset);
    let at = 0;
    for (const c of chunks) {
      data.set(c, at);
      at += c.length;
    }
    return { model: onnx.ModelProto.encode(this.model(opset, initializers)).finish(), data };
  }

  private model(opset: number, initializers: onnxProto.onnx.ITensorProto[]): onnxProto.onnx.ModelProto {
    return onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'ediff',
      producerVersion: '1',
      opsetImport: [{ domain: '', version: opset }],
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
  }
}
