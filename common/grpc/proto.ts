/**
 * Loading the ediff protos, with the one set of proto-loader options used everywhere (the
 * generated types in ./generated match them: npm run proto-types).
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import type { ProtoGrpcType as CoordinatorProto } from './generated/coordinator.ts';
import type { ProtoGrpcType as NodeProto } from './generated/node.ts';

export const PROTO_DIR = fileURLToPath(new URL('../../protos/', import.meta.url));

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

/** Messages up to 64 MiB each way: a 1024x1024 float32 image is 12 MiB (the default limit is 4 MiB). */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/**
 * A client's HTTP/2 receive window, per stream and per connection (HTTP/2's default is 64 KiB).
 * With 64 KiB, the sender of a several-evaluation message stops every 64 KiB until the receiver
 * has read half of it and answered with a WINDOW_UPDATE: more wake-ups and writes on both sides
 * (in the 8-replica scaling run, ~12% of the CPU per job). Two full Denoise messages
 * (STREAM_MESSAGE_BYTES) fit. grpc-js applies this option to clients only: a server's receive
 * window stays 64 KiB until grpc-js supports it there (grpc/grpc-node#3058).
 */
const FLOW_CONTROL_WINDOW_BYTES = 8 * 1024 * 1024;

export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW_BYTES,
};

let cached: { ediff: CoordinatorProto['ediff'] & NodeProto['ediff'] } | null = null;

/** The ediff.v1 package: services and messages of coordinator.proto and node.proto. */
export function ediffProtos(): (CoordinatorProto['ediff'] & NodeProto['ediff'])['v1'] {
  if (!cached) {
    const definition = protoLoader.loadSync(['ediff/v1/coordinator.proto', 'ediff/v1/node.proto'], LOADER_OPTIONS);
    cached = grpc.loadPackageDefinition(definition) as unknown as { ediff: CoordinatorProto['ediff'] & NodeProto['ediff'] };
  }
  return cached.ediff.v1;
}
