import type { KafkaConnection } from './connection.js';
import type { RawRecord } from './readTopic.js';
import { byLeader, byTopic, rawClusterOf, tpKey, type LeaderIndex } from './rawProtocol.js';

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
  const cluster = await rawClusterOf(conn);
  const { perBroker } = byLeader(leaders, wanted.filter((w) => w.offset >= 0));
  await Promise.all(
    [...perBroker.entries()].map(async ([nodeId, items]) => {
      const broker = await conn.call(`fetch: broker ${nodeId}`, () => cluster.findBroker({ nodeId: String(nodeId) }));
      let pending = items;
      for (let round = 0; round < MAX_ROUNDS && pending.length > 0; round++) {
        const topics = [...byTopic(pending).entries()].map(([topic, ps]) => ({
          topic,
          partitions: ps.map((p) => ({ partition: p.partition, fetchOffset: String(p.offset), maxBytes: PARTITION_MAX_BYTES })),
        }));
        const res = await conn.call(`fetch ${pending.length} partitions from broker ${nodeId}`, () =>
          broker.fetch({ replicaId: -1, isolationLevel: 0, maxWaitTime: 0, minBytes: 0, maxBytes: REQUEST_MAX_BYTES, topics }),
        );
        const answered = new Set<string>();
        const byKey = new Map(pending.map((w) => [tpKey(w.topic, w.partition), w]));
        for (const r of res.responses) {
          for (const p of r.partitions) {
            const key = tpKey(r.topicName, p.partition);
            const want = byKey.get(key);
            if (!want) continue;
            const first = p.messages.find((m) => Number(m.offset) >= want.offset);
            if (first) {
              out.set(key, {
                topic: want.topic,
                partition: want.partition,
                offset: Number(first.offset),
                timestamp: Number(first.timestamp),
                key: first.key,
                value: first.value,
                headers: {},
              });
              answered.add(key);
            } else if (p.errorCode !== 0 || Number(p.highWatermark) <= want.offset) {
              // Nothing there (or the broker said why not): asking again will not help.
              answered.add(key);
            }
          }
        }
        pending = pending.filter((w) => !answered.has(tpKey(w.topic, w.partition)));
      }
    }),
  );
  return out;
}

