/**
 * Replica pools. Every expert (and the encoder, and each SR stage) is served by a pool of
 * replicas; a call goes to the replica with the least outstanding work, preferring one that
 * already holds the job's conditioning and (expert pools, while no replica is idle) the one the
 * calls of the same event-loop turn went to; a call that fails because its replica is gone
 * (UNAVAILABLE, deadline) is retried on another. Evaluations are pure, so a retry changes nothing
 * in the result.
 */
import { NodeTimeoutError, NodeUnavailableError } from '../common/errors.ts';
import type { ExpertSpec } from '../common/pack/manifest.ts';
import type { DenoiseCall, ExpertHandle } from '../common/pipeline/routing.ts';
import type { RemoteExpert } from './remote-expert.ts';
import type { RemoteNode } from './remote-nodes.ts';

/** How long a replica that just failed is passed over while others are available. */
const BENCH_MS = 2000;
/**
 * How many more outstanding calls a preferred replica (one holding the job's conditioning) may
 * have and still be chosen: sending a job elsewhere costs a conditioning upload there.
 */
const PREFERENCE = 2;

const retryable = (error: unknown) => error instanceof NodeUnavailableError || error instanceof NodeTimeoutError;

export interface PoolOptions<R> {
  /** Called when a call is retried on another replica. */
  onRetry?: (failed: R, error: Error) => void;
  /**
   * How many more outstanding calls the replica chosen earlier in the same event-loop turn may
   * have and still be chosen, while no replica is idle (0: none). Calls made in one turn (the
   * evaluations one answer message released) then travel together in one message to one
   * replica, up to about one batch, instead of one or two per replica: a node's cost is mostly
   * per message. An idle replica is still chosen first: it would start them at once.
   */
  turnGroup?: number;
}

export class ReplicaPool<R extends RemoteNode> {
  private readonly members: R[] = [];
  private readonly failedAt = new Map<R, number>();
  /** The replica chosen last in this event-loop turn (see PoolOptions.turnGroup). */
  private turnChoice: R | null = null;

  constructor(
    /** What the pool serves, e.g. "expert high". */
    readonly label: string,
    private readonly options: PoolOptions<R> = {},
  ) {}

  get replicas(): readonly R[] {
    return this.members;
  }

  add(replica: R): void {
    this.members.push(replica);
  }

  /** Removes (and returns) the replica at `address`, if there is one. */
  remove(address: string): R | undefined {
    const i = this.members.findIndex((r) => r.address === address);
    if (i < 0) return undefined;
    const [removed] = this.members.splice(i, 1);
    this.failedAt.delete(removed!);
    return removed;
  }

  /**
   * The replica for the next call: not recently failed, then the least outstanding work, where a
   * preferred replica counts PREFERENCE calls lighter (ties go to the preferred one), and the
   * replica chosen earlier in this turn `turnGroup` calls lighter.
   */
  private pick(exclude: ReadonlySet<R>, prefer: (r: R) => boolean): R | undefined {
    const now = Date.now();
    // An idle replica starts a call at once: grouping must not pass it over.
    const turnGroup = this.options.turnGroup ?? 0;
    const group = turnGroup > 0 && !this.members.some((r) => !r.refused && !exclude.has(r) && r.outstanding === 0) ? turnGroup : 0;
    let best: R | undefined;
    let bestKey: [number, number] | undefined;
    for (const r of this.members) {
      if (r.refused || exclude.has(r)) continue;
      const benched = now - (this.failedAt.get(r) ?? -Infinity) < BENCH_MS ? 1 : 0;
      const key: [number, number] = [benched, r.outstanding - (prefer(r) ? PREFERENCE + 0.5 : 0) - (r === this.turnChoice ? group : 0)];
      if (!bestKey || key[0] < bestKey[0] || (key[0] === bestKey[0] && key[1] < bestKey[1])) {
        best = r;
        bestKey = key;
      }
    }
    if (best && turnGroup > 0) {
      if (this.turnChoice === null) setImmediate(() => (this.turnChoice = null));
      this.turnChoice = best;
    }
    return best;
  }

  /** Runs `work` on a replica, retrying on another when the replica is unavailable or too slow. */
  async run<T>(work: (replica: R) => Promise<T>, prefer: (replica: R) => boolean = () => false): Promise<T> {
    const tried = new Set<R>();
    const failures: string[] = [];
    for (;;) {
      const replica = this.pick(tried, prefer);
      if (!replica) {
        const reason = this.members.length === 0 ? 'no replica is registered' : `no replica could take the call${failures.length ? ` (${failures.join('; ')})` : ''}`;
        throw new NodeUnavailableError(this.label, reason);
      }
      try {
        return await work(replica);
      } catch (error) {
        if (!retryable(error)) throw error;
        tried.add(replica);
        this.failedAt.set(replica, Date.now());
        failures.push((error as Error).message);
        this.options.onRetry?.(replica, error as Error);
      }
    }
  }
}

/** An expert served by a pool of replicas, as the routed denoiser sees it. */
export class ExpertPool implements ExpertHandle {
  constructor(
    readonly spec: ExpertSpec,
    readonly pool: ReplicaPool<RemoteExpert>,
  ) {}

  denoise(call: DenoiseCall) {
    return this.pool.run(
      (replica) => replica.denoise(call),
      (replica) => replica.holds(call.branches.cond),
    );
  }
}
