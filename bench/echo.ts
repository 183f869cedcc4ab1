/**
 * A plain grpc-js echo server and client (no ediff code on the path): the transport's own cost
 * for a 3x64x64 float32 tensor, to compare our evaluation hop against.
 *   node --import tsx bench/echo.ts                       serves on a free port and prints it
 *   node --import tsx bench/echo.ts --load ADDRESS SECS   streams to it with 64 in flight and
 *                                                         prints {"msgs_per_s": N}
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import { MAX_MESSAGE_BYTES } from '../common/grpc/proto.ts';

interface Blob {
  id: number;
  data: Buffer;
}
type EchoClient = grpc.Client & {
  Unary(b: Blob, cb: (e: grpc.ServiceError | null, r?: Blob) => void): void;
  Stream(): grpc.ClientDuplexStream<Blob, Blob>;
};

const definition = protoLoader.loadSync(fileURLToPath(new URL('echo.proto', import.meta.url)), { longs: Number, defaults: true });
const Echo = (grpc.loadPackageDefinition(definition) as unknown as { bench: { Echo: (new (address: string, credentials: grpc.ChannelCredentials, options: object) => EchoClient) & { service: grpc.ServiceDefinition } } }).bench.Echo;

export const TENSOR_BYTES = 3 * 64 * 64 * 4;

/**
 * grpc-js's defaults but for the message size limits. Not ediff's CHANNEL_OPTIONS: their larger
 * flow-control window suits messages of many evaluations but slows this stream of one-tensor
 * messages (64 in flight: 2895-3216 against 3656-3728 msgs/s, side by side here), and the echo is
 * the ceiling we compare against, so it runs as fast as it can.
 */
const ECHO_OPTIONS: grpc.ChannelOptions = { 'grpc.max_receive_message_length': MAX_MESSAGE_BYTES, 'grpc.max_send_message_length': MAX_MESSAGE_BYTES };

export function echoClient(address: string): EchoClient {
  return new Echo(address, grpc.credentials.createInsecure(), ECHO_OPTIONS);
}

/** A bidirectional echo stream: `send` resolves when its message has come back. */
export function echoStream(client: EchoClient) {
  const stream = client.Stream();
  stream.on('error', () => {}); // the server goes away at the end
  const pending = new Map<number, () => void>();
  stream.on('data', (b: { id: number }) => pending.get(b.id)?.());
  const data = Buffer.alloc(TENSOR_BYTES, 7);
  let id = 0;
  const send = () =>
    new Promise<void>((resolve) => {
      const k = id++;
      pending.set(k, () => {
        pending.delete(k);
        resolve();
      });
      stream.write({ id: k, data });
    });
  return { send, end: () => stream.end() };
}

/** Round trips per second with `inFlight` messages in flight, over `seconds`. */
export async function streamThroughput(send: () => Promise<void>, seconds: number, inFlight = 64): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < end) {
        await send();
        done++;
      }
    }),
  );
  return done / ((performance.now() - t0) / 1000);
}

async function serve(): Promise<void> {
  const server = new grpc.Server(ECHO_OPTIONS);
  server.addService(Echo.service, {
    Unary: (call: grpc.ServerUnaryCall<Blob, Blob>, cb: grpc.sendUnaryData<Blob>) => cb(null, call.request),
    Stream: (call: grpc.ServerDuplexStream<Blob, Blob>) => {
      call.on('data', (b: Blob) => call.write(b));
      call.on('end', () => call.end());
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  console.log(JSON.stringify({ event: 'ready', address: `127.0.0.1:${port}` }));
}

async function load(address: string, seconds: number): Promise<void> {
  const client = echoClient(address);
  const stream = echoStream(client);
  for (let i = 0; i < 300; i++) await stream.send();
  const msgsPerS = await streamThroughput(stream.send, seconds);
  stream.end();
  client.close();
  console.log(JSON.stringify({ msgs_per_s: msgsPerS }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [mode, address, seconds] = process.argv.slice(2);
  if (mode === '--load') await load(address!, Number(seconds));
  else await serve();
}
