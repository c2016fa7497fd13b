import { describe, expect, it } from 'vitest';
import { checkExpectations, mergeExpect } from '../../../src/drill/expectations.js';
import { measure, type ReadRecord, type SurvivorRead } from '../../../src/drill/measure.js';
import { ProbeLog } from '../../../src/drill/probeLog.js';
import { buildTimeline, sparkline } from '../../../src/drill/timeline.js';

/** A log on a clock the test sets: `at` arguments are milliseconds since the probe started. */
function newLog(): ProbeLog {
  return new ProbeLog(() => 0, () => Date.UTC(2026, 0, 1));
}

/** n events, one every `every` ms from `from`, acked `latency` ms later by `cluster`; returns their indexes. */
function writes(log: ProbeLog, opts: { from: number; n: number; every: number; cluster: string; latency?: number; keys?: number; ack?: boolean }): number[] {
  const ids: number[] = [];
  for (let j = 0; j < opts.n; j++) {
    const t = opts.from + j * opts.every;
    const key = log.count % (opts.keys ?? 4);
    const seq = Array.from({ length: log.count }, (_, i) => i).filter((i) => log.key[i] === key).length;
    const i = log.newEvent(key, seq, t);
    log.sent(i, opts.cluster);
    if (opts.ack === false) log.failed(i, 'timeout', t + 5000);
    else log.acked(i, opts.cluster, key, i, t + (opts.latency ?? 2));
    ids.push(i);
  }
  return ids;
}

function readOf(log: ProbeLog, cluster: string, at: number, events: number[], topic = 'east.failover.probe'): SurvivorRead {
  const records: ReadRecord[] = events.map((event, k) => ({ event, topic, remote: true, partition: 0, offset: k }));
  return { label: 'switch', cluster, at, topics: [topic], records };
}

describe('drill measurement', () => {
  it('write downtime is the longest gap between acknowledgements, and names where it was', () => {
    const log = newLog();
    writes(log, { from: 0, n: 200, every: 5, cluster: 'east' }); // acks at 2 .. 997
    writes(log, { from: 2500, n: 200, every: 5, cluster: 'west' }); // acks at 2502 ..
    const m = measure({ log, reads: [], endAt: 3500 });
    expect(m.writeDowntimeMs).toBeCloseTo(2502 - 997, 6);
    expect(m.writeGap).toMatchObject({ from: 997, to: 2502 });
    expect(m.events.ackedBy).toEqual({ east: 200, west: 200 });
  });

  it('a probe that never writes again is down until it stops', () => {
    const log = newLog();
    writes(log, { from: 0, n: 10, every: 5, cluster: 'east' });
    const m = measure({ log, reads: [], endAt: 10_000 });
    expect(m.writeDowntimeMs).toBeCloseTo(10_000 - 47, 6);
  });

  it('failed writes are errors, not acknowledgements, and do not close a gap', () => {
    const log = newLog();
    writes(log, { from: 0, n: 10, every: 10, cluster: 'east' });
    writes(log, { from: 100, n: 50, every: 10, cluster: 'east', ack: false });
    writes(log, { from: 700, n: 10, every: 10, cluster: 'west' });
    const m = measure({ log, reads: [], endAt: 800 });
    expect(m.events.failed).toBe(50);
    expect(m.events.errorsBy).toEqual({ east: 50 });
    expect(m.writeDowntimeMs).toBeCloseTo(702 - 92, 6);
  });

  it('lost: acknowledged before the read began and absent from it; later acks are not judged by it', () => {
    const log = newLog();
    const early = writes(log, { from: 0, n: 100, every: 10, cluster: 'east' });
    const late = writes(log, { from: 2000, n: 10, every: 10, cluster: 'west' });
    const missing = early.slice(90); // the last 10 east writes never crossed
    const present = early.slice(0, 90);
    const m = measure({ log, reads: [readOf(log, 'west', 1500, present)], endAt: 2200 });
    expect(m.lost).toBe(10);
    expect(m.lostEvents).toEqual(missing);
    expect(m.reads[0]).toMatchObject({ judged: 100, lost: 10, duplicatedInTopics: 0 });
    expect(late.every((i) => !m.lostEvents.includes(i))).toBe(true);
    // RPO: from the last surviving ack (event 89 at 892 ms) to the last lost one (event 99 at 992 ms).
    expect(m.rpo).toEqual({ events: 10, seconds: 0.1 });
  });

  it('lost is the union over the reads, each judging what was acknowledged before it', () => {
    const log = newLog();
    const a = writes(log, { from: 0, n: 10, every: 10, cluster: 'east' });
    const b = writes(log, { from: 1000, n: 10, every: 10, cluster: 'west' });
    const switchRead = readOf(log, 'west', 500, a.slice(0, 8));
    const revertRead = { ...readOf(log, 'east', 2000, [...a, ...b.slice(0, 9)]), label: 'revert' };
    const m = measure({ log, reads: [switchRead, revertRead], endAt: 2000 });
    expect(m.lostEvents).toEqual([a[8], a[9], b[9]]);
    expect(m.reads.map((r) => r.lost)).toEqual([2, 1]);
  });

  it('an event stored twice on the cluster is reported, and is not lost', () => {
    const log = newLog();
    const ids = writes(log, { from: 0, n: 5, every: 10, cluster: 'east' });
    const m = measure({ log, reads: [readOf(log, 'west', 500, [...ids, ids[2]!])], endAt: 500 });
    expect(m.lost).toBe(0);
    expect(m.reads[0]!.duplicatedInTopics).toBe(1);
  });

  it('duplicates, replay after the consumer moved, its prediction from the committed offsets, and per-key reorderings', () => {
    const log = newLog();
    const ids = writes(log, { from: 0, n: 8, every: 10, cluster: 'east', keys: 2 });
    log.moved({ at: 0, cluster: 'east', topics: ['failover.probe'], committed: {} });
    for (const i of ids.slice(0, 6)) log.received(i, 'east', false, 0, i, 100 + i);
    // The consumer moves to west; the group's committed offset there is 4, so
    // records 4 and 5 (already read on east) come again, then 6 and 7 are new.
    log.moved({ at: 500, cluster: 'west', topics: ['east.failover.probe'], committed: { 'east.failover.probe:0': 4 } });
    for (const i of ids.slice(4)) log.received(i, 'west', true, 0, i, 600 + i);
    const read = readOf(log, 'west', 1000, ids);
    const m = measure({ log, reads: [read], endAt: 1000 });
    expect(m.duplicates).toBe(2);
    expect(m.replay).toBe(2);
    expect(m.predictedReplay).toBe(2);
    expect(m.reorderings).toBe(0);
    expect(m.received).toMatchObject({ receipts: 10, distinct: 8, unreadAcked: 0 });
  });

  it('a first receipt whose sequence is below one already seen for its key is a reordering', () => {
    const log = newLog();
    const ids = writes(log, { from: 0, n: 6, every: 10, cluster: 'east', keys: 1 });
    const order = [0, 1, 3, 2, 5, 4];
    order.forEach((k, n) => log.received(ids[k]!, 'west', true, 0, k, 100 + n));
    const m = measure({ log, reads: [], endAt: 200 });
    expect(m.reorderings).toBe(2);
    expect(m.duplicates).toBe(0);
  });

  it('a send that failed for the probe and was stored anyway is counted', () => {
    const log = newLog();
    const ok = writes(log, { from: 0, n: 3, every: 10, cluster: 'east' });
    const failed = writes(log, { from: 100, n: 3, every: 10, cluster: 'east', ack: false });
    log.received(failed[0]!, 'east', false, 0, 3, 6000);
    const m = measure({ log, reads: [readOf(log, 'west', 7000, [...ok, failed[1]!])], endAt: 7000 });
    expect(m.failedButStored).toBe(2);
    expect(m.lost).toBe(0);
  });

  it('read downtime is the longest gap between receipts of this run', () => {
    const log = newLog();
    const ids = writes(log, { from: 0, n: 4, every: 10, cluster: 'east' });
    [10, 20, 1220, 1230].forEach((t, k) => log.received(ids[k]!, 'east', false, 0, k, t));
    const m = measure({ log, reads: [], endAt: 1240 });
    expect(m.readDowntimeMs).toBe(1200);
    expect(m.received.unreadAcked).toBe(0);
  });

  it('prediction is unknown when the consumer moved to a cluster no read covered', () => {
    const log = newLog();
    writes(log, { from: 0, n: 2, every: 10, cluster: 'east' });
    log.moved({ at: 0, cluster: 'east', topics: [], committed: {} });
    log.moved({ at: 50, cluster: 'west', topics: [], committed: {} });
    expect(measure({ log, reads: [], endAt: 100 }).predictedReplay).toBeUndefined();
  });
});

describe('drill expectations', () => {
  const log = newLog();
  const ids = writes(log, { from: 0, n: 10, every: 10, cluster: 'east' });
  writes(log, { from: 3000, n: 10, every: 10, cluster: 'west' });
  const m = measure({ log, reads: [readOf(log, 'west', 2000, ids.slice(0, 7))], endAt: 3100 });

  it('each bound is compared with what was measured; a breach names the expectation', () => {
    const res = checkExpectations({ maxLostEvents: 0, maxWriteDowntimeSeconds: 5, maxDuplicates: 10 }, m);
    expect(res.map((r) => [r.name, r.ok])).toEqual([
      ['maxLostEvents', false],
      ['maxWriteDowntimeSeconds', true],
      ['maxDuplicates', true],
    ]);
    expect(res[0]!.finding).toBe('maxLostEvents: acknowledged events lost 3, above the bound of 0');
    expect(checkExpectations({ maxWriteDowntimeSeconds: 2 }, m)[0]).toMatchObject({ ok: false, actual: (3002 - 92) / 1000 });
  });

  it('a scenario overrides the drill-wide bounds it names and keeps the others', () => {
    expect(mergeExpect({ maxLostEvents: 0, maxDuplicates: 5 }, { maxLostEvents: 100 })).toEqual({ maxLostEvents: 100, maxDuplicates: 5 });
    expect(mergeExpect(undefined, undefined)).toEqual({});
  });
});

describe('drill timeline', () => {
  it('folds acks, errors and receipts into 100 ms buckets per cluster', () => {
    const log = newLog();
    const ids = writes(log, { from: 0, n: 10, every: 20, cluster: 'east' });
    writes(log, { from: 300, n: 2, every: 10, cluster: 'west', ack: false });
    const u = log.newEvent(0, 99, 250);
    log.failed(u, 'unsent', 250);
    log.received(ids[0]!, 'east', false, 0, 0, 50);
    const t = buildTimeline(log, 6000);
    expect(t.buckets).toBe(60);
    const east = t.series.find((s) => s.cluster === 'east')!;
    expect(east.acks.slice(0, 3)).toEqual([5, 5, 0]);
    expect(east.receipts[0]).toBe(1);
    const west = t.series.find((s) => s.cluster === 'west')!;
    expect(west.errors[53]).toBe(2); // failed 5 s after being sent at 300 ms
    expect(t.unsent[2]).toBe(1);
  });

  it('sparkline scales to its peak and leaves empty columns blank', () => {
    expect(sparkline([0, 4, 8, 0], 4)).toBe(' ▄█ ');
  });
});
