import { compressionsAlgorithmsByBitmask } from '@platformatic/kafka';
import { Reader } from './protocol.js';

/**
 * Reads the records of a Fetch answer (record batches, message format v2,
 * Kafka 0.11 and later) for one partition, from `from` on, at most `limit`
 * of them. Only what is asked for is decoded: a batch that ends before
 * `from` is stepped over by its length, and reading stops at `limit`, so
 * asking for the newest record of a partition decodes one record, not the
 * producer's whole batch.
 *
 * Control batches (transaction markers) hold no data and are skipped. A
 * batch cut short by the fetch size ends the answer. Every codec Kafka
 * writes is read (none, gzip, snappy raw or xerial-framed as Java writes
 * it, lz4, zstd), with the client's codecs; only the batches a caller asks
 * for are decompressed. The message formats older than v2 are not read:
 * they give an error naming the partition rather than a wrong answer.
 */

export interface DecodedRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
}

// baseOffset int64, batchLength int32
const LOG_OVERHEAD = 12;
// the rest of the header: leader epoch, magic, crc, attributes, last offset delta, two timestamps, producer id and epoch, base sequence, record count
const HEADER_REST = 4 + 1 + 4 + 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;
const COMPRESSION_MASK = 0x07;
const LOG_APPEND_TIME = 0x08;
const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

export function decodeRecords(bytes: Buffer | null, where: string, opts: { from?: number; limit?: number } = {}): DecodedRecord[] {
  const out: DecodedRecord[] = [];
  if (!bytes) return out;
  const from = opts.from ?? 0;
  const limit = opts.limit ?? Number.POSITIVE_INFINITY;
  const r = new Reader(bytes);
  while (out.length < limit && r.remaining >= LOG_OVERHEAD) {
    const baseOffset = r.int64();
    const length = r.int32();
    if (r.remaining < length || length < HEADER_REST) break; // cut short by the fetch size
    const end = r.pos + length;
    r.skip(4); // partition leader epoch
    const magic = r.int8();
    if (magic !== 2) throw new Error(`${where}: records in message format v${magic} at offset ${baseOffset}; only v2 (Kafka 0.11 and later) can be read`);
    r.skip(4); // crc
    const attributes = r.int16();
    const lastOffsetDelta = r.int32();
    const baseTimestamp = r.int64();
    const maxTimestamp = r.int64();
    r.skip(8 + 2 + 4); // producer id, epoch, base sequence
    const count = r.int32();
    if ((attributes & CONTROL) !== 0 || baseOffset + lastOffsetDelta < from) {
      r.pos = end;
      continue;
    }
    const records = new Reader(payload(bytes.subarray(r.pos, end), attributes & COMPRESSION_MASK, `${where}: the batch at offset ${baseOffset}`));
    readRecords(records, { count, baseOffset, timestamp: (attributes & LOG_APPEND_TIME) !== 0 ? maxTimestamp : undefined, baseTimestamp }, from, limit, out);
    r.pos = end;
  }
  return out;
}

/** Up to `limit` records of one batch (all in `out`), from offset `from` on. */
function readRecords(
  records: Reader,
  batch: { count: number; baseOffset: number; baseTimestamp: number; timestamp: number | undefined },
  from: number,
  limit: number,
  out: DecodedRecord[],
): void {
  for (let i = 0; i < batch.count && out.length < limit; i++) {
    const size = records.varint();
    const next = records.pos + size;
    records.skip(1); // record attributes
    const timestampDelta = records.varint();
    const offset = batch.baseOffset + records.varint();
    if (offset < from) {
      records.pos = next;
      continue;
    }
    const key = records.varBytes();
    const value = records.varBytes();
    const headers: Record<string, Buffer> = {};
    const nHeaders = records.varint();
    for (let h = 0; h < nHeaders; h++) {
      const hk = records.varBytes();
      const hv = records.varBytes();
      if (hk) headers[hk.toString('utf8')] = hv ?? Buffer.alloc(0);
    }
    out.push({ offset, timestamp: batch.timestamp ?? batch.baseTimestamp + timestampDelta, key, value, headers });
    records.pos = next;
  }
}

/** The aborted transactions a READ_COMMITTED Fetch answer lists: producer id and first offset. */
export type AbortedList = readonly { producerId: bigint; firstOffset: number }[];

/**
 * Kafka's READ_COMMITTED rule over the batches of one Fetch answer, as the
 * Java consumer applies it: the answer lists the aborted transactions in
 * its range (producer id, first offset); a transactional batch of a
 * producer whose aborted transaction has begun at or before the batch's
 * last offset is dropped, until that producer's ABORT marker. Every aborted
 * transaction counts, several of one producer included. Control batches
 * (the markers) are never records. Feed it every batch in offset order.
 */
export class CommittedFilter {
  private readonly pending: { producerId: bigint; firstOffset: number }[];
  private readonly open = new Set<bigint>();

  constructor(aborted: AbortedList) {
    this.pending = [...aborted].sort((a, b) => a.firstOffset - b.firstOffset);
  }

  /**
   * Whether a consumer reading committed data skips this batch. `marker` is
   * the control record's type for a control batch ('abort' ends its
   * producer's aborted transaction).
   */
  skips(batch: { lastOffset: number; producerId: bigint; attributes: number }, marker?: 'abort' | 'commit' | 'unknown'): boolean {
    while (this.pending.length > 0 && this.pending[0]!.firstOffset <= batch.lastOffset) this.open.add(this.pending.shift()!.producerId);
    if ((batch.attributes & CONTROL) !== 0) {
      if (marker === 'abort') this.open.delete(batch.producerId);
      return true;
    }
    return (batch.attributes & TRANSACTIONAL) !== 0 && this.open.has(batch.producerId);
  }
}

/**
 * The type of a control batch's marker, from the batch's records (the bytes
 * after its 61-byte header): a control record's key is a version (int16)
 * then a type, 0 ABORT and 1 COMMIT. Markers are written uncompressed.
 */
export function markerType(records: Buffer): 'abort' | 'commit' | 'unknown' {
  try {
    const r = new Reader(records);
    r.varint(); // record size
    r.skip(1); // record attributes
    r.varint(); // timestamp delta
    r.varint(); // offset delta
    const key = r.varBytes();
    if (!key || key.length < 4) return 'unknown';
    const type = key.readInt16BE(2);
    return type === 0 ? 'abort' : type === 1 ? 'commit' : 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * The records a READ_COMMITTED consumer sees in a Fetch answer, from
 * `from` on (at most `limit` of them): records of aborted transactions are
 * dropped, and so are the transaction markers (see CommittedFilter).
 * `next` is the offset after the last complete batch read, whether kept or
 * not, so a caller whose answer held only markers and aborted records goes
 * on from there.
 */
export function committedRecords(
  bytes: Buffer | null,
  where: string,
  aborted: AbortedList,
  from: number,
  limit = Number.POSITIVE_INFINITY,
): { records: DecodedRecord[]; next: number } {
  const out: DecodedRecord[] = [];
  let next = from;
  if (!bytes) return { records: out, next };
  const filter = new CommittedFilter(aborted);
  const r = new Reader(bytes);
  while (out.length < limit && r.remaining >= LOG_OVERHEAD) {
    const baseOffset = r.int64();
    const length = r.int32();
    if (r.remaining < length || length < HEADER_REST) break; // cut short by the fetch size
    const end = r.pos + length;
    r.skip(4); // partition leader epoch
    const magic = r.int8();
    if (magic !== 2) throw new Error(`${where}: records in message format v${magic} at offset ${baseOffset}; only v2 (Kafka 0.11 and later) can be read`);
    r.skip(4); // crc
    const attributes = r.int16();
    const lastOffsetDelta = r.int32();
    const baseTimestamp = r.int64();
    const maxTimestamp = r.int64();
    const producerId = r.bigInt64();
    r.skip(2 + 4); // epoch, base sequence
    const count = r.int32();
    const lastOffset = baseOffset + lastOffsetDelta;
    const body = bytes.subarray(r.pos, end);
    r.pos = end;
    const marker = (attributes & CONTROL) !== 0 ? markerType(body) : undefined;
    if (filter.skips({ lastOffset, producerId, attributes }, marker) || lastOffset < from) {
      next = Math.max(next, lastOffset + 1);
      continue;
    }
    const records = new Reader(payload(body, attributes & COMPRESSION_MASK, `${where}: the batch at offset ${baseOffset}`));
    readRecords(records, { count, baseOffset, baseTimestamp, timestamp: (attributes & LOG_APPEND_TIME) !== 0 ? maxTimestamp : undefined }, from, limit, out);
    // A batch left part-read at the limit is read again from its next record.
    next = out.length >= limit ? Math.max(next, out[out.length - 1]!.offset + 1) : Math.max(next, lastOffset + 1);
  }
  return { records: out, next };
}

/** A batch's records, decompressed. */
function payload(bytes: Buffer, codec: number, where: string): Buffer {
  if (codec === 0) return bytes;
  const algorithm = compressionsAlgorithmsByBitmask[codec];
  if (!algorithm?.available) throw new Error(`${where} is compressed with ${CODECS[codec] ?? `codec ${codec}`}, which this Node.js cannot decompress`);
  try {
    return algorithm.decompressSync(bytes);
  } catch (e) {
    throw new Error(`${where} (${CODECS[codec]}) cannot be decompressed: ${(e as Error).message}`, { cause: e });
  }
}
