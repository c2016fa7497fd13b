import type { KafkaConnection } from './connection.js';
import { OFFSET_OUT_OF_RANGE, fetchPartitions } from './fetch.js';
import type { RawRecord } from './readTopic.js';
import { byLeader, tpKey, type LeaderIndex } from './metadata.js';
import { decodeRecords } from './recordBatch.js';

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
 * consumer group: one Fetch per partition leader for all partitions at once.
 * A broker may fill its answer before reaching every partition; those are
 * asked again, a few rounds at most. A partition with nothing at or after
 * the offset is absent from the result.
 */
export async function recordsAt(conn: KafkaConnection, leaders: LeaderIndex, wanted: readonly RecordWanted[]): Promise<Map<string, RawRecord>> {
  const out = new Map<string, RawRecord>();
  if (wanted.length === 0) return out;
  const { perBroker } = byLeader(leaders, wanted.filter((w) => w.offset >= 0));
  await Promise.all(
    [...perBroker.entries()].map(async ([nodeId, items]) => {
      const broker = await conn.broker(nodeId);
      let pending = items;
      for (let round = 0; round < MAX_ROUNDS && pending.length > 0; round++) {
        const res = await conn.call(`fetch ${pending.length} partitions from broker ${nodeId}`, () =>
          fetchPartitions(
            broker,
            nodeId,
            pending.map((w) => ({ ...w, maxBytes: PARTITION_MAX_BYTES })),
            { maxWaitMs: 0, minBytes: 0, maxBytes: REQUEST_MAX_BYTES },
          ),
        );
        const answered = new Set<string>();
        const byKey = new Map(pending.map((w) => [tpKey(w.topic, w.partition), w]));
        for (const p of res) {
          const key = tpKey(p.topic, p.partition);
          const want = byKey.get(key);
          if (!want) continue;
          const [first] = decodeRecords(p.records, `${conn.name}: ${key}`, { from: want.offset, limit: 1 });
          if (first) {
            out.set(key, { topic: want.topic, partition: want.partition, ...first });
            answered.add(key);
          } else if (p.errorCode === OFFSET_OUT_OF_RANGE || p.highWatermark <= want.offset) {
            // Nothing there (or no longer there): asking again will not help.
            answered.add(key);
          }
        }
        pending = pending.filter((w) => !answered.has(tpKey(w.topic, w.partition)));
      }
    }),
  );
  return out;
}

