import { describe, expect, it } from 'vitest';
import { offsetsGate } from '../../../src/gates/offsets.js';
import { tpKey } from '../../../src/kafka/metadata.js';
import type { Evidence } from '../../../src/gates/types.js';
import type { ClusterSnapshot } from '../../../src/kafka/snapshot.js';
import { NOW, checkpoints, contextOf, fakeProbes, offsetSyncs, runbookOf, snapshot, unreachable } from './fakeContext.js';

const byCheck = (ev: Evidence[]): Record<string, Evidence> => Object.fromEntries(ev.map((e) => [e.check, e]));

function healthy() {
  const primary = snapshot('east', {
    parts: [{ topic: 'orders', partitions: [{ earliest: 0, latest: 100 }, { earliest: 0, latest: 50 }] }],
    offsetSyncs: offsetSyncs({ 'orders:0': [{ upstreamOffset: 99, downstreamOffset: 99 }], 'orders:1': [{ upstreamOffset: 49, downstreamOffset: 49 }] }),
    offsets: { ok: true, value: new Map([['billing', { group: 'billing', offsets: [{ topic: 'orders', partition: 0, offset: 100, metadata: null }, { topic: 'orders', partition: 1, offset: 50, metadata: null }] }]]) },
  });
  const secondary = snapshot('west', {
    parts: [{ topic: 'east.orders', partitions: [{ earliest: 0, latest: 100 }, { earliest: 0, latest: 50 }] }],
    checkpoints: checkpoints([
      { group: 'billing', topic: 'east.orders', partition: 0, upstreamOffset: 100, downstreamOffset: 100, metadata: '', writtenAt: NOW - 2000 },
      { group: 'billing', topic: 'east.orders', partition: 1, upstreamOffset: 50, downstreamOffset: 50, metadata: '', writtenAt: NOW - 2000 },
    ]),
    newest: { ok: true, value: new Map([[tpKey('east.orders', 0), { offset: 99, timestamp: NOW - 1500, bytes: 10 }], [tpKey('east.orders', 1), { offset: 49, timestamp: NOW - 4000, bytes: 10 }]]) },
    groups: { ok: true, value: new Map([['billing', { group: 'billing', state: 'Empty', protocolType: 'consumer', members: [] }]]) },
  });
  return { primary, secondary };
}

describe('offsets gate over in-memory snapshots', () => {
  it('every check passes when lag is nil and checkpoints translate the commits', async () => {
    const ev = await offsetsGate(contextOf(healthy()));
    expect(ev.map((e) => [e.check, e.status])).toEqual([
      ['offsets.lag', 'pass'],
      ['offsets.rpo', 'pass'],
      ['offsets.translation', 'pass'],
      ['offsets.checkpoint-freshness', 'pass'],
      ['offsets.replay', 'pass'],
      ['offsets.beyond-end', 'pass'],
      ['offsets.active-members', 'pass'],
    ]);
  });

  it('fails lag over the bound, with records and seconds per partition', async () => {
    const { primary, secondary } = healthy();
    primary.ends = { ok: true, value: new Map([['orders', [{ partition: 0, earliest: 0, latest: 2100 }, { partition: 1, earliest: 0, latest: 50 }]]]) };
    const probes = fakeProbes({ recordsAt: async () => new Map([[tpKey('orders', 0), { offset: 100, timestamp: NOW - 42_000, bytes: 10 }]]) });
    const ev = byCheck(await offsetsGate(contextOf({ primary, secondary, probes })));
    expect(ev['offsets.lag']).toMatchObject({ status: 'fail' });
    expect(ev['offsets.lag']!.finding).toMatch(/orders-0 lags 2000 records \/ 42\.0 s/);
  });

  it('names the group and the member when a workload group is active on the secondary', async () => {
    const { primary, secondary } = healthy();
    secondary.groups = { ok: true, value: new Map([['billing', { group: 'billing', state: 'Stable', protocolType: 'consumer', members: [{ memberId: 'billing-1-abc', clientId: 'billing-1', clientHost: '/10.1.2.3' }] }]]) };
    const ev = byCheck(await offsetsGate(contextOf({ primary, secondary })));
    expect(ev['offsets.active-members']).toMatchObject({ status: 'fail' });
    expect(ev['offsets.active-members']!.finding).toMatch(/billing \(Stable\) has 1 member on west: billing-1-abc \(client billing-1 from \/10\.1\.2\.3\)/);
  });

  it('names the protocol of an active group, and keeps it in the evidence data', async () => {
    const { primary, secondary } = healthy();
    const member = { memberId: 'Xq9-consumer', clientId: 'billing-2', clientHost: '/10.1.2.4' };
    secondary.groups = { ok: true, value: new Map([['billing', { group: 'billing', state: 'Reconciling', protocolType: 'consumer', groupType: 'consumer', members: [member] }]]) };
    const ev = byCheck(await offsetsGate(contextOf({ primary, secondary })));
    expect(ev['offsets.active-members']).toMatchObject({ status: 'fail' });
    expect(ev['offsets.active-members']!.finding).toMatch(/billing \(Reconciling, consumer protocol\) has 1 member on west: Xq9-consumer \(client billing-2 from \/10\.1\.2\.4\)/);
    expect(ev['offsets.active-members']!.data).toEqual([{ group: 'billing', state: 'Reconciling', groupType: 'consumer', members: [member] }]);
  });

  it('fails a workload group of a kind whose members failover cannot see (a streams group)', async () => {
    const { primary, secondary } = healthy();
    secondary.groups = { ok: true, value: new Map([['billing', { group: 'billing', state: 'Dead', protocolType: '', groupType: 'streams', members: [] }]]) };
    const ev = byCheck(await offsetsGate(contextOf({ primary, secondary })));
    expect(ev['offsets.active-members']).toMatchObject({ status: 'fail' });
    expect(ev['offsets.active-members']!.finding).toBe('billing is a streams group on west: failover cannot see its members');
  });

  it('passes an empty group of either protocol', async () => {
    for (const groupType of ['classic', 'consumer']) {
      const { primary, secondary } = healthy();
      secondary.groups = { ok: true, value: new Map([['billing', { group: 'billing', state: 'Empty', protocolType: 'consumer', groupType, members: [] }]]) };
      const ev = byCheck(await offsetsGate(contextOf({ primary, secondary })));
      expect(ev['offsets.active-members']).toMatchObject({ status: 'pass' });
    }
  });

  it('fails a translation beyond the replicated data', async () => {
    const { primary, secondary } = healthy();
    secondary.ends = { ok: true, value: new Map([['east.orders', [{ partition: 0, earliest: 0, latest: 80 }, { partition: 1, earliest: 0, latest: 50 }]]]) };
    const ev = byCheck(await offsetsGate(contextOf({ primary, secondary })));
    expect(ev['offsets.beyond-end']).toMatchObject({ status: 'fail' });
    expect(ev['offsets.beyond-end']!.finding).toMatch(/billing east\.orders-0 at 100/);
  });

  it('with the primary down, evaluates what the secondary holds and reports the RPO bound', async () => {
    const { secondary } = healthy();
    const ev = byCheck(await offsetsGate(contextOf({ primary: unreachable('east'), secondary })));
    expect(ev['offsets.lag']).toMatchObject({ status: 'skip' });
    expect(ev['offsets.lag']!.finding).toMatch(/primary east unreachable/);
    expect(ev['offsets.rpo']).toMatchObject({ status: 'warn', blocking: false });
    expect(ev['offsets.rpo']!.finding).toMatch(/switching now loses at most 4\.0 s of events/);
    expect(ev['offsets.translation']).toMatchObject({ status: 'warn' });
    expect(ev['offsets.translation']!.finding).toMatch(/2 checkpointed partitions usable on west/);
    expect(ev['offsets.active-members']).toMatchObject({ status: 'pass' });
  });

  it('falls back to timestamps when MM2 has no checkpoint, and says so', async () => {
    const { primary, secondary } = healthy();
    secondary.checkpoints = checkpoints([]);
    const probes = fakeProbes({
      recordsAt: async (_side, wanted) => new Map(wanted.map((w) => [tpKey(w.topic, w.partition), { offset: w.offset, timestamp: NOW - 10_000 + w.partition, bytes: 1 }])),
      offsetsForTimes: async (_side, qs) => new Map(qs.map((q) => [tpKey(q.topic, q.partition), { topic: q.topic, partition: q.partition, offset: q.partition === 0 ? 99 : 49, timestamp: q.timestamp }])),
    });
    const ev = byCheck(await offsetsGate(contextOf({ primary, secondary, probes })));
    expect(ev['offsets.translation']).toMatchObject({ status: 'warn' });
    expect(ev['offsets.translation']!.finding).toMatch(/2 partitions translated by timestamp only/);
  });
});

describe('offsets.lag through the link mapping', () => {
  type Row = { partition: number; lagRecords?: number; lagSeconds?: number; unknown?: { kind: string; reason: string }; secondsUnknown?: { kind: string; reason: string } };
  const rowsOf = (e: Evidence) => (e.data as { partitions: Row[] }).partitions;
  const at = (offset: number, ageMs: number) => ({ offset, timestamp: NOW - ageMs, bytes: 10 });

  it('a copy longer than its source (MM2 replayed after a restart) does not hide 50 records only on the primary', async () => {
    const { primary, secondary } = healthy();
    primary.ends = { ok: true, value: new Map([['orders', [{ partition: 0, earliest: 0, latest: 150 }, { partition: 1, earliest: 0, latest: 50 }]]]) };
    primary.offsetSyncs = offsetSyncs({ 'orders:0': [{ upstreamOffset: 99, downstreamOffset: 120 }], 'orders:1': [{ upstreamOffset: 49, downstreamOffset: 49 }] });
    secondary.ends = { ok: true, value: new Map([['east.orders', [{ partition: 0, earliest: 0, latest: 200 }, { partition: 1, earliest: 0, latest: 50 }]]]) };
    const asked: number[] = [];
    const probes = fakeProbes({ recordsAt: async (_s, wanted) => new Map(wanted.map((w) => (asked.push(w.offset), [tpKey(w.topic, w.partition), at(w.offset, 3000)]))) });
    const runbook = runbookOf({ gates: { offsets: { maxLagRecords: 10 } } });
    const ev = byCheck(await offsetsGate(contextOf({ runbook, primary, secondary, probes })));
    expect(asked).toEqual([100]);
    expect(ev['offsets.lag']).toMatchObject({ status: 'fail', finding: 'replication lag over bound (10 records, 30 s): orders-0 lags 50 records / 3.0 s' });
    expect(rowsOf(ev['offsets.lag']!)).toMatchObject([{ partition: 0, lagRecords: 50, lagSeconds: 3 }, { partition: 1, lagRecords: 0, lagSeconds: 0 }]);
  });

  it('a partition with data and no offset sync is unknown, never 0, and fails the check; an empty one lags 0', async () => {
    const { primary, secondary } = healthy();
    primary.ends = { ok: true, value: new Map([['orders', [{ partition: 0, earliest: 0, latest: 100 }, { partition: 1, earliest: 0, latest: 50 }, { partition: 2, earliest: 7, latest: 7 }]]]) };
    primary.offsetSyncs = offsetSyncs({ 'orders:0': [{ upstreamOffset: 99, downstreamOffset: 99 }] });
    secondary.ends = { ok: true, value: new Map([['east.orders', [{ partition: 0, earliest: 0, latest: 100 }, { partition: 1, earliest: 0, latest: 80 }, { partition: 2, earliest: 0, latest: 3 }]]]) };
    const ev = byCheck(await offsetsGate(contextOf({ primary, secondary })));
    expect(ev['offsets.lag']).toMatchObject({ status: 'fail', finding: 'lag unknown for 1 partition: orders-1 (no offset sync for the partition)' });
    expect(rowsOf(ev['offsets.lag']!)).toEqual([
      expect.objectContaining({ partition: 0, lagRecords: 0, lagSeconds: 0 }),
      { primaryTopic: 'orders', secondaryTopic: 'east.orders', partition: 1, primaryEnd: 50, secondaryEnd: 80, unknown: { kind: 'no-mapping', reason: 'no offset sync for the partition' }, method: 'offset-syncs' },
      expect.objectContaining({ partition: 2, lagRecords: 0, lagSeconds: 0 }),
    ]);
  });

  it('says why syncs cannot be had: unreadable, missing topic, or none among the newest records read', async () => {
    const judge = async (offsetSyncsFact: ClusterSnapshot['offsetSyncs']) => {
      const { primary, secondary } = healthy();
      primary.offsetSyncs = offsetSyncsFact;
      return byCheck(await offsetsGate(contextOf({ primary, secondary })))['offsets.lag']!;
    };
    const loaded = (entries: Record<string, { upstreamOffset: number; downstreamOffset: number }[]>) => {
      const f = offsetSyncs(entries);
      if (!f?.ok) throw new Error('offsetSyncs() gives a loaded fact');
      return f.value;
    };
    // Whether the cluster answered is decided when the fact fails (snapshot.ts), from the error, not from these words.
    const unreadable = await judge({ ok: false, error: 'east: fetch mm2-offset-syncs.west.internal-0: no answer within 5 s', noAnswer: true });
    expect(unreadable.status).toBe('fail');
    expect(rowsOf(unreadable)[0]!.unknown).toEqual({ kind: 'source-unreachable', reason: 'the offset syncs on east cannot be read: east: fetch mm2-offset-syncs.west.internal-0: no answer within 5 s' });
    const broken = await judge({ ok: false, error: 'not authorized', kafkaErrors: ['TOPIC_AUTHORIZATION_FAILED'] });
    expect(rowsOf(broken)[0]!.unknown!.kind).toBe('read-error');
    expect(rowsOf(await judge({ ok: false, error: 'east: fetch: no answer within 5 s' }))[0]!.unknown!.kind).toBe('read-error');
    expect(rowsOf(broken)[0]!.unknown!.kind).toBe('read-error');
    const missing = await judge({ ok: true, value: { ...loaded({}), exists: false } });
    expect(rowsOf(missing)[0]!.unknown).toMatchObject({ kind: 'no-mapping', reason: expect.stringMatching(/^the offset-syncs topic mm2-offset-syncs\.west\.internal does not exist on east/) });
    const truncated = await judge({ ok: true, value: { ...loaded({ 'orders:1': [{ upstreamOffset: 49, downstreamOffset: 49 }] }), read: 100_000, truncated: true } });
    expect(rowsOf(truncated)[0]!.unknown).toEqual({ kind: 'no-mapping', reason: 'no offset sync for the partition among the newest 100000 records of mm2-offset-syncs.west.internal' });
    expect(rowsOf(truncated)[1]).toMatchObject({ lagRecords: 0 });
    expect(await judge(undefined)).toMatchObject({ status: 'fail', finding: expect.stringContaining('the offset syncs on east were not read') });
  });

  it('a transaction marker after the last synced record is not lag; a tail that cannot be read leaves its age unknown (a warning)', async () => {
    const { primary, secondary } = healthy();
    // orders-0: 99 records copied and synced, then a commit marker at 99... the end is 101.
    primary.ends = { ok: true, value: new Map([['orders', [{ partition: 0, earliest: 0, latest: 101 }, { partition: 1, earliest: 0, latest: 50 }]]]) };
    primary.offsetSyncs = offsetSyncs({ 'orders:0': [{ upstreamOffset: 99, downstreamOffset: 99 }], 'orders:1': [{ upstreamOffset: 49, downstreamOffset: 49 }] });
    const markersOnly = fakeProbes({ recordsAt: async () => new Map([[tpKey('orders', 0), at(101, 10)]]) });
    const passed = byCheck(await offsetsGate(contextOf({ primary, secondary, probes: markersOnly })))['offsets.lag']!;
    expect(passed).toMatchObject({ status: 'pass', finding: 'lag within bound on 2 partitions: at most 0 records, 0.0 s' });
    // The read_committed read found nothing committed before the visible end (markers, aborted records, an open transaction).
    const nothing = fakeProbes({ recordsAt: async () => new Map([[tpKey('orders', 0), { nothing: true as const, visibleEnd: 101 }]]) });
    const none = byCheck(await offsetsGate(contextOf({ primary, secondary, probes: nothing })))['offsets.lag']!;
    expect(none).toMatchObject({ status: 'pass', finding: 'lag within bound on 2 partitions: at most 0 records, 0.0 s' });
    expect(rowsOf(none)[0]).toMatchObject({ lagRecords: 0, lagSeconds: 0 });
    const noAnswer = byCheck(await offsetsGate(contextOf({ primary, secondary, probes: fakeProbes({ recordsAt: async () => new Map() }) })))['offsets.lag']!;
    expect(noAnswer).toMatchObject({ status: 'warn', finding: expect.stringMatching(/^lag within 1000 records on 2 partitions \(at most 1\), but the age of the unreplicated records is unknown for orders-0 \(the read of east from offset 100 of orders-0 did not reach a committed record or the partition.s end/) });
    expect(rowsOf(noAnswer)[0]).toMatchObject({ lagRecords: 1, secondsUnknown: { kind: 'read-error' } });
    expect(rowsOf(noAnswer)[0]!.lagSeconds).toBeUndefined();
    const failing = fakeProbes({ recordsAt: async () => Promise.reject(new Error('east: fetch: no answer within 5 s')) });
    const errored = byCheck(await offsetsGate(contextOf({ primary, secondary, probes: failing })))['offsets.lag']!;
    expect(errored).toMatchObject({ status: 'warn', finding: expect.stringContaining('orders-0 (reading east from offset 100: east: fetch: no answer within 5 s)') });
  });

  it('a count over the bound fails even when its age cannot be read', async () => {
    const { primary, secondary } = healthy();
    primary.ends = { ok: true, value: new Map([['orders', [{ partition: 0, earliest: 0, latest: 5000 }, { partition: 1, earliest: 0, latest: 50 }]]]) };
    const ev = byCheck(await offsetsGate(contextOf({ primary, secondary, probes: fakeProbes({ recordsAt: async () => Promise.reject(new Error('boom')) }) })));
    expect(ev['offsets.lag']).toMatchObject({ status: 'fail', finding: 'replication lag over bound (1000 records, 30 s): orders-0 lags 4900 records' });
  });

  it('keeps why nothing was measured: the primary unreachable (skip), the secondary or an end-offset read (fail)', async () => {
    const { primary, secondary } = healthy();
    const down = byCheck(await offsetsGate(contextOf({ primary: unreachable('east'), secondary })))['offsets.lag']!;
    expect(down).toMatchObject({ status: 'skip', data: { unknown: { kind: 'source-unreachable', reason: expect.stringMatching(/^primary east unreachable/) } } });
    const westDown = byCheck(await offsetsGate(contextOf({ primary, secondary: unreachable('west') })))['offsets.lag']!;
    expect(westDown).toMatchObject({ status: 'fail', data: { unknown: { kind: 'target-unreachable' } } });
    const noEnds = healthy();
    noEnds.secondary.ends = { ok: false, error: 'west: latest offsets: no answer within 5 s', noAnswer: true };
    expect(byCheck(await offsetsGate(contextOf(noEnds)))['offsets.lag']).toMatchObject({ status: 'fail', data: { unknown: { kind: 'target-unreachable', reason: 'end offsets on west: west: latest offsets: no answer within 5 s' } } });
    const badEnds = healthy();
    badEnds.primary.ends = { ok: false, error: 'not authorized' };
    expect(byCheck(await offsetsGate(contextOf(badEnds)))['offsets.lag']).toMatchObject({ status: 'fail', data: { unknown: { kind: 'read-error' } } });
  });

  it('an offset-preserving link compares identical offsets; a copy past its source is unknown', async () => {
    const runbook = runbookOf({ link: { kind: 'offset-preserving', naming: 'identical' } });
    const primary = snapshot('east', { parts: [{ topic: 'orders', partitions: [{ earliest: 0, latest: 100 }, { earliest: 0, latest: 50 }] }] });
    const secondary = snapshot('west', { parts: [{ topic: 'orders', partitions: [{ earliest: 0, latest: 90 }, { earliest: 0, latest: 51 }] }] });
    const probes = fakeProbes({ recordsAt: async (_s, wanted) => new Map(wanted.map((w) => [tpKey(w.topic, w.partition), at(w.offset, 1000)])) });
    const e = byCheck(await offsetsGate(contextOf({ runbook, primary, secondary, probes })))['offsets.lag']!;
    expect(e.status).toBe('fail');
    expect(rowsOf(e)).toMatchObject([
      { partition: 0, lagRecords: 10, lagSeconds: 1, method: 'identical-offsets' },
      { partition: 1, unknown: { kind: 'no-mapping', reason: expect.stringContaining("the copy ends at 51, after the source's end 50") } },
    ]);
  });

  it('a timestamp fallback that fails keeps the translation failing, and says why', async () => {
    const { primary, secondary } = healthy();
    secondary.checkpoints = checkpoints([]);
    const probes = fakeProbes({ recordsAt: async () => Promise.reject(new Error('east: fetch: no answer within 5 s')) });
    const e = byCheck(await offsetsGate(contextOf({ primary, secondary, probes })))['offsets.translation']!;
    expect(e.status).toBe('fail');
    const notes = (e.data as { translations: { note?: string }[] }).translations.map((t) => t.note);
    expect(notes).toEqual([expect.stringMatching(/the timestamp fallback could not run: east: fetch: no answer within 5 s$/), expect.stringMatching(/could not run/)]);
  });
});
