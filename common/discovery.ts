/**
 * Discovery over NATS: every node writes a record of itself into a JetStream key-value bucket and
 * rewrites it every heartbeat; coordinators watch the bucket. A node that stops cleanly deletes its
 * key (watchers see it leave at once); one that dies stops heartbeating and watchers drop it when
 * its heartbeat lapses. The bucket's TTL (nats-server 2.9 has bucket TTL, not per-key TTL) only
 * garbage-collects records of dead nodes.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';

export const REGISTRY_BUCKET = 'ediff_nodes';
/** How often a node rewrites its record. */
export const HEARTBEAT_MS = 1000;
/** A record older than this many heartbeats belongs to a dead node. */
export const LAPSE_HEARTBEATS = 3;
const BUCKET_TTL_MS = 60_000;

/** What a node says of itself in the registry. */
export interface NodeRecord {
  role: 'encoder' | 'expert' | 'sr';
  /** The expert's or SR stage's name; "encoder" for encoder nodes. */
  name: string;
  /** Where its gRPC API listens. */
  address: string;
  /** Where its /metrics listens. */
  metrics: string;
  pack: string;
  pack_hash: string;
  /** Experts: the sigma range they own (sigma_hi null = infinity). */
  sigma_lo?: number;
  sigma_hi?: number | null;
  /** How many model rows one batch takes (experts), or 1. */
  capacity: number;
  /** Work waiting on the node now (queue depth). */
  load: number;
  heartbeat_ms: number;
}

/** The key of a node's record: `<role>.<name>.<address with : and . as _>`. */
export const registryKey = (r: Pick<NodeRecord, 'role' | 'name' | 'address'>) => `${r.role}.${r.name}.${r.address.replace(/[^A-Za-z0-9-]/g, '_')}`;

export interface Registry {
  nc: NatsConnection;
  kv: KV;
}

/** Where NATS is and how to get in: over TLS when `ca` is given, with a user and password when the server wants them. */
export interface NatsAccess {
  url: string;
  /** The CA that signed the NATS server's certificate (TLS). */
  ca?: string;
  user?: string;
  pass?: string;
}

/** Connects to NATS (reconnecting for ever once connected); a clear error when it cannot be reached. */
export async function connectNats(access: NatsAccess): Promise<NatsConnection> {
  try {
    return await connect({
      servers: access.url,
      name: 'ediff',
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      ...(access.ca && { tls: { caFile: access.ca } }),
      ...(access.user !== undefined && { user: access.user, pass: access.pass ?? '' }),
    });
  } catch (cause) {
    throw new Error(`cannot reach NATS at ${access.url}: ${(cause as Error).message}`, { cause });
  }
}

/** Connects to NATS and opens (creating if needed) the registry bucket. */
export async function openRegistry(access: NatsAccess): Promise<Registry> {
  const nc = await connectNats(access);
  const kv = await new Kvm(nc).create(REGISTRY_BUCKET, { ttl: BUCKET_TTL_MS, history: 1 });
  return { nc, kv };
}

/** A node's registration: heartbeats until stopped, then deletes its record. */
export class NodeRegistration {
  private timer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly registry: Registry,
    private readonly record: Omit<NodeRecord, 'load'>,
    private readonly load: () => number,
  ) {}

  static async start(access: NatsAccess, record: Omit<NodeRecord, 'load' | 'heartbeat_ms'>, load: () => number = () => 0, heartbeatMs = HEARTBEAT_MS): Promise<NodeRegistration> {
    const registration = new NodeRegistration(await openRegistry(access), { ...record, heartbeat_ms: heartbeatMs }, load);
    await registration.beat();
    registration.timer = setInterval(() => void registration.beat().catch(() => {}), heartbeatMs);
    registration.timer.unref();
    return registration;
  }

  private async beat(): Promise<void> {
    await this.registry.kv.put(registryKey(this.record), JSON.stringify({ ...this.record, load: this.load() } satisfies NodeRecord));
  }

  /** Leaves the registry at once (coordinators stop routing here), then disconnects. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.registry.kv.delete(registryKey(this.record)).catch(() => {});
    await this.registry.nc.drain().catch(() => {});
  }
}
