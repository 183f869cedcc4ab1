/**
 * Bearer-token auth on the public API: a tokens file maps each token to a tenant and its quotas.
 *
 *   { "tokens": [ { "token": "...", "tenant": "alice", "max_in_flight": 8, "jobs_per_minute": 60 } ] }
 *
 * Callers send `authorization: Bearer TOKEN`. Tokens are kept as SHA-256 digests and compared in
 * constant time (every entry, whatever matches); they are never logged. No token, or an unknown
 * one: UNAUTHENTICATED. Without a tokens file every caller is the tenant "default", unlimited.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { UnauthenticatedError } from '../common/errors.ts';
import { readJsonFile } from '../common/pack/json-reader.ts';

export interface Tenant {
  name: string;
  /** Jobs queued or running at once. @default unlimited */
  maxInFlight: number;
  /** Jobs submitted per minute. @default unlimited */
  jobsPerMinute: number;
}

export const OPEN_TENANT: Tenant = { name: 'default', maxInFlight: Infinity, jobsPerMinute: Infinity };

const digest = (token: string) => createHash('sha256').update(token).digest();

export class Tokens {
  private constructor(private readonly entries: { digest: Buffer; tenant: Tenant }[]) {}

  /** Reads a tokens file (errors name the file and field, never a token). */
  static load(file: string): Tokens {
    const r = readJsonFile(file);
    const entries = r.field('tokens').array().map((t) => {
      const token = t.field('token').string();
      if (token.length < 16) t.field('token').fail('must be at least 16 characters (make one with: openssl rand -hex 24)');
      const limit = (key: string) => (t.has(key) ? t.field(key).positiveInt() : Infinity);
      return { digest: digest(token), tenant: { name: t.field('tenant').string(), maxInFlight: limit('max_in_flight'), jobsPerMinute: limit('jobs_per_minute') } };
    });
    if (entries.length === 0) r.field('tokens').fail('lists no token');
    return new Tokens(entries);
  }

  /** The caller's tenant, from its `authorization: Bearer TOKEN` metadata. */
  authenticate(metadata: grpc.Metadata): Tenant {
    const header = metadata.get('authorization')[0];
    return this.authenticateHeader(header === undefined ? undefined : String(header));
  }

  /** The caller's tenant, from an `authorization` header's value (gRPC metadata or HTTP). */
  authenticateHeader(header: string | undefined): Tenant {
    if (header === undefined) throw new UnauthenticatedError('missing credentials: send "authorization: Bearer TOKEN"');
    const match = /^Bearer (.+)$/.exec(header);
    if (!match) throw new UnauthenticatedError('the authorization header must be "Bearer TOKEN"');
    const given = digest(match[1]!);
    let found: Tenant | null = null;
    for (const e of this.entries) if (timingSafeEqual(e.digest, given)) found = e.tenant;
    if (!found) throw new UnauthenticatedError('unknown token');
    return found;
  }
}
