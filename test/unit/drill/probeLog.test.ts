import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { measure } from '../../../src/drill/measure.js';
import { ProbeLog, epochNow } from '../../../src/drill/probeLog.js';

/** A log whose clock reads `clock.now`, started at t0 = 1000. */
function clockedLog() {
  const clock = { now: 1000 };
  return { clock, log: new ProbeLog(() => clock.now, () => Date.UTC(2026, 0, 1), 1000) };
}

describe('probe log', () => {
  it('times events from the probe start, and maps the start to wall-clock time', () => {
    const clock = { now: 1500 };
    const started = new ProbeLog(() => clock.now, () => 99);
    expect(started.t0Wall).toBe(99);
    expect(started.time()).toBe(0);
    clock.now = 1750;
    expect(started.time()).toBe(250);

    const before = Date.now();
    const onWallClock = new ProbeLog(() => 0);
    expect(onWallClock.t0Wall).toBeGreaterThanOrEqual(before);
    expect(onWallClock.t0Wall).toBeLessThanOrEqual(Date.now());

    // A worker's log starts at the drill's t0 (high-resolution epoch ms), rounded for the wall clock.
    const worker = new ProbeLog(() => clock.now, () => 99, 1000.4);
    expect(worker.t0Wall).toBe(1000);
    expect(worker.time()).toBeCloseTo(749.6, 9);
  });

  it('the default clock is epoch milliseconds, so a worker thread and the drill agree on "when"', () => {
    expect(performance.now()).toBeGreaterThan(100);
    expect(Math.abs(epochNow() - Date.now())).toBeLessThan(100);
  });

  it('records an event with its time when no time is given', () => {
    const { clock, log } = clockedLog();
    clock.now = 1010;
    const i = log.newEvent(3, 7);
    log.sent(i, 'east');
    clock.now = 1030;
    log.acked(i, 'east', 2, 41);
    expect([log.key[i], log.seq[i], log.sentAt[i], log.ackAt[i], log.ackPartition[i], log.ackOffset[i]]).toEqual([3, 7, 10, 30, 2, 41]);
    clock.now = 1040;
    log.received(i, 'west', true, 1, 9);
    expect([log.rAt[0], log.rEvent[0], log.clusterName(log.rCluster[0]!), log.rRemote[0], log.rPartition[0], log.rOffset[0]]).toEqual([40, i, 'west', 1, 1, 9]);
    const j = log.newEvent(0, 0);
    clock.now = 1050;
    log.failed(j, 'fenced');
    expect([log.errorAt[j], log.errorKind[j], log.isAcked(j), log.isAcked(i)]).toEqual([50, 3, false, true]);
  });

  it('names clusters by their first appearance, and knows no cluster for an event never sent', () => {
    const { log } = clockedLog();
    expect([log.clusterIndex('east'), log.clusterIndex('west'), log.clusterIndex('east')]).toEqual([0, 1, 0]);
    expect(log.clusterName(1)).toBe('west');
    expect(log.clusterName(-1)).toBeUndefined();
    expect(log.sentTo[log.newEvent(0, 0, 0)]).toBe(-1);
  });

  it('keeps every event and receipt past its initial capacity', () => {
    const { log } = clockedLog();
    const n = 3000;
    for (let i = 0; i < n; i++) {
      log.newEvent(i % 7, i, i);
      log.sent(i, 'east');
      log.acked(i, 'east', 0, i, i + 0.5);
      log.received(i, 'east', false, 0, i, i + 1);
    }
    expect(log.count).toBe(n);
    expect(log.receipts).toBe(n);
    for (const i of [0, 1023, 1024, 2047, 2048, n - 1]) {
      expect([log.key[i], log.seq[i], log.sentAt[i], log.sentTo[i], log.ackAt[i], log.ackCluster[i], log.ackPartition[i], log.ackOffset[i]]).toEqual([i % 7, i, i, 0, i + 0.5, 0, 0, i]);
      expect(Number.isNaN(log.errorAt[i]!)).toBe(true);
      expect(log.errorKind[i]).toBe(0);
      expect([log.rAt[i], log.rEvent[i], log.rCluster[i], log.rRemote[i], log.rPartition[i], log.rOffset[i]]).toEqual([i + 1, i, 0, 0, 0, i]);
    }
    const m = measure({ log, reads: [], endAt: n + 0.5 });
    expect(m.received.distinct).toBe(n);
    expect(m.writeDowntimeMs).toBe(1);
  });

  it('counts each distinct error text', () => {
    const { log } = clockedLog();
    log.errorText('send to east: timeout');
    log.errorText('send to east: timeout');
    log.errorText('route: no such host');
    expect([...log.errorTexts]).toEqual([
      ['send to east: timeout', 2],
      ['route: no such host', 1],
    ]);
  });

  it('marks name a cluster only when they concern one', () => {
    const { clock, log } = clockedLog();
    clock.now = 1200;
    expect(log.mark('phase', 'switch')).toStrictEqual({ at: 200, kind: 'phase', label: 'switch' });
    expect(log.mark('fault', 'pause broker', 'east', 250)).toStrictEqual({ at: 250, kind: 'fault', label: 'pause broker', cluster: 'east' });
    expect(log.markers).toHaveLength(2);
  });

  it('crosses a thread boundary as plain data, cut to what was recorded, and comes back whole', () => {
    const { log } = clockedLog();
    const a = log.newEvent(0, 0, 0);
    log.sent(a, 'east');
    log.acked(a, 'east', 0, 5, 3);
    const b = log.newEvent(1, 0, 10);
    log.sent(b, 'west');
    log.failed(b, 'timeout', 900);
    log.received(a, 'east', false, 0, 5, 20);
    log.received(a, 'west', true, 0, 7, 600);
    log.foreignReceipts = 4;
    log.mark('phase', 'switch', undefined, 300);
    log.moved({ at: 0, cluster: 'east', topics: ['failover.probe'], committed: {} });
    log.moved({ at: 500, cluster: 'west', topics: ['east.failover.probe'], committed: { 'east.failover.probe:0': 5 } });
    log.errorText('send to west: timeout');

    const data = log.toData();
    expect(data).toMatchObject({ t0: 1000, t0Wall: 1000, clusters: ['east', 'west'], count: 2, receipts: 2, foreignReceipts: 4 });
    for (const k of ['key', 'seq', 'sentAt', 'sentTo', 'ackAt', 'ackCluster', 'ackPartition', 'ackOffset', 'errorAt', 'errorKind'] as const) expect(data[k]).toHaveLength(2);
    for (const k of ['rAt', 'rEvent', 'rCluster', 'rRemote', 'rPartition', 'rOffset'] as const) expect(data[k]).toHaveLength(2);
    expect(Array.from(data.rOffset)).toEqual([5, 7]);
    expect(data.markers).toEqual(log.markers);
    expect(data.moves).toEqual(log.moves);
    expect(data.errorTexts).toEqual([['send to west: timeout', 1]]);
    // Plain copies: recording more does not change data already handed over.
    log.mark('phase', 'revert', undefined, 800);
    expect(data.markers).toHaveLength(1);

    const back = ProbeLog.fromData(data, () => 1700);
    expect(back.t0Wall).toBe(1000);
    expect(back.time()).toBe(700);
    expect(back.toData()).toEqual(data);
    expect(back.clusterName(1)).toBe('west');
    expect([...back.errorTexts]).toEqual([['send to west: timeout', 1]]);
    expect(measure({ log: back, reads: [], endAt: 1000 })).toEqual(measure({ log: ProbeLog.fromData(data), reads: [], endAt: 1000 }));
    expect(measure({ log: back, reads: [], endAt: 1000 })).toMatchObject({ replay: 1, duplicates: 1, events: { acked: 1, failed: 1 } });
  });
});
