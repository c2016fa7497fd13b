import type { KafkaConnection } from './connection.js';
import { emptyNewestSyncs, foldNewestSyncs, type NewestSyncs } from './mm2Translation.js';
import { readTopic } from './readTopic.js';

/** What a tail holds after a read. */
export interface SyncTailRead {
  topic: string;
  newest: NewestSyncs;
  /** records read by this call (the first call reads the whole topic) */
  read: number;
}

/**
 * The offset-syncs topic of one flow, read incrementally: the first read
 * takes the whole topic from its earliest offset (as MM2's own
 * OffsetSyncStore does when it starts), every later one only what was
 * appended since, so polling lag every half second costs a ListOffsets and
 * the new records, not the topic. A topic that ends before what was read
 * (recreated) or starts after it (records deleted unread) is read again
 * from its start. Reads of one tail never overlap.
 */
export class OffsetSyncTail {
  private newest = emptyNewestSyncs();
  private next = 0;
  private reading: Promise<SyncTailRead> | undefined;

  constructor(
    private readonly conn: KafkaConnection,
    readonly topic: string,
  ) {}

  read(): Promise<SyncTailRead> {
    const run = (this.reading ?? Promise.resolve()).catch(() => undefined).then(() => this.readMore());
    this.reading = run;
    return run;
  }

  private async readMore(): Promise<SyncTailRead> {
    let end = this.next;
    const raw = await readTopic(this.conn, this.topic, {
      partitions: [0],
      from: (e) => {
        if (e.latest < this.next || e.earliest > this.next) {
          this.newest = emptyNewestSyncs();
          this.next = e.earliest;
        }
        end = e.latest;
        return this.next;
      },
    });
    foldNewestSyncs(this.newest, raw);
    // Everything below the end seen when the read began has been read (or was compacted away).
    this.next = Math.max(this.next, end);
    return { topic: this.topic, newest: this.newest, read: raw.length };
  }
}

const tails = new WeakMap<KafkaConnection, Map<string, OffsetSyncTail>>();

/** The tail of `topic` on this connection, kept as long as the connection is. */
export function offsetSyncTail(conn: KafkaConnection, topic: string): OffsetSyncTail {
  let byTopic = tails.get(conn);
  if (!byTopic) tails.set(conn, (byTopic = new Map()));
  let tail = byTopic.get(topic);
  if (!tail) byTopic.set(topic, (tail = new OffsetSyncTail(conn, topic)));
  return tail;
}
