import type { KafkaConnection } from './connection.js';
import { OFFSET_OUT_OF_RANGE, fetchPartitions } from './fetch.js';
import type { RawRecord } from './readTopic.js';
import { STALE_LEADER_CODES } from './leaderRetry.js';
import { tpKey, type LeaderIndex } from './metadata.js';
import { decodeRecords } from './recordBatch.js';
import { routeToLeaders } from './routeToLeaders.js';

export interface RecordWanted {
  topic: string;
  partition: number;
  offset: number;
}

const PARTITION_MAX_BYTES = 256 * 1024;
const REQUEST_MAX_BYTES = 32 * 1024 * 1024;
const MAX_ROUNDS = 4;

/**
 * The record at each wanted offset (or the first one after it, when the
 * offset holds a transaction marker or was compacted away), without a
 * consumer group: one Fetch per partition leader for all partitions at once,
 * and again of the new leader for a partition whose leader moved.
 * A broker may fill its answer before reaching every partition; those are
 * asked again, a few rounds at most. A partition with nothing at or after
 * the offset is absent from the result.
 */
export async function recordsAt(conn: KafkaConnection, leaders: LeaderIndex, wanted: readonly RecordWanted[]): Promise<Map<string, RawRecord>> {
  const out = new Map<string, RawRecord>();
  if (wanted.length === 0) return out;
  const answers = await routeToLeaders(conn, leaders, wanted.filter((w) => w.offset >= 0), async (nodeId, items) => {
    const broker = await conn.broker(nodeId);
    const found: [string, RawRecord][] = [];
    const moved: RecordWanted[] = [];
    let pending = items;
    for (let round = 0; round < MAX_ROUNDS && pending.length > 0; round++) {
      const asked = pending;
      const res = await conn.call(
        `fetch ${asked.length} partitions from broker ${nodeId}`,
        () => fetchPartitions(broker, nodeId, asked.map((w) => ({ ...w, maxBytes: PARTITION_MAX_BYTES })), { maxWaitMs: 0, minBytes: 0, maxBytes: REQUEST_MAX_BYTES }, STALE_LEADER_CODES),
        conn.timeoutMs,
        'broker',
      );
      const answered = new Set<string>();
      const byKey = new Map(asked.map((w) => [tpKey(w.topic, w.partition), w]));
      for (const p of res) {
        const key = tpKey(p.topic, p.partition);
        const want = byKey.get(key);
        if (!want) continue;
        if (STALE_LEADER_CODES.has(p.errorCode)) {
          moved.push(want);
          answered.add(key);
          continue;
        }
        const [first] = decodeRecords(p.records, `${conn.name}: ${key}`, { from: want.offset, limit: 1 });
        if (first) {
          found.push([key, { topic: want.topic, partition: want.partition, ...first }]);
          answered.add(key);
        } else if (p.errorCode === OFFSET_OUT_OF_RANGE || p.highWatermark <= want.offset) {
          // Nothing there (or no longer there): asking again will not help.
          answered.add(key);
        }
      }
      pending = asked.filter((w) => !answered.has(tpKey(w.topic, w.partition)));
    }
    return { answers: found, moved };
  });
  for (const [key, r] of answers) out.set(key, r);
  return out;
}

