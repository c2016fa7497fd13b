import { createRecordsBatch, type CompressionAlgorithmValue } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { CommittedFilter, committedRecords, decodeRecords, markerType } from '../../../src/kafka/recordBatch.js';

/*
 * Batches are built by the Kafka client's producer-side encoder (a separate
 * implementation of Kafka's format v2, the one its producers use), so a
 * decoder that only agrees with itself fails here. The encoder always
 * writes base offset 0, as a producer does; the broker assigns offsets by
 * rewriting that field, which the CRC does not cover, and so do we.
 */

interface Rec {
  key: string | null;
  value: string | null;
  headers?: Record<string, string>;
}

interface BatchOptions {
  compression?: CompressionAlgorithmValue;
  timestampStep?: number;
  /** a transactional batch of this producer */
  producerId?: bigint;
}

async function batch(firstOffset: number, firstTimestamp: number, recs: Rec[], opts: BatchOptions = {}): Promise<Buffer> {
  const step = opts.timestampStep ?? 10;
  const encoded = createRecordsBatch(
    recs.map((r, i) => ({
      topic: 't',
      timestamp: BigInt(firstTimestamp + i * step),
      ...(r.key === null ? {} : { key: Buffer.from(r.key) }),
      // a null value is written as length -1, a tombstone
      value: (r.value === null ? undefined : Buffer.from(r.value)) as Buffer,
      headers: new Map(Object.entries(r.headers ?? {}).map(([k, v]) => [Buffer.from(k), Buffer.from(v)])),
    })),
    { compression: opts.compression ?? 'none', ...(opts.producerId !== undefined ? { producerId: opts.producerId, producerEpoch: 0, transactionalId: 'tx' } : {}) },
  );
  const b = Buffer.from(encoded.buffer);
  b.writeBigInt64BE(BigInt(firstOffset), 0);
  return b;
}

/** A transaction marker of `producerId` at `offset`: ABORT (type 0) or COMMIT (type 1). */
async function marker(offset: number, producerId: bigint, type: 0 | 1): Promise<Buffer> {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(type, 2);
  const b = Buffer.from(createRecordsBatch([{ topic: 't', key, value: Buffer.from([0, 0, 0, 0, 0, 0]), timestamp: 1n }], { producerId, producerEpoch: 0, transactionalId: 'tx' }).buffer);
  b.writeBigInt64BE(BigInt(offset), 0);
  return withAttributeBits(b, 0x20);
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

  it.each(['gzip', 'snappy', 'lz4', 'zstd'] as const)('reads %s batches', async (compression) => {
    const bytes = await batch(7, 5000, [{ key: 'g', value: 'zipped'.repeat(50) }, { key: 'h', value: 'again' }], { compression });
    expect(bytes.readInt16BE(ATTRIBUTES_AT) & 0x07).toBe({ gzip: 1, snappy: 2, lz4: 3, zstd: 4 }[compression]);
    expect(plain(decodeRecords(bytes, 'x')).map((r) => [r.offset, r.key, r.value?.length])).toEqual([
      [7, 'g', 300],
      [8, 'h', 5],
    ]);
  });

  it("reads snappy in Java's xerial framing (magic header, then length-prefixed chunks)", async () => {
    const raw = await batch(3, 1000, [{ key: 'x', value: 'framed'.repeat(20) }], { compression: 'snappy' });
    // Re-frame the raw snappy payload as Java's SnappyOutputStream writes it: the 16-byte header, then [length][chunk].
    const PAYLOAD_AT = 61;
    const chunk = raw.subarray(PAYLOAD_AT);
    const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
    const len = Buffer.alloc(4);
    len.writeInt32BE(chunk.length);
    const framed = Buffer.concat([raw.subarray(0, PAYLOAD_AT), header, len, chunk]);
    framed.writeInt32BE(framed.length - 12, 8);
    expect(plain(decodeRecords(framed, 'x')).map((r) => [r.offset, r.key, r.value])).toEqual([[3, 'x', 'framed'.repeat(20)]]);
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

  it('refuses what it cannot read, naming the partition and offset: an unknown codec, bytes that do not decompress, an old format', async () => {
    const unknown = withAttributeBits(await batch(40, 1000, [{ key: 'a', value: '1' }]), 0x07);
    expect(() => decodeRecords(unknown, 'west: orders-3')).toThrow(/west: orders-3: the batch at offset 40 is compressed with codec 7/);
    const notSnappy = withAttributeBits(await batch(40, 1000, [{ key: 'a', value: '1' }]), 0x02);
    expect(() => decodeRecords(notSnappy, 'west: orders-3')).toThrow(/west: orders-3: the batch at offset 40 \(snappy\) cannot be decompressed/);
    const v1 = Buffer.from(await batch(40, 1000, [{ key: 'a', value: '1' }]));
    v1.writeInt8(1, 16);
    expect(() => decodeRecords(v1, 'west: orders-3')).toThrow(/west: orders-3: records in message format v1 at offset 40/);
  });
});

describe('committedRecords (READ_COMMITTED)', () => {
  const P = 7n;
  const Q = 8n;

  it('drops every aborted transaction of one producer in one answer, not only the last', async () => {
    const bytes = Buffer.concat([
      await batch(0, 1000, [{ key: 'a', value: 'aborted-1' }], { producerId: P }),
      await marker(1, P, 0),
      await batch(2, 1000, [{ key: 'a', value: 'committed' }], { producerId: P }),
      await marker(3, P, 1),
      await batch(4, 1000, [{ key: 'a', value: 'aborted-2' }], { producerId: P }),
      await marker(5, P, 0),
    ]);
    const aborted = [
      { producerId: P, firstOffset: 0 },
      { producerId: P, firstOffset: 4 },
    ];
    const got = committedRecords(bytes, 'x', aborted, 0);
    expect(plain(got.records).map((r) => [r.offset, r.value])).toEqual([[2, 'committed']]);
    expect(got.next).toBe(6);
  });

  it("keeps other producers' records, and non-transactional ones, inside an aborted range", async () => {
    const bytes = Buffer.concat([
      await batch(0, 1000, [{ key: 'a', value: 'p-aborted' }], { producerId: P }),
      await batch(1, 1000, [{ key: 'b', value: 'q-committed' }], { producerId: Q }),
      await batch(2, 1000, [{ key: 'c', value: 'plain' }]),
      await marker(3, P, 0),
      await marker(4, Q, 1),
    ]);
    const got = committedRecords(bytes, 'x', [{ producerId: P, firstOffset: 0 }], 0);
    expect(plain(got.records).map((r) => r.value)).toEqual(['q-committed', 'plain']);
  });

  it('starts at `from` and still counts an abort that began before it', async () => {
    const bytes = Buffer.concat([
      await batch(0, 1000, [{ key: 'a', value: 'a0' }, { key: 'a', value: 'a1' }], { producerId: P }),
      await batch(2, 1000, [{ key: 'a', value: 'a2' }], { producerId: P }),
      await marker(3, P, 0),
      await batch(4, 1000, [{ key: 'z', value: 'after' }]),
    ]);
    expect(plain(committedRecords(bytes, 'x', [{ producerId: P, firstOffset: 0 }], 1).records).map((r) => r.value)).toEqual(['after']);
    expect(plain(committedRecords(bytes, 'x', [], 1).records).map((r) => r.value)).toEqual(['a1', 'a2', 'after']);
  });
});

describe('committedRecords: a limit, and where to go on', () => {
  const P = 7n;

  it('stops at `limit` and goes on after the last record it kept, inside the batch', async () => {
    const bytes = Buffer.concat([await batch(0, 1000, [{ key: 'a', value: 'v0' }, { key: 'a', value: 'v1' }, { key: 'a', value: 'v2' }])]);
    const one = committedRecords(bytes, 'x', [], 0, 1);
    expect(plain(one.records).map((r) => r.offset)).toEqual([0]);
    expect(one.next).toBe(1);
    const two = committedRecords(bytes, 'x', [], 1, 2);
    expect(plain(two.records).map((r) => r.offset)).toEqual([1, 2]);
    expect(two.next).toBe(3);
  });

  it('an answer of markers and aborted records only keeps nothing and says where they end', async () => {
    const bytes = Buffer.concat([await batch(10, 1000, [{ key: 'a', value: 'x' }, { key: 'a', value: 'y' }], { producerId: P }), await marker(12, P, 0), await marker(13, 9n, 1)]);
    const got = committedRecords(bytes, 'x', [{ producerId: P, firstOffset: 10 }], 10, 1);
    expect(got.records).toEqual([]);
    expect(got.next).toBe(14);
  });

  it('the first committed record after an aborted transaction, with a limit of one', async () => {
    const bytes = Buffer.concat([await batch(10, 1000, [{ key: 'a', value: 'x' }], { producerId: P }), await marker(11, P, 0), await batch(12, 2000, [{ key: 'a', value: 'kept' }], { producerId: P }), await marker(13, P, 1)]);
    const got = committedRecords(bytes, 'x', [{ producerId: P, firstOffset: 10 }], 10, 1);
    expect(plain(got.records).map((r) => [r.offset, r.value])).toEqual([[12, 'kept']]);
    expect(got.next).toBe(13);
  });
});

describe('markerType and CommittedFilter', () => {
  it('reads the marker type from a control batch', async () => {
    expect(markerType((await marker(0, 1n, 0)).subarray(61))).toBe('abort');
    expect(markerType((await marker(0, 1n, 1)).subarray(61))).toBe('commit');
    expect(markerType(Buffer.alloc(0))).toBe('unknown');
  });

  it('skips control batches, and transactional batches of a producer between its aborted first offset and its ABORT', () => {
    const f = new CommittedFilter([{ producerId: 5n, firstOffset: 3 }]);
    const TXN = 0x10;
    const CONTROL = 0x20;
    expect(f.skips({ lastOffset: 2, producerId: 5n, attributes: TXN })).toBe(false);
    expect(f.skips({ lastOffset: 3, producerId: 5n, attributes: TXN })).toBe(true);
    // another producer, and a non-transactional batch of the same id, are kept
    expect(f.skips({ lastOffset: 4, producerId: 6n, attributes: TXN })).toBe(false);
    expect(f.skips({ lastOffset: 5, producerId: 5n, attributes: 0 })).toBe(false);
    // a COMMIT marker of the producer does not end the aborted transaction; its ABORT does
    expect(f.skips({ lastOffset: 6, producerId: 5n, attributes: CONTROL | TXN }, 'commit')).toBe(true);
    expect(f.skips({ lastOffset: 7, producerId: 5n, attributes: TXN })).toBe(true);
    expect(f.skips({ lastOffset: 8, producerId: 5n, attributes: CONTROL | TXN }, 'abort')).toBe(true);
    expect(f.skips({ lastOffset: 9, producerId: 5n, attributes: TXN })).toBe(false);
  });
});
