/**
 * What every ediff process shares: the common flags, the one-line JSON "ready" message on stdout
 * (the embedded cluster reads it to learn the bound ports), logging to stderr, and a clean stop
 * on SIGINT / SIGTERM.
 */
import type { ParseArgsConfig } from 'node:util';
import { serveMetrics, type MetricsServer } from '../metrics.ts';
import type { RunningServer } from '../grpc/server.ts';
import { isLoopback, type ServerTls } from '../grpc/tls.ts';
import type { Registry } from 'prom-client';
import { NodeRegistration, type NatsAccess, type NodeRecord } from '../discovery.ts';
import { loadPack, locationFromFlags, packWarnings, type Pack } from '../pack/load.ts';

export const COMMON_OPTIONS = {
  pack: { type: 'string' },
  /** SDXL: the refiner's export folder, composed with --pack (the base) into one ensemble. */
  refiner: { type: 'string' },
  /** Where the refiner takes over: diffusers' denoising_end fraction. @default 0.8 */
  'refiner-at': { type: 'string' },
  /** NATS URL: register with (nodes) or watch (coordinator) the discovery registry. */
  nats: { type: 'string' },
  /** The host others reach this process at, when it binds 0.0.0.0 (e.g. a pod IP). */
  advertise: { type: 'string' },
  host: { type: 'string', default: '127.0.0.1' },
  port: { type: 'string', default: '0' },
  'metrics-port': { type: 'string', default: '0' },
  /** On SIGTERM: how long to finish the work in hand (queued evaluations, running jobs) before exiting. */
  'drain-s': { type: 'string', default: '30' },
  /** Serve over TLS with this certificate and key (PEM). */
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  /** Mutual TLS: refuse callers without a certificate this CA signed. */
  'tls-client-ca': { type: 'string' },
  /** Allow plaintext on an address other than loopback. */
  insecure: { type: 'boolean' },
  /** NATS over TLS: the CA of the server's certificate. */
  'nats-ca': { type: 'string' },
  /** NATS user (its password from EDIFF_NATS_PASSWORD, kept off command lines). */
  'nats-user': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** Runs a flag parser; prints usage and exits 2 when it throws, exits 0 on --help. */
export function parseFlags<T extends { values: { help?: boolean | undefined } }>(role: string, usage: string, parse: () => T): T['values'] {
  let parsed: T;
  try {
    parsed = parse();
  } catch (error) {
    console.error(`${role}: ${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
  if (parsed.values.help) {
    console.log(usage);
    process.exit(0);
  }
  return parsed.values;
}

/**
 * The process's TLS from --tls-cert, --tls-key and --tls-client-ca, or null for plaintext, which
 * a non-loopback --host allows only with --insecure (exits 2 otherwise, or on half a pair).
 */
export function serverTls(role: string, values: { host: string; 'tls-cert'?: string | undefined; 'tls-key'?: string | undefined; 'tls-client-ca'?: string | undefined; insecure?: boolean | undefined }): ServerTls | null {
  const fail = (message: string): never => {
    console.error(`${role}: ${message}`);
    process.exit(2);
  };
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) fail('--tls-cert and --tls-key go together');
  if (values['tls-client-ca'] !== undefined && values['tls-cert'] === undefined) fail('--tls-client-ca needs --tls-cert and --tls-key');
  if (values['tls-cert'] === undefined) {
    if (!isLoopback(values.host) && !values.insecure) fail(`--host ${values.host} is not loopback: serve it over TLS (--tls-cert, --tls-key) or pass --insecure to allow plaintext`);
    return null;
  }
  return { cert: values['tls-cert'], key: values['tls-key']!, ...(values['tls-client-ca'] !== undefined && { clientCa: values['tls-client-ca'] }) };
}

/** --nats with --nats-ca, --nats-user and EDIFF_NATS_PASSWORD, or undefined without --nats. */
export function natsAccess(values: { nats?: string | undefined; 'nats-ca'?: string | undefined; 'nats-user'?: string | undefined }): NatsAccess | undefined {
  if (!values.nats) return undefined;
  const pass = process.env.EDIFF_NATS_PASSWORD;
  return { url: values.nats, ...(values['nats-ca'] && { ca: values['nats-ca'] }), ...(values['nats-user'] && { user: values['nats-user'], ...(pass && { pass }) }) };
}

/** --drain-s in milliseconds (exits 2 on a bad value). */
export function drainMs(role: string, value: string | undefined): number {
  const s = Number(value);
  if (!(Number.isFinite(s) && s >= 0)) {
    console.error(`${role}: --drain-s must be a number of seconds >= 0, got ${JSON.stringify(value)}`);
    process.exit(2);
  }
  return s * 1000;
}

export function port(role: string, flag: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`${role}: --${flag} must be a port number (0 = any free port), got ${JSON.stringify(value)}`);
    process.exit(2);
  }
  return n;
}

export const log = (role: string, message: string) => process.stderr.write(`[${new Date().toISOString()}] ${role}: ${message}\n`);

/** Loads the pack a process serves (see loadPack), logging what was assumed about an export folder. */
export function loadServedPack(role: string, values: { pack: string; refiner?: string | undefined; 'refiner-at'?: string | undefined }): Pack {
  const pack = loadPack(locationFromFlags(values.pack, values.refiner, values['refiner-at']));
  for (const warning of packWarnings(pack)) log(role, `warning: ${warning}`);
  return pack;
}

/** The line the embedded cluster waits for. */
export interface ReadyMessage {
  event: 'ready';
  role: string;
  name: string;
  address: string;
  metrics: string;
  /** The coordinator's HTTP API, when it serves one. */
  http?: string;
}

/** How a node registers for discovery (see common/discovery.ts). */
export interface Registration {
  nats: NatsAccess;
  /** The host to register instead of the bound one (e.g. the pod IP when binding 0.0.0.0). */
  advertise?: string | undefined;
  record: Omit<NodeRecord, 'load' | 'heartbeat_ms' | 'metrics' | 'address'>;
  load?: () => number;
}

/** Resolves once `done()` holds (checked every 50 ms) or `ms` have passed; says which. */
export async function waitFor(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/**
 * Serves metrics, registers for discovery (when a NATS URL is given), announces readiness on
 * stdout, and on SIGINT / SIGTERM drains: health turns NOT_SERVING and the node leaves the
 * registry first (so no new work is routed to it), then `drain` finishes the work in hand
 * (given `drainMs` for it: --drain-s), then the server and the metrics endpoint stop (then
 * `onStop`, e.g. releasing model sessions).
 */
export async function announceAndServe(
  o: { role: string; name: string; server: RunningServer; registry: Registry; host: string; metricsPort: number; register?: Registration; drain?: (ms: number) => Promise<void>; drainMs?: number; http?: string },
  onStop: () => Promise<void> = async () => {},
): Promise<MetricsServer> {
  const metrics = await serveMetrics(o.registry, o.host, o.metricsPort);
  const registration = o.register
    ? await NodeRegistration.start(
        o.register.nats,
        {
          ...o.register.record,
          address: o.register.advertise ? `${o.register.advertise}:${o.server.port}` : o.server.address,
          metrics: o.register.advertise ? `${o.register.advertise}:${metrics.port}` : metrics.address,
        },
        o.register.load,
      )
    : null;
  const ready: ReadyMessage = { event: 'ready', role: o.role, name: o.name, address: o.server.address, metrics: metrics.address, ...(o.http && { http: o.http }) };
  process.stdout.write(JSON.stringify(ready) + '\n');
  log(o.role, `${o.name} serving on ${o.server.address}, metrics on http://${metrics.address}/metrics${registration ? `, registered at ${o.register!.nats.url}` : ''}`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(o.role, `${signal}: draining${o.drain ? ` (up to ${(o.drainMs ?? 0) / 1000} s)` : ''}, then stopping`);
    o.server.health.setStatus('', 'NOT_SERVING');
    await registration?.stop();
    await o.drain?.(o.drainMs ?? 0);
    await o.server.stop();
    await metrics.close();
    await onStop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  return metrics;
}
