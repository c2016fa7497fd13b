import type { Connection } from '@platformatic/kafka';
import { byTopic } from './metadata.js';
import { Writer, requireApi, sendRequest, throwPartitionError } from './protocol.js';

/**
 * Fetch v4 (Kafka 0.11 and later, 4.x included), written and read by
 * protocol.ts, without a consumer group. The answer keeps each partition's
 * records as the bytes the broker sent; recordBatch.ts decodes only the
 * records a caller asks for. A client's consumer decodes every record of
 * every batch it receives, which for the newest record of 2,000 partitions
 * means decoding the producers' whole last batches; the client's own fetch
 * also wants topic ids and a group.
 */

const FETCH = { apiKey: 1, apiVersion: 4, apiName: 'Fetch', flexible: false };
export const OFFSET_OUT_OF_RANGE = 1;
/** Fetch isolation levels: up to the high watermark, or up to the last stable offset with the aborted transactions listed. */
export const READ_UNCOMMITTED = 0;
export const READ_COMMITTED = 1;

export interface FetchWanted {
  topic: string;
  partition: number;
  offset: number;
  maxBytes: number;
}

export interface FetchedPartition {
  topic: string;
  partition: number;
  errorCode: number;
  highWatermark: number;
  /** the last stable offset: READ_COMMITTED reads stop there */
  lastStableOffset: number;
  /** the aborted transactions in the answer's range (READ_COMMITTED only): producer id and first offset */
  aborted: { producerId: bigint; firstOffset: number }[];
  /** the record batches as sent; the last one may be cut short by the size limits */
  records: Buffer | null;
}

export interface FetchOptions {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  /**
   * READ_COMMITTED (what every reader of records uses: the broker stops at
   * the last stable offset and lists the aborted transactions, which the
   * caller drops with recordBatch.ts's committedRecords or CommittedFilter),
   * or READ_UNCOMMITTED (up to the high watermark, aborted records included).
   */
  isolationLevel: typeof READ_UNCOMMITTED | typeof READ_COMMITTED;
}

/**
 * One Fetch request to one broker for `wanted`. Partition errors are
 * returned, except that any error other than OFFSET_OUT_OF_RANGE (and the
 * codes in `tolerated`: a caller that asks a moved partition's new leader
 * takes the stale-leader codes) fails the request, naming the partition.
 */
export async function fetchPartitions(
  broker: Connection,
  nodeId: number,
  wanted: readonly FetchWanted[],
  opts: FetchOptions,
  tolerated: Iterable<number> = [],
): Promise<FetchedPartition[]> {
  await requireApi(broker, nodeId, FETCH, '0.11');
  const body = new Writer()
    .int32(-1) // replica id: a client
    .int32(opts.maxWaitMs)
    .int32(opts.minBytes)
    .int32(opts.maxBytes)
    .int8(opts.isolationLevel)
    .array([...byTopic(wanted)], (w, [topic, ps]) => w.string(topic).array(ps, (pw, p) => pw.int32(p.partition).int64(p.offset).int32(p.maxBytes)))
    .done();
  const answer = await sendRequest(broker, FETCH, body, (r) => {
      r.int32(); // throttle
      const out: FetchedPartition[] = [];
      r.array((t) => {
        const topic = t.string() ?? '';
        t.array((p) => {
          const partition = p.int32();
          const errorCode = p.int16();
          const highWatermark = p.int64();
          const lastStableOffset = p.int64();
          const aborted = p.array((a) => ({ producerId: a.bigInt64(), firstOffset: a.int64() }));
          out.push({ topic, partition, errorCode, highWatermark, lastStableOffset, aborted, records: p.bytes() });
        });
      });
      return out;
    });
  throwPartitionError(answer, [OFFSET_OUT_OF_RANGE, ...tolerated]);
  return answer;
}
