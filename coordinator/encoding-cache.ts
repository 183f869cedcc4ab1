/**
 * The coordinator's cache of encoded branches. A branch (prompt, style image, paint masks) always
 * encodes to the same conditioning, so jobs that repeat one (a seed sweep over one prompt, the
 * empty negative prompt most jobs share) skip the encoder call, and share one conditioning
 * object, whose content id each expert replica then hashes once instead of once per job.
 * Bounded by bytes, least recently used out first; a failed encoding is not kept.
 */
import { createHash } from 'node:crypto';
import type { BranchRequest, EncodedBranch } from '../common/pipeline/conditioning.ts';

interface Entry {
  encoded: Promise<EncodedBranch>;
  /** 0 until the encoding has arrived. */
  bytes: number;
}

/** A digest of everything that decides a branch's conditioning. */
export function branchKey(r: BranchRequest): string {
  const hash = createHash('sha256');
  // Lengths first, so that no two different branches serialize alike.
  hash.update(JSON.stringify([r.prompt, r.paintRequired, r.paintWeight, r.negative ?? false, r.micro ?? null, r.style?.length ?? -1, r.paint.map((p) => [p.phrase, p.mask.length])]));
  if (r.style) hash.update(r.style);
  for (const p of r.paint) hash.update(p.mask);
  return hash.digest('hex');
}

const bytesOf = (e: EncodedBranch) => Object.values(e.conditioning).reduce((n, t) => n + t.data.byteLength, 0);

export class EncodingCache {
  private readonly entries = new Map<string, Entry>();
  private held = 0;
  hits = 0;
  misses = 0;

  /** @param maxBytes 0 turns the cache off. */
  constructor(readonly maxBytes: number) {}

  /** Counts lookups a cache in front of this one answered (a job thread's). */
  countHits(n: number): void {
    this.hits += n;
  }

  /** Bytes of conditioning held. */
  get bytes(): number {
    return this.held;
  }

  /**
   * The branch's conditioning: from the cache, or from `encode` (then kept). Concurrent requests
   * for one branch share one encoding, so `encode` must not depend on any one caller's signal.
   */
  async get(request: BranchRequest, encode: () => Promise<EncodedBranch>): Promise<EncodedBranch> {
    if (this.maxBytes <= 0) return encode();
    const key = branchKey(request);
    const found = this.entries.get(key);
    if (found) {
      this.hits++;
      // Most recently used last.
      this.entries.delete(key);
      this.entries.set(key, found);
      return found.encoded;
    }
    this.misses++;
    const entry: Entry = { encoded: encode(), bytes: 0 };
    this.entries.set(key, entry);
    let encoded: EncodedBranch;
    try {
      encoded = await entry.encoded;
    } catch (error) {
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw error;
    }
    if (this.entries.get(key) === entry) {
      entry.bytes = bytesOf(encoded);
      this.held += entry.bytes;
      this.evict();
    }
    return encoded;
  }

  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.held <= this.maxBytes) return;
      this.entries.delete(key);
      this.held -= entry.bytes;
    }
  }
}
