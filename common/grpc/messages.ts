/**
 * ediff.v1 messages as protobuf bytes outside gRPC (a durable job's request and events in NATS; the
 * chaos run's fuzzed requests),
 * with protobufjs, the library under proto-loader: the objects are those of the gRPC handlers (the
 * LOADER_OPTIONS conversions), so a stored message reads back as the wire gave it.
 */
import protobuf from 'protobufjs';
import { LOADER_OPTIONS, PROTO_DIR } from './proto.ts';
import type { GenerateRequest, GenerateRequest__Output } from './generated/ediff/v1/GenerateRequest.ts';
import type { JobEvent, JobEvent__Output } from './generated/ediff/v1/JobEvent.ts';
import type { SubmitJobRequest, SubmitJobRequest__Output } from './generated/ediff/v1/SubmitJobRequest.ts';

interface Messages {
  GenerateRequest: [GenerateRequest, GenerateRequest__Output];
  JobEvent: [JobEvent, JobEvent__Output];
  SubmitJobRequest: [SubmitJobRequest, SubmitJobRequest__Output];
}

let root: protobuf.Root | null = null;
const types = new Map<keyof Messages, protobuf.Type>();
function type(name: keyof Messages): protobuf.Type {
  if (!root) {
    root = new protobuf.Root();
    root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : PROTO_DIR + target);
    root.loadSync('ediff/v1/coordinator.proto', { keepCase: LOADER_OPTIONS.keepCase ?? false });
  }
  const found = types.get(name) ?? root.lookupType(`ediff.v1.${name}`);
  types.set(name, found);
  return found;
}

export function encodeMessage<N extends keyof Messages>(name: N, message: Messages[N][0]): Uint8Array {
  const t = type(name);
  return t.encode(t.fromObject(message as Record<string, unknown>)).finish();
}

export function decodeMessage<N extends keyof Messages>(name: N, bytes: Uint8Array): Messages[N][1] {
  const t = type(name);
  return t.toObject(t.decode(bytes), { longs: Number, enums: String, bytes: Buffer, defaults: true, oneofs: true }) as Messages[N][1];
}
