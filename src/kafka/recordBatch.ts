import { gunzipSync } from 'node:zlib';
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
 * batch cut short by the fetch size ends the answer. Batches compressed
 * with gzip are read; snappy, lz4 and zstd are not (kafkajs, which reads
 * the rest of Kafka for us, has no codec for them either), and neither are
 * the message formats older than v2: both give an error naming the
 * partition rather than a wrong answer.
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
    const codec = attributes & COMPRESSION_MASK;
    let records: Reader;
    if (codec === 0) records = new Reader(bytes.subarray(r.pos, end));
    else if (codec === 1) records = new Reader(gunzipSync(bytes.subarray(r.pos, end)));
    else throw new Error(`${where}: the batch at offset ${baseOffset} is compressed with ${CODECS[codec] ?? `codec ${codec}`}; failover reads uncompressed and gzip batches only`);
    const appendTime = (attributes & LOG_APPEND_TIME) !== 0;
    for (let i = 0; i < count && out.length < limit; i++) {
      const size = records.varint();
      const next = records.pos + size;
      records.skip(1); // record attributes
      const timestampDelta = records.varint();
      const offset = baseOffset + records.varint();
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
      out.push({ offset, timestamp: appendTime ? maxTimestamp : baseTimestamp + timestampDelta, key, value, headers });
      records.pos = next;
    }
    r.pos = end;
  }
  return out;
}
