/**
 * Prometheus metrics: every process serves its registry on its own HTTP port at /metrics.
 * Our metric names start with `ediff_` and pass `promtool check metrics`; prom-client's default
 * Node metrics are served too (some of them do not pass promtool's lint).
 */
import http from 'node:http';
import client from 'prom-client';

export { client as prom };

export function createRegistry(role: string): client.Registry {
  const registry = new client.Registry();
  registry.setDefaultLabels({ role });
  // The event-loop delay histogram samples every 100 ms, not prom-client's 10: a 10 ms timer
  // costs an idle process ~8 ms of CPU a second (measured here), 0.2 cores for a 27-process
  // cluster on one machine; at 100 ms it is ~1 ms a second.
  client.collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
  return registry;
}

/** Buckets for latencies from 0.1 ms to 30 s. */
export const LATENCY_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface MetricsServer {
  address: string;
  port: number;
  close(): Promise<void>;
}

export async function serveMetrics(registry: client.Registry, host: string, port: number): Promise<MetricsServer> {
  const server = http.createServer(async (req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end('see /metrics\n');
      return;
    }
    try {
      const body = await registry.metrics();
      res.writeHead(200, { 'Content-Type': registry.contentType }).end(body);
    } catch (error) {
      res.writeHead(500).end(String(error));
    }
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  const bound = (server.address() as { port: number }).port;
  return {
    address: `${host}:${bound}`,
    port: bound,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
