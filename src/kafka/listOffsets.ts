import type { KafkaConnection } from './connection.js';
import type { PartitionEnds } from './readTopic.js';
import type { Connection } from '@platformatic/kafka';
import { STALE_LEADER_CODES } from './leaderRetry.js';
import { byTopic, clusterMetadata, leaderIndex, tpKey, type LeaderIndex } from './metadata.js';
import { Writer, requireApi, sendRequest, throwPartitionError } from './protocol.js';
import { routeToLeaders, splitMoved } from './routeToLeaders.js';

/** ListOffsets' special timestamps. */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;

export interface OffsetQuery {
  topic: string;
  partition: number;
  /** LATEST_TIMESTAMP, EARLIEST_TIMESTAMP, or epoch milliseconds */
  timestamp: number;
}

export interface OffsetAnswer {
  topic: string;
  partition: number;
  /** -1 when a timestamp query finds no record at or after the timestamp */
  offset: number;
  /** the found record's timestamp, for timestamp queries (-1 otherwise) */
  timestamp: number;
}

// READ_UNCOMMITTED: the high watermark, which is what replication lag is measured against.
const READ_UNCOMMITTED = 0;

/**
 * Answers many ListOffsets queries with one request per partition leader
 * (the client's `admin.listOffsets` adds a Metadata request to every call,
 * and fails the call for one partition's error); a partition whose leader
 * moved is asked again of the new one (routeToLeaders). Kafka refuses a
 * request that names a partition twice, so every query must be for a
 * different partition; callers ask for earliest and latest in two calls.
 */
export async function listOffsets(conn: KafkaConnection, leaders: LeaderIndex, queries: readonly OffsetQuery[], what = 'list offsets'): Promise<OffsetAnswer[]> {
  if (queries.length === 0) return [];
  const seen = new Set<string>();
  for (const q of queries) {
    const k = tpKey(q.topic, q.partition);
    if (seen.has(k)) throw new Error(`listOffsets: ${q.topic}-${q.partition} asked twice in one request`);
    seen.add(k);
  }
  return routeToLeaders(conn, leaders, queries, async (nodeId, qs) => {
    const broker = await conn.broker(nodeId);
    const topics = [...byTopic(qs).entries()];
    const answers = await conn.call(`${what} (${qs.length} partitions on broker ${nodeId})`, () => listOffsetsOn(broker, nodeId, topics), conn.timeoutMs, 'broker');
    const { kept, moved } = splitMoved(qs, answers, STALE_LEADER_CODES);
    throwPartitionError(kept);
    return { answers: kept.map(({ topic, partition, offset, timestamp }) => ({ topic, partition, offset, timestamp })), moved };
  });
}

const LIST_OFFSETS = { apiKey: 2, apiVersion: 2, apiName: 'ListOffsets', flexible: false };

/**
 * One ListOffsets request to one broker: v2 (Kafka 0.11 and later, 4.x
 * included), written and read by protocol.ts, with each partition's error
 * code: the caller asks a moved partition's new leader, and fails on any
 * other error, naming the partition.
 */
async function listOffsetsOn(broker: Connection, nodeId: number, topics: [string, OffsetQuery[]][]): Promise<(OffsetAnswer & { errorCode: number })[]> {
  await requireApi(broker, nodeId, LIST_OFFSETS, '0.11');
  const body = new Writer()
    .int32(-1) // replica id: a client
    .int8(READ_UNCOMMITTED)
    .array(topics, (w, [topic, ps]) => w.string(topic).array(ps, (pw, p) => pw.int32(p.partition).int64(p.timestamp)))
    .done();
  const answers = await sendRequest(broker, LIST_OFFSETS, body, (r) => {
      r.int32(); // throttle
      const out: (OffsetAnswer & { errorCode: number })[] = [];
      r.array((t) => {
        const topic = t.string() ?? '';
        t.array((p) => {
          const partition = p.int32();
          const errorCode = p.int16();
          const timestamp = p.int64();
          const offset = p.int64();
          out.push({ topic, partition, errorCode, timestamp, offset });
        });
      });
      return out;
    });
  return answers;
}

/**
 * Earliest and latest offsets of every partition of `topics`: two ListOffsets
 * requests per broker in all, whatever the number of topics. `partitionsOf`
 * comes from the same Metadata answer as `leaders`.
 */
export async function partitionEndsBatch(
  conn: KafkaConnection,
  leaders: LeaderIndex,
  topics: readonly string[],
): Promise<Map<string, PartitionEnds[]>> {
  const parts = topics.flatMap((topic) => [...(leaders.get(topic)?.keys() ?? [])].map((partition) => ({ topic, partition })));
  const [earliest, latest] = await Promise.all([
    listOffsets(conn, leaders, parts.map((p) => ({ ...p, timestamp: EARLIEST_TIMESTAMP })), 'earliest offsets'),
    listOffsets(conn, leaders, parts.map((p) => ({ ...p, timestamp: LATEST_TIMESTAMP })), 'latest offsets'),
  ]);
  const low = new Map(earliest.map((a) => [tpKey(a.topic, a.partition), a.offset]));
  const out = new Map<string, PartitionEnds[]>();
  for (const a of latest) {
    const list = out.get(a.topic) ?? [];
    list.push({ partition: a.partition, earliest: low.get(tpKey(a.topic, a.partition)) ?? 0, latest: a.offset });
    out.set(a.topic, list);
  }
  for (const topic of topics) {
    const list = out.get(topic) ?? [];
    list.sort((a, b) => a.partition - b.partition);
    out.set(topic, list);
  }
  return out;
}

/**
 * The batched counterpart of `partitionEnds` in readTopic.ts, for callers
 * without a Metadata answer at hand: one Metadata request for the topics,
 * then two ListOffsets requests per broker.
 */
export async function partitionEndsOf(conn: KafkaConnection, topics: readonly string[]): Promise<Map<string, PartitionEnds[]>> {
  if (topics.length === 0) return new Map();
  const md = await clusterMetadata(conn, topics);
  return partitionEndsBatch(conn, leaderIndex(md), topics);
}

/**
 * For each query, the earliest offset whose record timestamp is at or after
 * the query's timestamp (Kafka's offsetsForTimes), one request per broker.
 */
export async function offsetsForTimes(conn: KafkaConnection, leaders: LeaderIndex, queries: readonly OffsetQuery[]): Promise<Map<string, OffsetAnswer>> {
  const answers = await listOffsets(conn, leaders, queries, 'offsets for timestamps');
  return new Map(answers.map((a) => [tpKey(a.topic, a.partition), a]));
}
