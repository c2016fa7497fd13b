import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { decodeRecords } from '../../../src/kafka/recordBatch.js';

/*
 * Batches are built by kafkajs's producer-side encoder (a separate
 * implementation of Kafka's format v2, the one our producers use against
 * the lab), so a decoder that only agrees with itself fails here.
 */
const require = createRequire(import.meta.url);
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: (opts: object) => Promise<{ buffer: Buffer }> };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (opts: object) => unknown;
const { Types: Compression } = require('kafkajs/src/protocol/message/compression') as { Types: { None: number; GZIP: number; Snappy: number } };
const Long = require('kafkajs/src/utils/long') as { fromValue(v: number): unknown };

interface Rec {
  key: string | null;
  value: string | null;
  headers?: Record<string, string>;
}

async function batch(firstOffset: number, firstTimestamp: number, recs: Rec[], opts: { compression?: number; timestampStep?: number } = {}): Promise<Buffer> {
  const step = opts.timestampStep ?? 10;
  const encoded = await RecordBatch({
    compression: opts.compression ?? Compression.None,
    firstOffset: Long.fromValue(firstOffset),
    firstTimestamp,
    maxTimestamp: firstTimestamp + step * (recs.length - 1),
    lastOffsetDelta: recs.length - 1,
    records: recs.map((r, i) =>
      Record({
        offsetDelta: i,
        timestampDelta: i * step,
        key: r.key === null ? null : Buffer.from(r.key),
        value: r.value === null ? null : Buffer.from(r.value),
        headers: Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k, Buffer.from(v)])),
      }),
    ),
  });
  return encoded.buffer;
}

// attributes sit after baseOffset (8), length (4), leader epoch (4), magic (1), crc (4)
const ATTRIBUTES_AT = 21;
function withAttributeBits(b: Buffer, bits: number): Buffer {
  const c = Buffer.from(b);
  c.writeInt16BE(c.readInt16BE(ATTRIBUTES_AT) | bits, ATTRIBUTES_AT);
  return c;
}

const text = (b: Buffer | null) => (b === null ? null : b.toString('utf8'));
const plain = (rs: ReturnType<typeof decodeRecords>) => rs.map((r) => ({ offset: r.offset, timestamp: r.timestamp, key: text(r.key), value: text(r.value) }));

describe('decodeRecords (message format v2)', () => {
  it('reads offsets, timestamps, keys, values and headers of consecutive batches', async () => {
    const bytes = Buffer.concat([
      await batch(100, 1_700_000_000_000, [
        { key: 'a', value: 'one', headers: { trace: 't1', 'mm2-src': 'east' } },
        { key: null, value: 'two' },
      ]),
      await batch(102, 1_700_000_001_000, [{ key: 'c', value: null }]),
    ]);
    const got = decodeRecords(bytes, 'east: orders-0');
    expect(plain(got)).toEqual([
      { offset: 100, timestamp: 1_700_000_000_000, key: 'a', value: 'one' },
      { offset: 101, timestamp: 1_700_000_000_010, key: null, value: 'two' },
      { offset: 102, timestamp: 1_700_000_001_000, key: 'c', value: null },
    ]);
    expect(Object.fromEntries(Object.entries(got[0]!.headers).map(([k, v]) => [k, v.toString()]))).toEqual({ trace: 't1', 'mm2-src': 'east' });
    expect(got[1]!.headers).toEqual({});
  });

  it('starts at `from` (skipping whole batches before it) and stops at `limit`', async () => {
    const bytes = Buffer.concat([
      await batch(0, 1000, [
        { key: 'k0', value: 'v0' },
        { key: 'k1', value: 'v1' },
      ]),
      await batch(2, 2000, [
        { key: 'k2', value: 'v2' },
        { key: 'k3', value: 'v3' },
        { key: 'k4', value: 'v4' },
      ]),
    ]);
    expect(plain(decodeRecords(bytes, 'x', { from: 3 })).map((r) => r.offset)).toEqual([3, 4]);
    expect(plain(decodeRecords(bytes, 'x', { from: 1, limit: 2 })).map((r) => r.value)).toEqual(['v1', 'v2']);
    expect(plain(decodeRecords(bytes, 'x', { from: 4, limit: 1 }))).toEqual([{ offset: 4, timestamp: 2020, key: 'k4', value: 'v4' }]);
    expect(decodeRecords(bytes, 'x', { from: 5 })).toEqual([]);
  });

  it('reads gzip batches', async () => {
    const bytes = await batch(7, 5000, [{ key: 'g', value: 'zipped'.repeat(50) }, { key: 'h', value: 'again' }], { compression: Compression.GZIP });
    expect(plain(decodeRecords(bytes, 'x')).map((r) => [r.offset, r.key, r.value?.length])).toEqual([
      [7, 'g', 300],
      [8, 'h', 5],
    ]);
  });

  it('gives every record of a LogAppendTime batch the batch timestamp', async () => {
    const bytes = withAttributeBits(await batch(0, 1000, [{ key: 'a', value: '1' }, { key: 'b', value: '2' }], { timestampStep: 5 }), 0x08);
    expect(plain(decodeRecords(bytes, 'x')).map((r) => r.timestamp)).toEqual([1005, 1005]);
  });

  it('skips control batches (transaction markers)', async () => {
    const bytes = Buffer.concat([withAttributeBits(await batch(0, 1000, [{ key: null, value: 'marker' }]), 0x20), await batch(1, 2000, [{ key: 'd', value: 'data' }])]);
    expect(plain(decodeRecords(bytes, 'x')).map((r) => [r.offset, r.value])).toEqual([[1, 'data']]);
  });

  it('ends at a batch cut short by the fetch size', async () => {
    const whole = await batch(0, 1000, [{ key: 'a', value: '1' }]);
    const next = await batch(1, 2000, [{ key: 'b', value: '2' }]);
    const bytes = Buffer.concat([whole, next.subarray(0, next.length - 3)]);
    expect(plain(decodeRecords(bytes, 'x')).map((r) => r.offset)).toEqual([0]);
    expect(decodeRecords(whole.subarray(0, 10), 'x')).toEqual([]);
    expect(decodeRecords(null, 'x')).toEqual([]);
  });

  it('refuses codecs and formats it cannot read, naming the partition and offset', async () => {
    const snappy = withAttributeBits(await batch(40, 1000, [{ key: 'a', value: '1' }]), 0x02);
    expect(() => decodeRecords(snappy, 'west: orders-3')).toThrow(/west: orders-3: the batch at offset 40 is compressed with snappy/);
    const v1 = Buffer.from(await batch(40, 1000, [{ key: 'a', value: '1' }]));
    v1.writeInt8(1, 16);
    expect(() => decodeRecords(v1, 'west: orders-3')).toThrow(/west: orders-3: records in message format v1 at offset 40/);
  });
});
