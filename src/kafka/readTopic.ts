import type { KafkaConnection } from './connection.js';
import { OFFSET_OUT_OF_RANGE, READ_COMMITTED, fetchPartitions } from './fetch.js';
import { partitionEndsBatch } from './listOffsets.js';
import { clusterMetadata, leaderIndex } from './metadata.js';
import { BROKER_LOSS_WAIT_MS, movesPartitions, whileLeadersMove } from './leaderRetry.js';
import { protocolError } from './protocol.js';
import { committedRecords } from './recordBatch.js';

const LEADER_NOT_AVAILABLE = 5;

const FETCH_MAX_BYTES = 4 * 1024 * 1024;

export interface RawRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
}

export interface PartitionEnds {
  partition: number;
  earliest: number;
  latest: number;
}

/** Earliest and latest offsets of every partition of `topics`: one Metadata request, then two ListOffsets per broker. */
export async function partitionEnds(conn: KafkaConnection, topics: string[]): Promise<Map<string, PartitionEnds[]>> {
  if (topics.length === 0) return new Map();
  const md = await clusterMetadata(conn, topics);
  return partitionEndsBatch(conn, leaderIndex(md), topics);
}

/**
 * Reads records of one topic without a consumer group (internal topics must
 * not gain a group just because we looked): a plain Fetch to each leader,
 * READ_COMMITTED, as a read_committed consumer sees the topic: records of
 * aborted transactions and transaction markers are left out, and the read
 * stops at a transaction still open (its records are not committed yet).
 * `from(partition, ends)` picks the start offset; reading stops at the end
 * offset seen when the read began. A leader that moves mid-read is found
 * again and the read goes on from where it stopped.
 */
export async function readTopic(
  conn: KafkaConnection,
  topic: string,
  opts: { from?: (p: PartitionEnds) => number; maxRecords?: number; partitions?: number[] } = {},
): Promise<RawRecord[]> {
  const leaders = leaderIndex(await clusterMetadata(conn, [topic]));
  const ends = (await partitionEndsBatch(conn, leaders, [topic])).get(topic) ?? [];
  const leaderOf = leaders.get(topic) ?? new Map<number, number>();
  const maxRecords = opts.maxRecords ?? Number.POSITIVE_INFINITY;
  const records: RawRecord[] = [];
  const wanted = ends.filter((e) => !opts.partitions || opts.partitions.includes(e.partition));
  await Promise.all(
    wanted.map(async (e) => {
      let next = Math.max(e.earliest, opts.from ? opts.from(e) : e.earliest);
      const known = leaderOf.get(e.partition);
      if (known === undefined) return;
      let leader: number = known;
      let got = 0;
      // A partition without a leader when the read began is looked up again first.
      let first = known >= 0;
      let refreshFailed: unknown;
      // A leader that moves mid-read is looked up again, and the read goes on from where it was.
      await whileLeadersMove(
        async () => {
          if (!first) {
            try {
              leader = leaderIndex(await clusterMetadata(conn, [topic])).get(topic)?.get(e.partition) ?? -1;
            } catch (err) {
              refreshFailed = err;
              throw err;
            }
            if (leader < 0) throw protocolError(LEADER_NOT_AVAILABLE);
          }
          first = false;
          const nodeId = leader;
          const broker = await conn.broker(nodeId);
          while (next < e.latest && got < maxRecords) {
            const from = next;
            const [part] = await conn.call(
              `fetch ${topic}-${e.partition}@${from}`,
              () => fetchPartitions(broker, nodeId, [{ topic, partition: e.partition, offset: from, maxBytes: FETCH_MAX_BYTES }], { maxWaitMs: 100, minBytes: 1, maxBytes: FETCH_MAX_BYTES, isolationLevel: READ_COMMITTED }),
              conn.timeoutMs,
              'broker',
            );
            if (part?.errorCode === OFFSET_OUT_OF_RANGE) {
              throw new Error(`${conn.name}: ${topic}-${e.partition}: offset ${from} is no longer in the log (deleted by retention while reading?); run the command again`);
            }
            const read = committedRecords(part?.records ?? null, `${conn.name}: ${topic}-${e.partition}`, part?.aborted ?? [], from, Math.min(maxRecords - got, e.latest - from));
            const msgs = read.records;
            if (msgs.length === 0) {
              // Only markers and aborted records: on from after them. No progress: the end, or a transaction still open.
              if (read.next <= from) break;
              next = read.next;
              continue;
            }
            for (const m of msgs) {
              // Compacted topics (MM2's) have gaps: a count of records can reach past the end seen at the start.
              if (m.offset >= e.latest) {
                next = e.latest;
                break;
              }
              records.push({ topic, partition: e.partition, ...m });
              got++;
              next = m.offset + 1;
            }
          }
        },
        BROKER_LOSS_WAIT_MS,
        undefined,
        undefined,
        (err) => err !== refreshFailed && movesPartitions(err),
      );
    }),
  );
  return records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/** The newest record of each partition. */
export async function newestRecords(conn: KafkaConnection, topic: string): Promise<RawRecord[]> {
  return readTopic(conn, topic, { from: (e) => e.latest - 1 });
}
