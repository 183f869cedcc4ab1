/** Asking a node's grpc.health.v1 service whether it is serving. */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath } from 'grpc-health-check';

type HealthClient = grpc.Client & {
  Check(request: { service: string }, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response?: { status: string }) => void): void;
};

const Health = (() => {
  const definition = protoLoader.loadSync(protoPath, { enums: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as { grpc: { health: { v1: { Health: new (address: string, credentials: grpc.ChannelCredentials) => HealthClient } } } };
  return pkg.grpc.health.v1.Health;
})();

export type HealthState = 'SERVING' | 'NOT_SERVING' | 'UNREACHABLE';

export function checkHealth(address: string, timeoutMs = 1000, credentials = grpc.credentials.createInsecure()): Promise<HealthState> {
  const client = new Health(address, credentials);
  return new Promise<HealthState>((resolve) =>
    client.Check({ service: '' }, { deadline: Date.now() + timeoutMs }, (error, response) => {
      client.close();
      resolve(error ? 'UNREACHABLE' : response?.status === 'SERVING' ? 'SERVING' : 'NOT_SERVING');
    }),
  );
}
