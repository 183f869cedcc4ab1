/**
 * Starting and stopping a gRPC server: raised message limits, grpc.health.v1 on every process,
 * port 0 for "any free port" (the bound port is returned).
 */
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { CHANNEL_OPTIONS } from './proto.ts';

export interface RunningServer {
  server: grpc.Server;
  health: HealthImplementation;
  address: string;
  port: number;
  /** Stops accepting calls, lets running ones finish for up to `graceMs`, then cuts them. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * `options`: grpc-js server options besides the message limits (e.g. `grpc.max_concurrent_streams`);
 * `credentials`: TLS (see tls.ts), plaintext by default.
 */
export async function startServer(host: string, port: number, register: (server: grpc.Server) => void, options: grpc.ServerOptions = {}, credentials = grpc.ServerCredentials.createInsecure()): Promise<RunningServer> {
  const server = new grpc.Server({ ...CHANNEL_OPTIONS, ...options });
  const health = new HealthImplementation({ '': 'SERVING' });
  health.addToServer(server);
  register(server);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, credentials, (error, p) => (error ? reject(error) : resolve(p))),
  );
  return {
    server,
    health,
    address: `${host}:${bound}`,
    port: bound,
    stop: (graceMs = 2000) =>
      new Promise<void>((resolve) => {
        health.setStatus('', 'NOT_SERVING');
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
