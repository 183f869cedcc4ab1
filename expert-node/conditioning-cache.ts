import type { Conditioning } from '../common/pipeline/conditioning.ts';
/**
 * The conditioning a node holds, by content id, so that each evaluation carries only x, sigma and
 * ids. Least recently used entries go first once the byte budget is spent; a coordinator whose
 * conditioning was dropped gets NOT_FOUND and uploads it again.
 */

const bytesOf = (c: Conditioning) => Object.values(c).reduce((n, t) => n + t.data.byteLength, 0);

export class ConditioningCache {
  private readonly entries = new Map<string, { conditioning: Conditioning; bytes: number }>();
  private total = 0;

  constructor(readonly budgetBytes: number) {}

  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.entries.size;
  }

  put(id: string, conditioning: Conditioning): void {
    this.delete(id);
    const bytes = bytesOf(conditioning);
    this.entries.set(id, { conditioning, bytes });
    this.total += bytes;
    for (const key of this.entries.keys()) {
      if (this.total <= this.budgetBytes || key === id) break;
      this.delete(key);
    }
  }

  get(id: string): Conditioning | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry.conditioning;
  }

  delete(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    this.total -= entry.bytes;
  }
}
