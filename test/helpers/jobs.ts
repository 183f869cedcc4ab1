/** A job's events as a list: all of them, or up to the first that `until` accepts. */
import type { JobEvent } from '../../sdk/client.ts';

export async function collect(events: AsyncIterable<JobEvent>, until: (e: JobEvent) => boolean = () => false): Promise<JobEvent[]> {
  const out: JobEvent[] = [];
  for await (const e of events) {
    out.push(e);
    if (until(e)) break;
  }
  return out;
}
