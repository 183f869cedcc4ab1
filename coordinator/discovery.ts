/**
 * The coordinator's view of the NATS registry: nodes join the replica pools when their record
 * appears, leave when it is deleted, and are dropped when their heartbeat lapses. A node serving
 * another pack (a different hash) is refused, with the reason logged once.
 */
import { HEARTBEAT_MS, LAPSE_HEARTBEATS, openRegistry, type NatsAccess, type NodeRecord, type Registry } from '../common/discovery.ts';
import { log } from '../common/process/node-process.ts';
import type { ClusterBackend } from './backend.ts';

interface Known {
  record: NodeRecord;
  /** When the record was last written (its heartbeat), ms since the epoch. */
  seenAt: number;
  /** In the pools (false: refused). */
  joined: boolean;
}

export class RegistryWatcher {
  private readonly known = new Map<string, Known>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  private constructor(
    private readonly registry: Registry,
    private readonly backend: ClusterBackend,
  ) {}

  /** Starts watching; returns once the registry's current records are in the pools. */
  static async start(access: NatsAccess, backend: ClusterBackend): Promise<RegistryWatcher> {
    const watcher = new RegistryWatcher(await openRegistry(access), backend);
    const empty = (await watcher.registry.kv.status()).values === 0;
    const entries = await watcher.registry.kv.watch();
    await new Promise<void>((initialized) => {
      if (empty) initialized();
      void (async () => {
        for await (const e of entries) {
          if (watcher.stopped) break;
          if (e.operation === 'PUT') watcher.put(e.key, e.json<NodeRecord>(), e.created.getTime());
          else watcher.leave(e.key, 'left the registry');
          // delta: how many of the records there were at the start are still to come (the last
          // of them already counts as an update).
          if (e.delta === 0) initialized();
        }
      })();
    });
    watcher.timer = setInterval(() => watcher.dropLapsed(), HEARTBEAT_MS / 2);
    watcher.timer.unref();
    return watcher;
  }

  /** Nodes in the pools now, by registry key. */
  get members(): string[] {
    return [...this.known].filter(([, k]) => k.joined).map(([key]) => key);
  }

  private put(key: string, record: NodeRecord, writtenAt: number): void {
    const known = this.known.get(key);
    if (known) {
      known.seenAt = writtenAt;
      known.record = record;
      return;
    }
    // A record written longer ago than the lapse is a dead node's leftover.
    if (Date.now() - writtenAt > LAPSE_HEARTBEATS * record.heartbeat_ms) return;
    const pack = this.backend.pack;
    if (record.pack_hash !== pack.hash) {
      log('coordinator', `refusing ${record.role} ${record.name} at ${record.address}: it serves pack ${record.pack} with hash ${record.pack_hash.slice(0, 12)}, the coordinator serves ${pack.manifest.name} with hash ${pack.hash.slice(0, 12)}`);
      this.known.set(key, { record, seenAt: writtenAt, joined: false });
      return;
    }
    const joined = this.backend.addNode(record.role, record.name, record.address) !== null;
    this.known.set(key, { record, seenAt: writtenAt, joined });
    if (joined) log('coordinator', `${record.role} ${record.name} at ${record.address} joined`);
  }

  private leave(key: string, why: string): void {
    const known = this.known.get(key);
    if (!known) return;
    this.known.delete(key);
    if (!known.joined) return;
    this.backend.removeNode(known.record.role, known.record.name, known.record.address);
    log('coordinator', `${known.record.role} ${known.record.name} at ${known.record.address} ${why}`);
  }

  private dropLapsed(): void {
    const now = Date.now();
    for (const [key, k] of this.known) {
      if (now - k.seenAt > LAPSE_HEARTBEATS * k.record.heartbeat_ms) this.leave(key, `dropped: no heartbeat for ${now - k.seenAt} ms`);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.registry.nc.drain().catch(() => {});
  }
}
