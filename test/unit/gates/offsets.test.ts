import { describe, expect, it } from 'vitest';
import { offsetsGate } from '../../../src/gates/offsets.js';
import { tpKey } from '../../../src/kafka/rawProtocol.js';
import type { Evidence } from '../../../src/gates/types.js';
import { NOW, checkpoints, contextOf, fakeProbes, offsetSyncs, snapshot, unreachable } from './fakeContext.js';

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
