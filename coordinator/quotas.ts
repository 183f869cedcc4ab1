/**
 * Per-tenant quotas (auth.ts): jobs in flight (queued or running) and jobs submitted per minute.
 * The caller counts its tenant's jobs in flight; this keeps the minute's submissions and says no.
 */
import { ResourceExhaustedError } from '../common/errors.ts';
import type { Tenant } from './auth.ts';

const MINUTE_MS = 60_000;

export class TenantQuotas {
  /** Per tenant, the times of its submissions in the last minute, oldest first. */
  private readonly submitted = new Map<string, number[]>();

  /**
   * Counts a submission of `tenant`, which has `inFlight` jobs queued or running now; past a quota,
   * throws ResourceExhaustedError (retry after `retrySeconds`, or when the minute frees one).
   */
  admit(tenant: Tenant, inFlight: number, retrySeconds: number): void {
    const times = this.submitted.get(tenant.name) ?? [];
    this.submitted.set(tenant.name, times);
    const now = Date.now();
    while (times.length > 0 && now - times[0]! >= MINUTE_MS) times.shift();
    if (inFlight >= tenant.maxInFlight) {
      throw new ResourceExhaustedError(`tenant ${tenant.name} has ${inFlight} jobs queued or running, its limit; retry when one ends`, Math.max(1, Math.ceil(retrySeconds)));
    }
    if (times.length >= tenant.jobsPerMinute) {
      throw new ResourceExhaustedError(`tenant ${tenant.name} submitted ${times.length} jobs in the last minute, its limit`, Math.max(1, Math.ceil((MINUTE_MS - (now - times[0]!)) / 1000)));
    }
    times.push(now);
  }
}
