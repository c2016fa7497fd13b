import { describe, expect, it } from 'vitest';
import {
  checkpointOf,
  estimatedTargetPosition,
  indexCheckpoints,
  indexOffsetSyncs,
  replicatedUpstreamPosition,
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

  it('takes the checkpoint as it is when the commit cannot be read', () => {
    expect(translateByCheckpoint({ checkpoint: cp(), targetEnd: 95 })).toMatchObject({ ok: true, targetOffset: 90, commitUnknown: true });
  });
});

describe('positions from offset syncs', () => {
  const syncs: Sync[] = [{ upstreamOffset: 100, downstreamOffset: 40 }];

  it('replicated upstream position: the newest sync plus what the target holds after it', () => {
    expect(replicatedUpstreamPosition(syncs, 41)).toBe(101);
    expect(replicatedUpstreamPosition(syncs, 45)).toBe(105);
    expect(replicatedUpstreamPosition(syncs, 40)).toBeUndefined();
    expect(replicatedUpstreamPosition(undefined, 45)).toBeUndefined();
  });

  it('estimated target position of a commit, capped at the end', () => {
    expect(estimatedTargetPosition(syncs, 103, 50)).toBe(43);
    expect(estimatedTargetPosition(syncs, 200, 50)).toBe(50);
    expect(estimatedTargetPosition(syncs, 99, 50)).toBeUndefined();
  });
});
