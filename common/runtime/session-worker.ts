/**
 * A worker thread that owns one onnxruntime-node session (see session.ts). `session.run` is
 * synchronous native code, so it runs here, where it blocks nobody's event loop but this one.
 * Feeds are cast at this boundary to the element type each input declares (float32 -> float16,
 * int32 <-> int64), and float16 outputs come back as float32.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { float16ToFloat32, float32ToFloat16 } from './float16.ts';
import { upcastModel } from './upcast.ts';
import type { Feed, FromSessionWorker, SessionWorkerData, ToSessionWorker, ValueMetadata } from './session-messages.ts';

const port = parentPort!;
const data = workerData as SessionWorkerData;
const send = (m: FromSessionWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

async function createSession(model: string | Uint8Array): Promise<ort.InferenceSession> {
  const errors: string[] = [];
  for (const provider of data.providers) {
    try {
      const options: ort.InferenceSession.SessionOptions = {
        executionProviders: [provider],
        graphOptimizationLevel: 'all',
        extra: { session: { intra_op: { allow_spinning: data.spin ? '1' : '0' } } },
      };
      return await (typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options));
    } catch (cause) {
      errors.push(`${provider}: ${(cause as Error).message}`);
    }
  }
  throw new Error(`cannot load ${data.file} with any execution provider (${errors.join('; ')})`);
}

const metadata = (list: readonly ort.InferenceSession.ValueMetadata[]): ValueMetadata[] =>
  list.map((m) => (m.isTensor ? { name: m.name, isTensor: true, type: m.type, shape: [...m.shape] } : { name: m.name, isTensor: false, type: '', shape: [] }));

/** A feed as the tensor the input declares. */
function toOrt(name: string, feed: Feed, type: string): ort.Tensor {
  const dims = [...feed.dims];
  const d = feed.data;
  switch (type) {
    case 'float32':
      if (d instanceof Float32Array) return new ort.Tensor('float32', d, dims);
      break;
    case 'float16':
      if (d instanceof Float32Array) return new ort.Tensor('float16', float32ToFloat16(d), dims);
      break;
    case 'int64':
      if (d instanceof BigInt64Array) return new ort.Tensor('int64', d, dims);
      if (d instanceof Int32Array) return new ort.Tensor('int64', BigInt64Array.from(d, BigInt), dims);
      break;
    case 'int32':
      if (d instanceof Int32Array) return new ort.Tensor('int32', d, dims);
      if (d instanceof BigInt64Array) return new ort.Tensor('int32', Int32Array.from(d, Number), dims);
      break;
  }
  throw new Error(`input ${name} is ${type}; cannot feed it a ${d.constructor.name}`);
}

/** An output as it goes back: float16 as float32; others as they are (their buffers are moved, not copied). */
function fromOrt(t: ort.Tensor): Feed {
  const dims = [...t.dims];
  if (t.type === 'float16') return { data: float16ToFloat32(t.data as Uint16Array), dims };
  if (t.type !== 'float32' && t.type !== 'int64' && t.type !== 'int32') throw new Error(`output of type ${t.type} is not supported`);
  const data = t.data as Float32Array | BigInt64Array | Int32Array;
  return { data: data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice(), dims };
}

try {
  const upcast = data.upcast ? upcastModel(data.file) : null;
  const session = await createSession(upcast ?? data.file);
  const inputTypes = new Map(session.inputMetadata.map((m) => [m.name, m.isTensor ? m.type : '']));
  send({ type: 'ready', inputs: metadata(session.inputMetadata), outputs: metadata(session.outputMetadata), upcast: upcast !== null });
  port.on('message', async (m: ToSessionWorker) => {
    if (m.type === 'release') {
      await session.release();
      port.close();
      return;
    }
    try {
      const feeds: Record<string, ort.Tensor> = {};
      for (const [name, feed] of Object.entries(m.feeds)) {
        const type = inputTypes.get(name);
        if (type === undefined) throw new Error(`the model has no input ${name}`);
        feeds[name] = toOrt(name, feed, type);
      }
      const result = await session.run(feeds, m.outputs);
      const outputs: Record<string, Feed> = {};
      for (const name of m.outputs) outputs[name] = fromOrt(result[name]!);
      send({ type: 'result', call: m.call, outputs }, [...new Set(Object.values(outputs).map((o) => o.data.buffer as ArrayBuffer))]);
    } catch (error) {
      send({ type: 'error', call: m.call, message: (error as Error).message });
    }
  });
} catch (error) {
  send({ type: 'failed', message: (error as Error).message });
  port.close();
}
