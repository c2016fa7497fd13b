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

/**
 * The records a READ_COMMITTED consumer sees in a Fetch answer, from
 * `from` on: records of aborted transactions are dropped, and so are the
 * transaction markers. Kafka's rule (the Java consumer's): the answer lists
 * the aborted transactions in its range (producer id, first offset); a
 * transactional batch of a producer whose aborted transaction has begun at
 * or before it is dropped, until that producer's ABORT marker. Every
 * aborted transaction counts, several of one producer included. `next` is
 * the offset after the last complete batch, whether kept or not.
 */
export function committedRecords(
  bytes: Buffer | null,
  where: string,
  aborted: readonly { producerId: bigint; firstOffset: number }[],
  from: number,
): { records: DecodedRecord[]; next: number } {
  const out: DecodedRecord[] = [];
  let next = from;
  if (!bytes) return { records: out, next };
  const pending = [...aborted].sort((a, b) => a.firstOffset - b.firstOffset);
  const open = new Set<bigint>();
  const r = new Reader(bytes);
  while (r.remaining >= LOG_OVERHEAD) {
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
    next = Math.max(next, lastOffset + 1);
    while (pending.length > 0 && pending[0]!.firstOffset <= lastOffset) open.add(pending.shift()!.producerId);
    const records = new Reader(payload(bytes.subarray(r.pos, end), attributes & COMPRESSION_MASK, `${where}: the batch at offset ${baseOffset}`));
    r.pos = end;
    if ((attributes & CONTROL) !== 0) {
      const markers: DecodedRecord[] = [];
      readRecords(records, { count, baseOffset, baseTimestamp, timestamp: undefined }, 0, 1, markers);
      const marker = markers[0];
      // A control record's key: version (int16), then type: 0 ABORT, 1 COMMIT.
      if (marker?.key && marker.key.length >= 4 && marker.key.readInt16BE(2) === 0) open.delete(producerId);
      continue;
    }
    if ((attributes & TRANSACTIONAL) !== 0 && open.has(producerId)) continue;
    if (lastOffset < from) continue;
    readRecords(records, { count, baseOffset, baseTimestamp, timestamp: (attributes & LOG_APPEND_TIME) !== 0 ? maxTimestamp : undefined }, from, Number.POSITIVE_INFINITY, out);
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
