/**
 * A plain grpc-js echo server and client (no ediff code on the path): the transport's own cost
 * for a 3x64x64 float32 tensor, to compare our evaluation hop against. `node --import tsx
 * bench/echo.ts` serves on a free port and prints it.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import { CHANNEL_OPTIONS } from '../common/grpc/proto.ts';

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

export function echoClient(address: string): EchoClient {
  return new Echo(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
}

async function serve(): Promise<void> {
  const server = new grpc.Server(CHANNEL_OPTIONS);
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

if (process.argv[1] === fileURLToPath(import.meta.url)) await serve();
