import { describe, expect, it } from 'vitest';
import type { KafkaConnection } from '../../../src/kafka/connection.js';
import { encodeCheckpoint, encodeOffsetSync } from '../../../src/kafka/mm2Records.js';
import { tpKey } from '../../../src/kafka/metadata.js';
import {
  checkpointOf,
  checkpointRecord,
  checkpointsFrom,
  estimatedTargetPosition,
  indexCheckpoints,
  emptyNewestSyncs,
  foldNewestSyncs,
  indexOffsetSyncs,
  loadCheckpoints,
  loadOffsetSyncs,
  newestSyncOf,
  newestWindow,
  offsetSyncsFrom,
  syncedPosition,
  translateByCheckpoint,
  translateDownstream,
  type CheckpointRecord,
  type Sync,
} from '../../../src/kafka/mm2Translation.js';

const cp = (over: Partial<CheckpointRecord> = {}): CheckpointRecord => ({
  group: 'billing',
  topic: 'east.orders',
  partition: 0,
  upstreamOffset: 100,
  downstreamOffset: 90,
  metadata: '',
  writtenAt: 1000,
  ...over,
});

describe('translateDownstream (MM2 OffsetSyncStore rule)', () => {
  const syncs: Sync[] = [
    { upstreamOffset: 10, downstreamOffset: 5 },
    { upstreamOffset: 50, downstreamOffset: 40 },
    { upstreamOffset: 80, downstreamOffset: 60 },
  ];

  it('translates an offset equal to a sync to its downstream offset', () => {
    expect(translateDownstream(syncs, 50)).toBe(40);
  });

  it('translates an offset past a sync to one past that sync, never further', () => {
    expect(translateDownstream(syncs, 51)).toBe(41);
    expect(translateDownstream(syncs, 79)).toBe(41);
    expect(translateDownstream(syncs, 1000)).toBe(61);
  });

  it('declines (-1) a commit before the earliest sync, and has no answer without syncs', () => {
    expect(translateDownstream(syncs, 9)).toBe(-1);
    expect(translateDownstream([], 9)).toBeUndefined();
    expect(translateDownstream(undefined, 9)).toBeUndefined();
  });

  it('never translates past the exact position, however records were filtered on the way', () => {
    // Deterministic pseudo-random streams: some upstream records are not replicated.
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let run = 0; run < 20; run++) {
      const downstreamOf = new Map<number, number>();
      const all: Sync[] = [];
      let d = 0;
      for (let u = 0; u < 300; u++) {
        if (rnd() < 0.2) continue; // filtered or compacted away
        downstreamOf.set(u, d);
        if (rnd() < 0.15) all.push({ upstreamOffset: u, downstreamOffset: d });
        d++;
      }
      for (let c = 0; c <= 300; c++) {
        const t = translateDownstream(all, c);
        if (t === undefined || t < 0) continue;
        // Exact: where the first replicated record at or after c landed (or the end).
        let exact = d;
        for (let u = c; u < 300; u++) if (downstreamOf.has(u)) { exact = downstreamOf.get(u)!; break; }
        expect(t).toBeLessThanOrEqual(exact);
      }
    }
  });
});

describe('indexOffsetSyncs', () => {
  it('keeps syncs per partition in log order and drops those before an upstream rewind', () => {
    const idx = indexOffsetSyncs([
      { topic: 'orders', partition: 0, upstreamOffset: 10n, downstreamOffset: 10n },
      { topic: 'orders', partition: 0, upstreamOffset: 20n, downstreamOffset: 20n },
      { topic: 'orders', partition: 1, upstreamOffset: 5n, downstreamOffset: 3n },
      { topic: 'orders', partition: 0, upstreamOffset: 2n, downstreamOffset: 21n },
      { topic: 'orders', partition: 0, upstreamOffset: 4n, downstreamOffset: 23n },
    ]);
    expect([...idx.values()].map((l) => l.map((s) => s.upstreamOffset))).toEqual([[2, 4], [5]]);
  });

  it('keys by topic and partition, converts offsets to numbers, and keeps a repeated upstream offset (not a rewind)', () => {
    const idx = indexOffsetSyncs([
      { topic: 'orders', partition: 0, upstreamOffset: 10, downstreamOffset: 10 },
      { topic: 'orders', partition: 0, upstreamOffset: 10n, downstreamOffset: 12n },
    ]);
    expect([...idx.keys()]).toEqual([tpKey('orders', 0)]);
    expect(idx.get(tpKey('orders', 0))).toStrictEqual([
      { upstreamOffset: 10, downstreamOffset: 10 },
      { upstreamOffset: 10, downstreamOffset: 12 },
    ]);
  });

  it('refuses an offset it cannot hold exactly', () => {
    expect(() => indexOffsetSyncs([{ topic: 'orders', partition: 0, upstreamOffset: 2n ** 53n, downstreamOffset: 0n }])).toThrow(
      'offset 9007199254740992 is beyond what failover handles exactly (2^53)',
    );
  });
});

describe('indexCheckpoints (MirrorClient.remoteConsumerOffsets rule)', () => {
  it('keeps the last checkpoint per group, topic and partition in log order', () => {
    const idx = indexCheckpoints([cp({ upstreamOffset: 1 }), cp({ partition: 1, upstreamOffset: 7 }), cp({ upstreamOffset: 3 }), cp({ group: 'shipping', upstreamOffset: 9 })]);
    expect(checkpointOf(idx, 'billing', 'east.orders', 0)?.upstreamOffset).toBe(3);
    expect(checkpointOf(idx, 'billing', 'east.orders', 1)?.upstreamOffset).toBe(7);
    expect(checkpointOf(idx, 'shipping', 'east.orders', 0)?.upstreamOffset).toBe(9);
    expect(checkpointOf(idx, 'shipping', 'east.orders', 1)).toBeUndefined();
  });
});

describe('translateByCheckpoint', () => {
  it('uses a checkpoint that translates the current commit', () => {
    expect(translateByCheckpoint({ committed: 100, checkpoint: cp(), targetEnd: 95 })).toMatchObject({ ok: true, targetOffset: 90, commitUnknown: false });
  });

  it('says why there is no translation', () => {
    expect(translateByCheckpoint({ committed: 100 })).toMatchObject({ ok: false, reason: 'no-checkpoint' });
    expect(translateByCheckpoint({ committed: 100, syncs: [] })).toMatchObject({ ok: false, reason: 'no-offset-sync' });
    expect(translateByCheckpoint({ committed: 5, syncs: [{ upstreamOffset: 10, downstreamOffset: 0 }] })).toMatchObject({ ok: false, reason: 'committed-before-first-sync' });
    expect(translateByCheckpoint({ committed: 20, syncs: [{ upstreamOffset: 10, downstreamOffset: 0 }] })).toMatchObject({ ok: false, reason: 'no-checkpoint' });
    expect(translateByCheckpoint({ committed: 120, checkpoint: cp() })).toMatchObject({ ok: false, reason: 'checkpoint-behind-commit' });
    expect(translateByCheckpoint({ committed: 60, checkpoint: cp() })).toMatchObject({ ok: false, reason: 'checkpoint-ahead-of-commit' });
    expect(translateByCheckpoint({ committed: 100, checkpoint: cp(), targetEnd: 80 })).toMatchObject({ ok: false, reason: 'beyond-replicated-data', targetOffset: 90 });
  });

  it('names the checkpoint it declined, so the report can show how old it is', () => {
    expect(translateByCheckpoint({ committed: 120, checkpoint: cp() })).toStrictEqual({ ok: false, reason: 'checkpoint-behind-commit', checkpoint: cp() });
    expect(translateByCheckpoint({ committed: 60, checkpoint: cp() })).toStrictEqual({ ok: false, reason: 'checkpoint-ahead-of-commit', checkpoint: cp() });
    expect(translateByCheckpoint({ committed: 100, checkpoint: cp(), targetEnd: 89 })).toStrictEqual({
      ok: false,
      reason: 'beyond-replicated-data',
      checkpoint: cp(),
      targetOffset: 90,
    });
  });

  it('a checkpoint at exactly the target end is within the replicated data; an unknown end bounds nothing', () => {
    expect(translateByCheckpoint({ committed: 100, checkpoint: cp(), targetEnd: 90 })).toStrictEqual({ ok: true, targetOffset: 90, checkpoint: cp(), commitUnknown: false });
    expect(translateByCheckpoint({ committed: 100, checkpoint: cp() })).toMatchObject({ ok: true, targetOffset: 90 });
  });

  it('without a checkpoint, refines the reason only from syncs that were read and a commit that is known', () => {
    const syncs = [{ upstreamOffset: 10, downstreamOffset: 0 }];
    // null: the offset syncs topic was not read
    expect(translateByCheckpoint({ committed: 5, syncs: null })).toStrictEqual({ ok: false, reason: 'no-checkpoint' });
    expect(translateByCheckpoint({ syncs })).toStrictEqual({ ok: false, reason: 'no-checkpoint' });
    // A commit exactly at the first sync translates (to offset 0): MM2 simply has not checkpointed it yet.
    expect(translateByCheckpoint({ committed: 10, syncs })).toStrictEqual({ ok: false, reason: 'no-checkpoint' });
    expect(translateByCheckpoint({ committed: 9, syncs })).toStrictEqual({ ok: false, reason: 'committed-before-first-sync' });
  });

  it('takes the checkpoint as it is when the commit cannot be read', () => {
    expect(translateByCheckpoint({ checkpoint: cp(), targetEnd: 95 })).toMatchObject({ ok: true, targetOffset: 90, commitUnknown: true });
  });
});

describe('positions from offset syncs', () => {
  const syncs: Sync[] = [{ upstreamOffset: 100, downstreamOffset: 40 }];

  it('synced position: the newest sync proves its upstream offset and nothing after it', () => {
    const newest = { ok: true as const, sync: syncs[0]!, at: 3 };
    expect(syncedPosition(newest, 101, 41)).toEqual({ ok: true, sync: syncs[0], replicated: 101 });
    // However long the copy: after a restart it holds duplicates, which u + (targetEnd - d) would count.
    expect(syncedPosition(newest, 150, 90)).toEqual({ ok: true, sync: syncs[0], replicated: 101 });
  });

  it('synced position: no proof without a sync, from an undecodable one, or when either log ends at or before it', () => {
    expect(syncedPosition(undefined, 10, 10)).toEqual({ ok: false, gap: 'no-offset-sync', detail: 'no offset sync for the partition' });
    expect(syncedPosition({ ok: false, error: 'short value', at: 9 }, 10, 10)).toEqual({ ok: false, gap: 'undecodable-sync', detail: expect.stringContaining('(offset 9 of the offset-syncs topic) cannot be decoded: short value') });
    const newest = { ok: true as const, sync: syncs[0]!, at: 3 };
    expect(syncedPosition(newest, 150, 40)).toMatchObject({ ok: false, gap: 'target-before-sync', detail: 'the copy ends at 40, before the record 40 of the newest offset sync (100 -> 40): it was truncated or recreated' });
    expect(syncedPosition(newest, 100, 45)).toMatchObject({ ok: false, gap: 'source-before-sync', detail: 'the source ends at 100, before the record 100 of the newest offset sync (100 -> 40): it was truncated or recreated' });
  });

  it('estimated target position of a commit, capped at the end', () => {
    expect(estimatedTargetPosition(syncs, 103, 50)).toBe(43);
    expect(estimatedTargetPosition(syncs, 200, 50)).toBe(50);
    expect(estimatedTargetPosition(syncs, 99, 50)).toBeUndefined();
  });

  it('estimated target position: a commit at a sync is that sync\'s downstream offset; the newest usable sync wins', () => {
    expect(estimatedTargetPosition(syncs, 100, 50)).toBe(40);
    expect(estimatedTargetPosition([{ upstreamOffset: 100, downstreamOffset: 40 }, { upstreamOffset: 110, downstreamOffset: 45 }], 112, 50)).toBe(47);
    expect(estimatedTargetPosition(undefined, 100, 50)).toBeUndefined();
    expect(estimatedTargetPosition(null, 100, 50)).toBeUndefined();
  });
});

describe('reading MM2\'s topics', () => {
  const raw = (r: { key: Buffer; value: Buffer }, timestamp = 0) => ({ ...r, timestamp });

  it('turns decoded checkpoints into plain numbers with the time MM2 wrote them', () => {
    const c = { group: 'billing', topic: 'east.orders', partition: 2, upstreamOffset: 100n, downstreamOffset: 90n, metadata: 'm' };
    expect(checkpointRecord(c, 1234)).toStrictEqual({ group: 'billing', topic: 'east.orders', partition: 2, upstreamOffset: 100, downstreamOffset: 90, metadata: 'm', writtenAt: 1234 });
    expect(() => checkpointRecord({ ...c, downstreamOffset: -(2n ** 60n) }, 0)).toThrow(/offset -1152921504606846976 is beyond what failover handles exactly/);
  });

  it('keeps the checkpoints in log order and counts the records that are not checkpoints', () => {
    const a = { group: 'billing', topic: 'east.orders', partition: 0, upstreamOffset: 10n, downstreamOffset: 9n, metadata: '' };
    const got = checkpointsFrom([
      raw(encodeCheckpoint(a), 1000),
      { key: Buffer.from('junk'), value: null, timestamp: 1500 },
      raw(encodeCheckpoint({ ...a, upstreamOffset: 20n, downstreamOffset: 19n }), 2000),
    ]);
    expect(got.undecodable).toBe(1);
    expect(got.records.map((r) => [r.upstreamOffset, r.downstreamOffset, r.writtenAt])).toEqual([
      [10, 9, 1000],
      [20, 19, 2000],
    ]);
    expect(checkpointsFrom([])).toStrictEqual({ records: [], undecodable: 0 });
  });

  it('indexes the offset syncs and counts the records that are not syncs', () => {
    const got = offsetSyncsFrom([
      encodeOffsetSync({ topic: 'orders', partition: 0, upstreamOffset: 10n, downstreamOffset: 8n }),
      { key: null, value: null },
      { key: Buffer.alloc(0), value: Buffer.alloc(3) },
      encodeOffsetSync({ topic: 'orders', partition: 0, upstreamOffset: 20n, downstreamOffset: 17n }),
    ]);
    expect(got.undecodable).toBe(2);
    expect(got.syncs).toStrictEqual(new Map([[tpKey('orders', 0), [{ upstreamOffset: 10, downstreamOffset: 8 }, { upstreamOffset: 20, downstreamOffset: 17 }]]]));
  });

  it('reads the newest records of a long offset-syncs partition, and says when older ones are left', () => {
    expect(newestWindow({ earliest: 0, latest: 250 }, 100)).toStrictEqual({ from: 150, truncated: true });
    expect(newestWindow({ earliest: 200, latest: 250 }, 100)).toStrictEqual({ from: 200, truncated: false });
    expect(newestWindow({ earliest: 150, latest: 250 }, 100)).toStrictEqual({ from: 150, truncated: false });
  });

  it('a missing topic is reported as missing, without reading anything', async () => {
    const unused = new Proxy({}, { get: () => { throw new Error('the connection was used'); } }) as KafkaConnection;
    expect(await loadCheckpoints(unused, 'east.checkpoints.internal', false)).toStrictEqual({ topic: 'east.checkpoints.internal', exists: false, records: [], undecodable: 0 });
    expect(await loadOffsetSyncs(unused, 'mm2-offset-syncs.west.internal', false)).toStrictEqual({
      topic: 'mm2-offset-syncs.west.internal',
      exists: false,
      syncs: new Map(),
      newest: emptyNewestSyncs(),
      read: 0,
      truncated: false,
      undecodable: 0,
    });
  });
});

describe('newest offset sync per partition', () => {
  const rec = (offset: number, topic: string, partition: number, u: number, d: number) => ({ offset, ...encodeOffsetSync({ topic, partition, upstreamOffset: BigInt(u), downstreamOffset: BigInt(d) }) });

  it('keeps the newest in log order, a rewind included', () => {
    const n = emptyNewestSyncs();
    foldNewestSyncs(n, [rec(0, 'orders', 0, 10, 10), rec(1, 'orders', 1, 5, 5), rec(2, 'orders', 0, 20, 21)]);
    foldNewestSyncs(n, [rec(3, 'orders', 0, 4, 30)]);
    expect(newestSyncOf(n, 'orders', 0)).toEqual({ ok: true, sync: { upstreamOffset: 4, downstreamOffset: 30 }, at: 3 });
    expect(newestSyncOf(n, 'orders', 1)).toEqual({ ok: true, sync: { upstreamOffset: 5, downstreamOffset: 5 }, at: 1 });
    expect(newestSyncOf(n, 'orders', 2)).toBeUndefined();
    expect(n.undecodableKeyAt).toBe(-1);
  });

  it('a record whose value cannot be decoded is its partition\'s newest, as an error, until a valid one follows', () => {
    const n = emptyNewestSyncs();
    const good = rec(0, 'orders', 0, 10, 10);
    foldNewestSyncs(n, [good, { offset: 1, key: good.key, value: Buffer.from([1, 2, 3]) }]);
    expect(newestSyncOf(n, 'orders', 0)).toEqual({ ok: false, error: expect.stringMatching(/cannot decode MirrorMaker 2 offset sync value/), at: 1 });
    foldNewestSyncs(n, [rec(2, 'orders', 0, 11, 11)]);
    expect(newestSyncOf(n, 'orders', 0)).toMatchObject({ ok: true, at: 2 });
  });

  it('a record whose key cannot be decoded puts in doubt every partition whose newest sync is older', () => {
    const n = emptyNewestSyncs();
    foldNewestSyncs(n, [rec(0, 'orders', 0, 10, 10), { offset: 1, key: Buffer.from([0, 9]), value: null }, rec(2, 'orders', 1, 3, 3)]);
    foldNewestSyncs(n, [{ offset: 3, key: null, value: null }]);
    expect(n.undecodableKeyAt).toBe(3);
    expect(newestSyncOf(n, 'orders', 0)).toEqual({ ok: false, error: expect.stringContaining('the record at offset 3 has a key that cannot be decoded'), at: 3 });
    expect(newestSyncOf(n, 'orders', 1)).toMatchObject({ ok: false, at: 3 });
    expect(newestSyncOf(n, 'orders', 7)).toMatchObject({ ok: false, at: 3 });
    foldNewestSyncs(n, [rec(4, 'orders', 1, 4, 4)]);
    expect(newestSyncOf(n, 'orders', 1)).toMatchObject({ ok: true, at: 4 });
    expect(newestSyncOf(n, 'orders', 0)).toMatchObject({ ok: false });
  });

  it('an undecodable key at offset 0 puts every partition in doubt until its own sync comes', () => {
    const n = emptyNewestSyncs();
    foldNewestSyncs(n, [{ offset: 0, key: null, value: null }]);
    expect(newestSyncOf(n, 'orders', 0)).toEqual({ ok: false, error: expect.stringContaining('offset 0 has a key that cannot be decoded'), at: 0 });
    foldNewestSyncs(n, [rec(1, 'orders', 0, 4, 4)]);
    expect(newestSyncOf(n, 'orders', 0)).toMatchObject({ ok: true, at: 1 });
  });
});
