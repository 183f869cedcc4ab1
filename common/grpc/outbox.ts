/**
 * Groups stream messages: items pushed close together go out together, in as few messages as a
 * byte budget allows. A message costs grpc-js, HTTP/2 and the kernel a fixed share on top of its
 * bytes, and wakes the other end once (bench/README.md); a coordinator with many jobs asks a node
 * for several evaluations at once, and a node answers a whole batch at once.
 *
 * "Close together" adapts to the traffic. With nothing else in flight a message goes at the end of
 * the current callback (process.nextTick): a lone evaluation never waits. With other work in
 * flight (evaluations whose answers are due), more items are likely in this same turn of the event
 * loop (grpc-js hands over one received message per tick), so the message waits for the end of the
 * turn (setImmediate).
 */
export interface OutboxOptions<T> {
  /** Writes one message of items. */
  send: (items: T[]) => void;
  /** An item's size on the wire, about. */
  bytesOf: (item: T) => number;
  /**
   * A message's budget: an item that would take a message past it starts the next message (an
   * item larger than it goes alone).
   */
  maxBytes: number;
  /** Whether more items are likely soon: work in flight that has not pushed its item yet. */
  more: () => boolean;
}

/** A message budget for streams of tensors: well under MAX_MESSAGE_BYTES, and ~85 48 KiB tensors. */
export const STREAM_MESSAGE_BYTES = 4 * 1024 * 1024;

export class Outbox<T> {
  private items: T[] = [];
  private bytes = 0;
  private scheduled = false;
  private readonly flushScheduled = () => {
    this.scheduled = false;
    this.flush();
  };

  constructor(private readonly o: OutboxOptions<T>) {}

  push(item: T): void {
    const size = this.o.bytesOf(item);
    if (this.items.length > 0 && this.bytes + size > this.o.maxBytes) this.flush();
    this.items.push(item);
    this.bytes += size;
    if (this.scheduled) return;
    this.scheduled = true;
    if (this.o.more()) setImmediate(this.flushScheduled);
    else process.nextTick(this.flushScheduled);
  }

  /** Items waiting to be sent. */
  get queued(): number {
    return this.items.length;
  }

  /** Sends what is waiting now. */
  flush(): void {
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    this.bytes = 0;
    this.o.send(items);
  }
}
