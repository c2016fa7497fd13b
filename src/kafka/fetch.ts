import { Writer, canSend, protocolError, protocolRequest } from './wire.js';

/**
 * Fetch v4 (Kafka 0.11 and later, 4.x included), written and read by
 * wire.ts, without a consumer group. The answer keeps each partition's
 * records as the bytes the broker sent; recordBatch.ts decodes only the
 * records a caller asks for. kafkajs's fetch decodes every record of every
 * batch it receives, which for the newest record of 2,000 partitions meant
 * decoding the producers' whole last batches.
 */

const FETCH = 1;
const VERSION = 4;
export const OFFSET_OUT_OF_RANGE = 1;

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
  /** the record batches as sent; the last one may be cut short by the size limits */
  records: Buffer | null;
}

export interface FetchOptions {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  /** 0: read uncommitted (up to the high watermark), 1: read committed */
  isolationLevel?: number;
}

/**
 * One Fetch request to one broker for `wanted`. Partition errors are
 * returned, except that any error other than OFFSET_OUT_OF_RANGE fails the
 * request, naming the partition, as kafkajs's fetch does.
 */
export async function fetchPartitions(broker: object, nodeId: number, wanted: readonly FetchWanted[], opts: FetchOptions): Promise<FetchedPartition[]> {
  if (!canSend(broker, FETCH, VERSION)) throw new Error(`broker ${nodeId} does not speak Fetch v${VERSION}; failover needs Kafka 0.11 or later`);
  const byTopic = new Map<string, FetchWanted[]>();
  for (const w of wanted) byTopic.set(w.topic, [...(byTopic.get(w.topic) ?? []), w]);
  const body = new Writer()
    .int32(-1) // replica id: a client
    .int32(opts.maxWaitMs)
    .int32(opts.minBytes)
    .int32(opts.maxBytes)
    .int8(opts.isolationLevel ?? 0)
    .array([...byTopic], (w, [topic, ps]) => w.string(topic).array(ps, (pw, p) => pw.int32(p.partition).int64(p.offset).int32(p.maxBytes)))
    .done();
  const answer = await broker.connectionPool.send(
    protocolRequest({ apiKey: FETCH, apiVersion: VERSION, apiName: 'Fetch', flexible: false }, body, (r) => {
      r.int32(); // throttle
      const out: FetchedPartition[] = [];
      r.array((t) => {
        const topic = t.string() ?? '';
        t.array((p) => {
          const partition = p.int32();
          const errorCode = p.int16();
          const highWatermark = p.int64();
          p.int64(); // last stable offset
          p.array((a) => a.skip(16)); // aborted transactions: producer id, first offset
          out.push({ topic, partition, errorCode, highWatermark, records: p.bytes() });
        });
      });
      return out;
    }),
  );
  const failed = answer.find((p) => p.errorCode !== 0 && p.errorCode !== OFFSET_OUT_OF_RANGE);
  if (failed) {
    const e = protocolError(failed.errorCode);
    e.message = `${e.message} (${failed.topic}-${failed.partition})`;
    throw e;
  }
  return answer;
}
