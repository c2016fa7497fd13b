import { MultipleErrors, NetworkError, ProtocolError, TimeoutError, Writer, createRecord, createRecordsBatch, crc32c } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import {
  TAIL_SCAN_MAX,
  describeUnknown,
  failureKind,
  judgePartition,
  lagMapping,
  lagVerdict,
  partitionLag,
  scanTail,
  summarise,
  tailsToRead,
  unmeasuredReport,
  withTail,
  type LagReport,
  type PartitionFacts,
  type PartitionLag,
  type UnknownLag,
} from '../../../src/kafka/replicationLag.js';
import { ClusterUnreachableError, describeKafkaError } from '../../../src/kafka/kafkaErrors.js';
import { ClusterTimeoutError } from '../../../src/kafka/timeout.js';

/*
 * Records are built by the Kafka client's producer-side encoder
 * (createRecord), so that the reading is checked against an implementation
 * of format v2 other than ours. The batch header is put together here,
 * because the client's batch encoder numbers records 0, 1, 2, ... and a
 * compacted batch has gaps.
 */

/**
 * A batch of records at `firstOffset + deltas[i]`, timestamps `firstTimestamp + 10 * i`; `lastOffsetDelta`
 * beyond the last record is what compaction leaves when it removed a batch's last records.
 */
async function batch(firstOffset: number, firstTimestamp: number, deltas: number[], lastOffsetDelta = deltas[deltas.length - 1]!): Promise<Buffer> {
  const first = BigInt(firstTimestamp);
  const body = Writer.create()
    .appendInt16(0) // attributes
    .appendInt32(lastOffsetDelta)
    .appendInt64(first)
    .appendInt64(first + BigInt(10 * (deltas.length - 1)))
    .appendInt64(-1n) // producer id
    .appendInt16(-1) // producer epoch
    .appendInt32(-1) // base sequence
    .appendInt32(deltas.length);
  deltas.forEach((d, i) => body.appendFrom(createRecord({ topic: 't', key: Buffer.from(`k${d}`), value: Buffer.from(`v${d}`), timestamp: first + BigInt(10 * i) }, d, first)));
  const crc = crc32c(body.dynamicBuffer);
  const head = Buffer.alloc(8 + 4 + 4 + 1 + 4);
  head.writeBigInt64BE(BigInt(firstOffset), 0);
  head.writeInt32BE(4 + 1 + 4 + body.length, 8);
  head.writeInt32BE(0, 12); // partition leader epoch
  head.writeInt8(2, 16); // magic
  head.writeUInt32BE(crc >>> 0, 17);
  return Buffer.concat([head, body.buffer]);
}
const records = (firstOffset: number, firstTimestamp: number, count: number) => batch(firstOffset, firstTimestamp, Array.from({ length: count }, (_, i) => i));

const ATTRIBUTES_AT = 21;
function withAttributeBits(b: Buffer, bits: number): Buffer {
  const c = Buffer.from(b);
  c.writeInt16BE(c.readInt16BE(ATTRIBUTES_AT) | bits, ATTRIBUTES_AT);
  return c;
}
const CONTROL = 0x20;
/** A transaction marker: a control batch of one record. */
const marker = async (offset: number) => withAttributeBits(await records(offset, 9_000, 1), CONTROL);

const ends = (earliest: number, latest: number) => ({ partition: 0, earliest, latest });
const syncs = (newest?: { u: number; d: number }): PartitionFacts['mapping'] => ({
  kind: 'offset-syncs',
  ...(newest ? { newest: { ok: true as const, sync: { upstreamOffset: newest.u, downstreamOffset: newest.d }, at: 7 } } : {}),
});

describe('judgePartition', () => {
  it('an empty source partition lags 0, whatever else is unknown', () => {
    expect(judgePartition({ source: ends(5, 5), mapping: syncs() })).toEqual({ lag: 0, from: 5 });
    expect(judgePartition({ source: ends(0, 0), targetUnknown: { kind: 'target-unreachable', reason: 'down' }, mapping: { kind: 'identical' } })).toEqual({ lag: 0, from: 0 });
  });

  it('a copy whose end cannot be read makes a partition with data unknown, with that reason', () => {
    const targetUnknown = { kind: 'target-unreachable' as const, reason: 'west is down' };
    expect(judgePartition({ source: ends(0, 1), targetUnknown, mapping: { kind: 'identical' } })).toEqual({ unknown: targetUnknown });
  });

  it('a missing copy lags by everything the source still holds', () => {
    expect(judgePartition({ source: ends(3, 10), mapping: syncs({ u: 9, d: 9 }) })).toEqual({ lag: 7, from: 3 });
    expect(judgePartition({ source: ends(3, 10), mapping: { kind: 'identical' } })).toEqual({ lag: 7, from: 3 });
  });

  it('identical offsets: the copy holds the source up to its own end, never past the source', () => {
    expect(judgePartition({ source: ends(0, 10), targetEnd: 8, mapping: { kind: 'identical' } })).toEqual({ lag: 2, from: 8 });
    expect(judgePartition({ source: ends(0, 10), targetEnd: 10, mapping: { kind: 'identical' } })).toEqual({ lag: 0, from: 10 });
    expect(judgePartition({ source: ends(6, 10), targetEnd: 2, mapping: { kind: 'identical' } })).toEqual({ lag: 4, from: 6 });
    const longer = judgePartition({ source: ends(0, 10), targetEnd: 11, mapping: { kind: 'identical' } });
    expect(longer).toEqual({ unknown: { kind: 'no-mapping', reason: expect.stringContaining('the copy ends at 11, after the source\'s end 10') } });
  });

  it('MM2: lag counts from one past the newest sync, however long the copy (a restart duplicated records)', () => {
    // Issue 10: the copy holds 50 duplicates, the source 50 records nothing copied; end offsets said 0.
    expect(judgePartition({ source: ends(0, 150), targetEnd: 200, mapping: syncs({ u: 99, d: 120 }) })).toEqual({ lag: 50, from: 100 });
    expect(judgePartition({ source: ends(0, 100), targetEnd: 121, mapping: syncs({ u: 99, d: 120 }) })).toEqual({ lag: 0, from: 100 });
    // Retention removed what the sync proves and more: only what the source still holds can lag.
    expect(judgePartition({ source: ends(140, 150), targetEnd: 200, mapping: syncs({ u: 99, d: 120 }) })).toEqual({ lag: 10, from: 140 });
  });

  it('MM2: no sync, an undecodable sync, or syncs that cannot be read leave the lag unknown, with why', () => {
    expect(judgePartition({ source: ends(0, 5), targetEnd: 9, mapping: syncs() })).toEqual({ unknown: { kind: 'no-mapping', reason: 'no offset sync for the partition' } });
    expect(judgePartition({ source: ends(0, 5), targetEnd: 9, mapping: { kind: 'offset-syncs', newest: { ok: false, error: 'bad bytes', at: 12 } } })).toEqual({
      unknown: { kind: 'read-error', reason: expect.stringMatching(/offset 12 of the offset-syncs topic\) cannot be decoded: bad bytes/) },
    });
    const unavailable = { kind: 'source-unreachable' as const, reason: 'east is down' };
    expect(judgePartition({ source: ends(0, 5), targetEnd: 9, mapping: { kind: 'offset-syncs', unavailable } })).toEqual({ unknown: unavailable });
  });

  it('MM2: a copy that ends at or before the sync record, or a source that ends at or before it, proves nothing', () => {
    expect(judgePartition({ source: ends(0, 150), targetEnd: 120, mapping: syncs({ u: 99, d: 120 }) })).toEqual({ unknown: { kind: 'no-mapping', reason: expect.stringMatching(/^the copy ends at 120, before the record 120/) } });
    expect(judgePartition({ source: ends(0, 99), targetEnd: 200, mapping: syncs({ u: 99, d: 120 }) })).toEqual({ unknown: { kind: 'no-mapping', reason: expect.stringMatching(/^the source ends at 99, before the record 99/) } });
  });
});

describe('partitionLag', () => {
  const base = { sourceTopic: 'orders', targetTopic: 'east.orders', partition: 2, sourceEnd: 10, targetEnd: 12 };
  it('keeps `from` only while the partition lags, and the reason when unknown', () => {
    expect(partitionLag(base, { lag: 3, from: 7 })).toEqual({ ...base, lag: 3, from: 7 });
    expect(partitionLag(base, { lag: 0, from: 10 })).toEqual({ ...base, lag: 0 });
    expect(partitionLag(base, { unknown: { kind: 'read-error', reason: 'r' } })).toEqual({ ...base, unknown: { kind: 'read-error', reason: 'r' } });
  });
});

describe('scanTail', () => {
  it('finds the first data record at or after `from`, with its own timestamp', async () => {
    const bytes = await records(10, 1_000, 3);
    expect(scanTail(bytes, 10, 13, 'x')).toEqual({ kind: 'data', offset: 10, timestamp: 1_000 });
    expect(scanTail(bytes, 11, 13, 'x')).toEqual({ kind: 'data', offset: 11, timestamp: 1_010 });
  });

  it('steps over transaction markers: only markers before the end is "none", a record after them is data', async () => {
    expect(scanTail(await marker(13), 13, 14, 'x')).toEqual({ kind: 'none' });
    expect(scanTail(Buffer.concat([await marker(13), await marker(14)]), 13, 15, 'x')).toEqual({ kind: 'none' });
    expect(scanTail(Buffer.concat([await marker(13), await marker(14), await records(15, 2_000, 1)]), 13, 16, 'x')).toEqual({ kind: 'data', offset: 15, timestamp: 2_000 });
  });

  it('a data record at or past the end came after the measurement: "none"', async () => {
    expect(scanTail(Buffer.concat([await marker(13), await records(14, 2_000, 2)]), 13, 14, 'x')).toEqual({ kind: 'none' });
    // Compaction left offsets 10 and 15 of the batch 10..15.
    const compacted = await batch(10, 1_000, [0, 5]);
    expect(scanTail(compacted, 11, 15, 'x')).toEqual({ kind: 'none' });
    expect(scanTail(compacted, 11, 16, 'x')).toEqual({ kind: 'data', offset: 15, timestamp: 1_010 });
  });

  it('a batch whose remaining records all lie before `from` covers its offsets; it is not data', async () => {
    // Records 10 and 11 of a batch that spanned 10..15 before compaction.
    const compacted = await batch(10, 1_000, [0, 1], 5);
    expect(scanTail(compacted, 12, 20, 'x')).toEqual({ kind: 'more', next: 16 });
    expect(scanTail(compacted, 12, 16, 'x')).toEqual({ kind: 'none' });
    expect(scanTail(Buffer.concat([compacted, await records(16, 7_000, 1)]), 12, 20, 'x')).toEqual({ kind: 'data', offset: 16, timestamp: 7_000 });
  });

  it('a batch that starts at or after the end is "none", even cut short', async () => {
    const after = await records(14, 2_000, 3);
    expect(scanTail(after.subarray(0, 64), 13, 14, 'x')).toEqual({ kind: 'none' });
    expect(scanTail(after.subarray(0, 64), 13, 15, 'x')).toEqual({ kind: 'data', offset: 14, timestamp: 2_000 });
  });

  it('a header of exactly 61 bytes is enough to read a batch', async () => {
    const whole = await records(10, 5_000, 3);
    expect(scanTail(whole.subarray(0, 61), 11, 13, 'x')).toEqual({ kind: 'data', offset: 11, timestamp: 5_000 });
    expect(scanTail(whole.subarray(0, 60), 11, 13, 'x')).toEqual({ kind: 'more', next: 11 });
  });

  it('skips whole batches before `from`, and a batch whose records all lie before it', async () => {
    const bytes = Buffer.concat([await records(0, 100, 2), await records(2, 200, 2)]);
    expect(scanTail(bytes, 3, 4, 'x')).toEqual({ kind: 'data', offset: 3, timestamp: 210 });
    const compacted = await batch(10, 1_000, [0, 1]);
    expect(scanTail(Buffer.concat([compacted, await records(12, 3_000, 1)]), 12, 13, 'x')).toEqual({ kind: 'data', offset: 12, timestamp: 3_000 });
  });

  it('asks for more when the bytes stop before the end, from past what they covered', async () => {
    expect(scanTail(null, 13, 20, 'x')).toEqual({ kind: 'more', next: 13 });
    expect(scanTail(Buffer.alloc(0), 13, 20, 'x')).toEqual({ kind: 'more', next: 13 });
    expect(scanTail(await marker(13), 13, 20, 'x')).toEqual({ kind: 'more', next: 14 });
    const twoMarkers = Buffer.concat([await marker(13), await marker(14)]);
    expect(scanTail(twoMarkers.subarray(0, twoMarkers.length - 5), 13, 20, 'x')).toEqual({ kind: 'more', next: 15 });
    expect(scanTail(twoMarkers.subarray(0, twoMarkers.length - 20), 13, 20, 'x')).toEqual({ kind: 'more', next: 14 });
    expect(scanTail(twoMarkers.subarray(0, 60), 13, 20, 'x')).toEqual({ kind: 'more', next: 13 });
  });

  it('a marker cut short still covers its offsets', async () => {
    const m = await marker(13);
    expect(scanTail(m.subarray(0, m.length - 3), 13, 14, 'x')).toEqual({ kind: 'none' });
  });

  it('a data batch cut short, or in a codec it cannot read, is data at `from` with the batch timestamp', async () => {
    const t0 = 1_764_600_000_000;
    const whole = await records(10, t0, 3);
    expect(scanTail(whole.subarray(0, 70), 11, 13, 'x')).toEqual({ kind: 'data', offset: 11, timestamp: t0 });
    expect(scanTail(whole.subarray(0, 70), 8, 13, 'x')).toEqual({ kind: 'data', offset: 10, timestamp: t0 });
    expect(scanTail(withAttributeBits(whole, 0x02), 11, 13, 'x')).toEqual({ kind: 'data', offset: 11, timestamp: t0 });
    // LogAppendTime: the broker's time, the batch's max timestamp.
    expect(scanTail(withAttributeBits(whole, 0x02 | 0x08), 11, 13, 'x')).toEqual({ kind: 'data', offset: 11, timestamp: t0 + 20 });
    // A data batch cut short that ends before `from` says nothing of what follows.
    expect(scanTail((await records(0, t0, 3)).subarray(0, 64), 5, 9, 'x')).toEqual({ kind: 'more', next: 5 });
  });

  it('records in a format before v2 are data without a timestamp', async () => {
    const v1 = Buffer.from(await records(40, 1_000, 1));
    v1.writeInt8(1, 16);
    expect(scanTail(v1, 40, 41, 'x')).toEqual({ kind: 'data', offset: 40, timestamp: -1 });
    expect(scanTail(v1, 38, 41, 'x')).toEqual({ kind: 'data', offset: 40, timestamp: -1 });
  });
});

const part = (over: Partial<PartitionLag> & ({ lag: number } | { unknown: PartitionLag['unknown'] })): PartitionLag =>
  ({ sourceTopic: 'orders', targetTopic: 'east.orders', partition: 0, sourceEnd: 150, targetEnd: 200, ...over }) as PartitionLag;

describe('withTail', () => {
  const lagging = part({ lag: 50, from: 100 });

  it('leaves unknown partitions alone, and gives lag 0 an age of 0 when seconds are asked', () => {
    const unknown = part({ unknown: { kind: 'no-mapping', reason: 'r' } });
    expect(withTail(unknown, { kind: 'none' }, 10_000, true)).toBe(unknown);
    const caughtUp = part({ lag: 0 });
    expect(withTail(caughtUp, undefined, 10_000, true)).toEqual({ ...caughtUp, lagMs: 0 });
    expect(withTail(caughtUp, undefined, 10_000, false)).toBe(caughtUp);
  });

  it('only markers or gaps after the proven position: lag 0', () => {
    expect(withTail(lagging, { kind: 'none' }, 10_000, true)).toEqual({ ...part({ lag: 0 }), lagMs: 0 });
    expect(withTail(lagging, { kind: 'none' }, 10_000, false)).toEqual(part({ lag: 0 }));
  });

  it('the first data record bounds the lag and gives its age', () => {
    expect(withTail(lagging, { kind: 'data', offset: 101, timestamp: 4_000 }, 10_000, true)).toEqual({ ...part({ lag: 49, from: 101 }), lagMs: 6_000 });
    expect(withTail(lagging, { kind: 'data', offset: 101, timestamp: 4_000 }, 10_000, false)).toEqual(part({ lag: 49, from: 101 }));
    // A record stamped at the epoch is old, not without a timestamp.
    expect(withTail(lagging, { kind: 'data', offset: 100, timestamp: 0 }, 10_000, true)).toMatchObject({ lag: 50, lagMs: 10_000 });
    // A clock ahead of ours is not a negative age.
    expect(withTail(lagging, { kind: 'data', offset: 100, timestamp: 12_000 }, 10_000, true)).toMatchObject({ lag: 50, lagMs: 0 });
  });

  it('an age that cannot be read is unknown, never 0; the count stands', () => {
    expect(withTail(lagging, { kind: 'unknown', reason: 'timed out' }, 10_000, true)).toEqual({ ...lagging, lagMsUnknown: { kind: 'read-error', reason: 'timed out' } });
    expect(withTail(lagging, undefined, 10_000, true)).toEqual({ ...lagging, lagMsUnknown: { kind: 'read-error', reason: 'the source was not read from offset 100' } });
    expect(withTail(lagging, { kind: 'data', offset: 120, timestamp: -1 }, 10_000, true)).toEqual({
      ...part({ lag: 30, from: 120 }),
      lagMsUnknown: { kind: 'read-error', reason: expect.stringContaining('offset 120 has no timestamp') },
    });
    expect(withTail(lagging, { kind: 'unknown', reason: 'timed out' }, 10_000, false)).toBe(lagging);
  });
});

describe('summarise', () => {
  const ps = [
    part({ partition: 0, lag: 3, lagMs: 500 }),
    part({ partition: 1, lag: 7, lagMs: 200 }),
    part({ partition: 2, unknown: { kind: 'no-mapping', reason: 'no sync' } }),
    part({ partition: 3, lag: 2, lagMsUnknown: { kind: 'read-error', reason: 'no answer' } }),
  ];

  it('totals the known partitions, lists the unknown ones (records first), and keeps the largest known age', () => {
    expect(summarise(ps, true)).toEqual({
      maxLag: 7,
      totalLag: 12,
      maxLagMs: 500,
      unknown: [
        { topic: 'orders', partition: 2, of: 'records', kind: 'no-mapping', reason: 'no sync' },
        { topic: 'orders', partition: 3, of: 'seconds', kind: 'read-error', reason: 'no answer' },
      ],
    });
  });

  it('without seconds, ages are neither totalled nor unknown', () => {
    expect(summarise(ps, false)).toStrictEqual({ maxLag: 7, totalLag: 12, unknown: [{ topic: 'orders', partition: 2, of: 'records', kind: 'no-mapping', reason: 'no sync' }] });
    expect(summarise([], true)).toEqual({ maxLag: 0, totalLag: 0, maxLagMs: 0, unknown: [] });
    // A known partition whose age was not set (not lagging, judged without a tail) counts as 0, not NaN.
    expect(summarise([part({ partition: 0, lag: 0 }), part({ partition: 1, lag: 1, lagMs: 40 })], true)).toMatchObject({ maxLagMs: 40 });
    expect(summarise([part({ partition: 0, lag: 1, lagMs: 40 }), part({ partition: 1, lag: 0 })], true)).toMatchObject({ maxLagMs: 40 });
  });
});

function reportOf(partitions: PartitionLag[], seconds = true): LagReport {
  return { measuredAt: 0, mapping: 'offset-syncs', partitions, ...summarise(partitions, seconds), missingSource: [], missingTarget: [] };
}

describe('lagVerdict', () => {
  it('within only when every partition is known and at most the bound', () => {
    const r = reportOf([part({ partition: 0, lag: 3, lagMs: 100 }), part({ partition: 1, lag: 0, lagMs: 0 })]);
    expect(lagVerdict(r, { maxRecords: 3 })).toEqual({ kind: 'within' });
    expect(lagVerdict(r, { maxMs: 100 })).toEqual({ kind: 'within' });
    expect(lagVerdict(r, {})).toEqual({ kind: 'within' });
  });

  it('over: the worst partition, by records, then by age', () => {
    const r = reportOf([part({ partition: 0, lag: 4, lagMs: 100 }), part({ partition: 1, lag: 9, lagMs: 900 }), part({ partition: 2, lag: 6, lagMs: 50 })]);
    expect(lagVerdict(r, { maxRecords: 3 })).toMatchObject({ kind: 'over', by: 'records', worst: { partition: 1, lag: 9 } });
    expect(lagVerdict(r, { maxRecords: 9, maxMs: 99 })).toMatchObject({ kind: 'over', by: 'seconds', worst: { partition: 1, lagMs: 900 } });
  });

  it('of partitions equally over the bound, the first is named', () => {
    const r = reportOf([part({ partition: 0, lag: 9, lagMs: 900 }), part({ partition: 1, lag: 9, lagMs: 900 })]);
    expect(lagVerdict(r, { maxRecords: 3 })).toMatchObject({ worst: { partition: 0 } });
    expect(lagVerdict(r, { maxMs: 100 })).toMatchObject({ worst: { partition: 0 } });
  });

  it('a known partition over the bound is reported before unknown ones', () => {
    const r = reportOf([part({ partition: 0, unknown: { kind: 'no-mapping', reason: 'no sync' } }), part({ partition: 1, lag: 9 })]);
    expect(lagVerdict(r, { maxRecords: 3 })).toMatchObject({ kind: 'over', worst: { partition: 1 } });
  });

  it('unknown when any partition is, never within; ages count only against a seconds bound', () => {
    const r = reportOf([part({ partition: 0, lag: 0 }), part({ partition: 1, unknown: { kind: 'no-mapping', reason: 'no sync' } })]);
    expect(lagVerdict(r, { maxRecords: 1000 })).toEqual({ kind: 'unknown', unknown: r.unknown, reason: 'orders-1 unknown (no sync)' });
    const age = reportOf([part({ partition: 0, lag: 1, lagMsUnknown: { kind: 'read-error', reason: 'no answer' } })]);
    expect(lagVerdict(age, { maxRecords: 1 })).toEqual({ kind: 'within' });
    expect(lagVerdict(age, { maxMs: 60_000 })).toEqual({ kind: 'unknown', unknown: age.unknown, reason: 'orders-0 age unknown (no answer)' });
  });

  it('an unmeasured report is unknown, with its reason', () => {
    const r = unmeasuredReport('offset-syncs', 5, { kind: 'source-unreachable', reason: 'east cannot be read' });
    expect(r).toEqual({ measuredAt: 5, mapping: 'offset-syncs', partitions: [], maxLag: 0, totalLag: 0, unknown: [], unmeasured: { kind: 'source-unreachable', reason: 'east cannot be read' }, missingSource: [], missingTarget: [] });
    expect(r.maxLagMs).toBeUndefined();
    expect(lagVerdict(r, { maxRecords: 1000, maxMs: 60_000 })).toEqual({ kind: 'unknown', unknown: [], reason: 'east cannot be read' });
  });
});

describe('describeUnknown, failureKind, lagMapping', () => {
  const u = (partition: number, of: UnknownLag['of'] = 'records'): UnknownLag => ({ topic: 't', partition, of, kind: 'no-mapping', reason: `r${partition}` });

  it('names up to `max` partitions and counts the rest', () => {
    expect(describeUnknown([u(0)])).toBe('t-0 unknown (r0)');
    expect(describeUnknown([u(0), u(1, 'seconds')])).toBe('t-0 unknown (r0), t-1 age unknown (r1)');
    expect(describeUnknown([u(0), u(1), u(2), u(3)])).toBe('t-0 unknown (r0), t-1 unknown (r1) and 2 more');
    expect(describeUnknown([u(0), u(1), u(2)], 3)).toBe('t-0 unknown (r0), t-1 unknown (r1), t-2 unknown (r2)');
    expect(describeUnknown([u(0), u(1)], 2, 30)).toBe('t-0 unknown (r0), t-1 unknown (r1) and 28 more');
  });

  it('tells a cluster that does not answer from another error, by side', () => {
    expect(failureKind(new ClusterTimeoutError('east: metadata', 5000), 'source')).toBe('source-unreachable');
    expect(failureKind(new ClusterTimeoutError('west: metadata', 5000), 'target')).toBe('target-unreachable');
    // The client's errors, as a call wraps them: told apart by what they are, not by their words.
    const where = { cluster: 'east', bootstrap: ['127.0.0.1:1'], what: 'metadata' };
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const notConnected = new MultipleErrors('Listing topics failed.', [new NetworkError('Connection to 127.0.0.1:1 failed.', { cause: refused })]);
    expect(failureKind(describeKafkaError(notConnected, where), 'source')).toBe('source-unreachable');
    expect(failureKind(describeKafkaError(new MultipleErrors('Listing offsets failed.', [new TimeoutError('Request timed out')]), where), 'target')).toBe('target-unreachable');
    const denied = new MultipleErrors('Listing offsets failed.', [new ProtocolError('TOPIC_AUTHORIZATION_FAILED')]);
    expect(failureKind(describeKafkaError(denied, where), 'source')).toBe('read-error');
    // Words alone decide nothing.
    expect(failureKind(new Error('east (127.0.0.1:1): metadata: cannot connect (ECONNREFUSED)'), 'source')).toBe('read-error');
    expect(failureKind('authentication failed', 'target')).toBe('read-error');
    const recorded = new ClusterUnreachableError('east', 'list offsets', { error: 'east: connect: no answer within 5 s', hint: 'h', reason: 'no-answer' });
    expect(failureKind(recorded, 'source')).toBe('source-unreachable');
    expect(failureKind(new ClusterUnreachableError('east', 'list offsets', { error: 'refused', hint: 'h', reason: 'auth' }), 'source')).toBe('read-error');
  });

  it('MM2 flows read the offset-syncs topic where MM2 writes it; offset-preserving links need none', () => {
    const mm2 = { kind: 'mirrormaker2' as const, sourceAlias: 'east', targetAlias: 'west', separator: '.' };
    expect(lagMapping(mm2, 'source')).toEqual({ kind: 'offset-syncs', topic: 'mm2-offset-syncs.west.internal', on: 'source' });
    expect(lagMapping(mm2, 'target')).toEqual({ kind: 'offset-syncs', topic: 'mm2-offset-syncs.east.internal', on: 'target' });
    expect(lagMapping({ ...mm2, separator: '_' }, 'source')).toEqual({ kind: 'offset-syncs', topic: 'mm2-offset-syncs_west_internal', on: 'source' });
    expect(lagMapping({ kind: 'offset-preserving', prefix: 'dr.' }, 'source')).toEqual({ kind: 'identical' });
  });

  it('reads every lagging tail for ages; without them only tails short enough to be markers', () => {
    const ps = [part({ partition: 0, lag: 0 }), part({ partition: 1, lag: 1 }), part({ partition: 2, lag: TAIL_SCAN_MAX }), part({ partition: 3, lag: TAIL_SCAN_MAX + 1 }), part({ partition: 4, unknown: { kind: 'no-mapping', reason: 'r' } })];
    expect(tailsToRead(ps, true).map((p) => p.partition)).toEqual([1, 2, 3]);
    expect(tailsToRead(ps, false).map((p) => p.partition)).toEqual([1, 2]);
  });
});

describe('scanTail with aborted transactions (READ_COMMITTED answers)', () => {
  const P = 7n;
  const TXN = 0x10;
  /** `count` transactional records of producer P from `offset` */
  const txn = async (offset: number, ts: number, count: number) => {
    const b = withAttributeBits(await records(offset, ts, count), TXN);
    b.writeBigInt64BE(P, 43);
    return b;
  };
  /** P's marker at `offset`: ABORT (0) or COMMIT (1), with a control record's key */
  const txnMarker = (offset: number, type: 0 | 1) => {
    const key = Buffer.alloc(4);
    key.writeInt16BE(type, 2);
    const b = Buffer.from(createRecordsBatch([{ topic: 't', key, value: Buffer.alloc(6), timestamp: 1n }], { producerId: P, producerEpoch: 0, transactionalId: 'tx' }).buffer);
    b.writeBigInt64BE(BigInt(offset), 0);
    return withAttributeBits(b, CONTROL | TXN);
  };

  it('an aborted transaction and its marker before the end are not lag: "none"', async () => {
    const bytes = Buffer.concat([await txn(10, 1_000, 3), txnMarker(13, 0)]);
    expect(scanTail(bytes, 10, 14, 'x', [{ producerId: P, firstOffset: 10 }])).toEqual({ kind: 'none' });
    // Without the answer's aborted list (READ_UNCOMMITTED, as before), the aborted record was taken for data.
    expect(scanTail(bytes, 10, 14, 'x')).toEqual({ kind: 'data', offset: 10, timestamp: 1_000 });
  });

  it('the first committed record after an aborted transaction is the tail', async () => {
    const bytes = Buffer.concat([await txn(10, 1_000, 2), txnMarker(12, 0), await txn(13, 5_000, 1), txnMarker(14, 1)]);
    expect(scanTail(bytes, 10, 15, 'x', [{ producerId: P, firstOffset: 10 }])).toEqual({ kind: 'data', offset: 13, timestamp: 5_000 });
  });

  it('a committed transaction after its COMMIT marker stays data', async () => {
    const bytes = Buffer.concat([txnMarker(9, 1), await txn(10, 3_000, 1), txnMarker(11, 1)]);
    expect(scanTail(bytes, 9, 12, 'x', [])).toEqual({ kind: 'data', offset: 10, timestamp: 3_000 });
  });
});
