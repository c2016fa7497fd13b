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

  it('every bound in its unit, in a fixed order; a measurement at the bound is within it', () => {
    const res = checkExpectations({ maxReorderings: 0, maxReadDowntimeSeconds: 3.1, maxDuplicates: 0, maxWriteDowntimeSeconds: 2.91, maxLostEvents: 3 }, m);
    expect(res.map((r) => r.name)).toEqual(['maxLostEvents', 'maxWriteDowntimeSeconds', 'maxReadDowntimeSeconds', 'maxDuplicates', 'maxReorderings']);
    expect(res).toStrictEqual([
      { name: 'maxLostEvents', actual: 3, limit: 3, unit: 'events', ok: true, finding: 'maxLostEvents: acknowledged events lost 3, within the bound of 3' },
      { name: 'maxWriteDowntimeSeconds', actual: 2.91, limit: 2.91, unit: 'seconds', ok: true, finding: 'maxWriteDowntimeSeconds: write downtime 2.91 s, within the bound of 2.91 s' },
      // No receipts at all: read downtime is the whole run.
      { name: 'maxReadDowntimeSeconds', actual: 3.1, limit: 3.1, unit: 'seconds', ok: true, finding: 'maxReadDowntimeSeconds: read downtime 3.1 s, within the bound of 3.1 s' },
      { name: 'maxDuplicates', actual: 0, limit: 0, unit: 'events', ok: true, finding: 'maxDuplicates: duplicate receipts 0, within the bound of 0' },
      { name: 'maxReorderings', actual: 0, limit: 0, unit: 'events', ok: true, finding: 'maxReorderings: per-key reorderings 0, within the bound of 0' },
    ]);
    expect(checkExpectations({ maxReadDowntimeSeconds: 1.0004 }, { ...m, readDowntimeMs: 1000.6 })[0]!.finding).toBe(
      'maxReadDowntimeSeconds: read downtime 1.001 s, above the bound of 1 s',
    );
    expect(checkExpectations({}, m)).toEqual([]);
  });

  it('a scenario overrides the drill-wide bounds it names and keeps the others', () => {
    expect(mergeExpect({ maxLostEvents: 0, maxDuplicates: 5 }, { maxLostEvents: 100 })).toEqual({ maxLostEvents: 100, maxDuplicates: 5 });
    expect(mergeExpect(undefined, undefined)).toEqual({});
    expect(mergeExpect({ maxLostEvents: 0 }, { maxLostEvents: undefined, maxDuplicates: 2 })).toStrictEqual({ maxLostEvents: 0, maxDuplicates: 2 });
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
    expect(sparkline([], 4)).toBe('');
    expect(sparkline([0, 0, 0], 3)).toBe('   ');
  });

  it('sparkline averages the values under each column, and stretches short rows', () => {
    // Two values a column: averages 1, 3.5, 8, 0.
    expect(sparkline([1, 1, 3, 4, 8, 8, 0, 0], 4)).toBe('▁▄█ ');
    // Three values over two columns: the first column takes one, the second two.
    expect(sparkline([8, 4, 4], 2)).toBe('█▄');
    // Fewer values than columns: each value spans columns.
    expect(sparkline([8, 0], 4)).toBe('██  ');
  });

  it('sparkline scales to a given peak, so rows can be compared, and shows any activity as at least one step', () => {
    expect(sparkline([4, 8], 2, 16)).toBe('▂▄');
    expect(sparkline([4, 8], 2, 0)).toBe('  ');
    expect(sparkline([1, 100], 2)).toBe('▁█');
  });

  it('folds events after the end into the last bucket, and errors of events never sent into unsent', () => {
    const log = newLog();
    const [a] = writes(log, { from: 0, n: 1, every: 10, cluster: 'east', latency: 950 });
    log.received(a!, 'east', false, 0, 0, 990);
    const b = log.newEvent(1, 0, 10);
    log.failed(b, 'connection', 20);
    const c = log.newEvent(2, 0, 10);
    log.sent(c, 'east'); // still in flight when the probe stopped
    const t = buildTimeline(log, 500, 250);
    expect(t).toMatchObject({ bucketMs: 250, buckets: 2, t0Wall: Date.UTC(2026, 0, 1) });
    expect(t.series).toStrictEqual([{ cluster: 'east', acks: [0, 1], errors: [0, 0], receipts: [0, 1] }]);
    expect(t.unsent).toStrictEqual([1, 0]);
  });

  it('keeps the markers up to one bucket past the end', () => {
    const log = newLog();
    log.mark('phase', 'switch', undefined, 100);
    log.mark('fault', 'late', 'east', 1100);
    log.mark('fault', 'later', 'east', 1101);
    expect(buildTimeline(log, 1000).markers.map((m) => m.label)).toEqual(['switch', 'late']);
  });
});

describe('drill measurement, event by event', () => {
  /** Events acknowledged by `cluster` at the given probe times, in the order given. */
  function ackedAt(log: ProbeLog, times: number[], cluster = 'east'): number[] {
    return times.map((t) => {
      const i = log.newEvent(0, log.count, t);
      log.sent(i, cluster);
      log.acked(i, cluster, 0, i, t);
      return i;
    });
  }

  it('counts every event once: acknowledged, failed after it left the probe, failed before, or still in flight', () => {
    const log = newLog();
    const acked = log.newEvent(0, 0, 0);
    log.sent(acked, 'east');
    log.acked(acked, 'east', 0, 0, 50);
    const timedOut = log.newEvent(1, 0, 1);
    log.sent(timedOut, 'east');
    log.failed(timedOut, 'timeout', 30);
    const unsent = log.newEvent(2, 0, 2);
    log.failed(unsent, 'unsent', 3);
    const alsoUnsent = log.newEvent(2, 1, 3);
    log.failed(alsoUnsent, 'unsent', 3);
    const inFlight = log.newEvent(3, 0, 4);
    log.sent(inFlight, 'west');
    const late = log.newEvent(0, 1, 6);
    log.sent(late, 'west');
    log.acked(late, 'west', 0, 0, 8);
    log.received(acked, 'east', false, 0, 0, 60);
    const m = measure({ log, reads: [], endAt: 100 });
    expect(m.events).toStrictEqual({ created: 6, sent: 4, acked: 2, failed: 3, unsent: 2, ackedBy: { east: 1, west: 1 }, errorsBy: { east: 1, none: 2 } });
    // The window starts at the earliest acknowledgement, whatever the order of the events.
    expect(m.window).toStrictEqual({ from: 8, to: 100 });
    expect(m.received).toStrictEqual({ receipts: 1, distinct: 1, unreadAcked: 1, foreign: 0 });
    expect(m.failedButStored).toBe(0);
    expect(m.lost).toBe(0);
    expect(m.rpo).toStrictEqual({ events: 0, seconds: 0 });
  });

  it('a probe that never got an acknowledgement or a receipt was down for the whole run', () => {
    const log = newLog();
    const i = log.newEvent(0, 0, 0);
    log.failed(i, 'unsent', 0);
    const m = measure({ log, reads: [], endAt: 900 });
    expect(m).toMatchObject({ writeDowntimeMs: 900, writeGaps: [], readDowntimeMs: 900, window: { from: 0, to: 900 } });
    expect(m).not.toHaveProperty('writeGap');
    expect(m).not.toHaveProperty('readGap');
  });

  it('keeps the longest acknowledgement gaps, longest first, however the acknowledgements arrived', () => {
    const log = newLog();
    ackedAt(log, [400, 0, 100, 410, 150, 700]);
    const m = measure({ log, reads: [], endAt: 1000, topGaps: 3 });
    expect(m.writeGaps).toStrictEqual([
      { from: 700, to: 1000, ms: 300 },
      { from: 410, to: 700, ms: 290 },
      { from: 150, to: 400, ms: 250 },
    ]);
    expect(m.writeGap).toStrictEqual({ from: 700, to: 1000, ms: 300 });
    expect(m.writeDowntimeMs).toBe(300);
  });

  it('of gaps equally long, keeps the earlier; a probe stopped at its last acknowledgement adds no gap', () => {
    const log = newLog();
    ackedAt(log, [0, 100, 200]);
    expect(measure({ log, reads: [], endAt: 200, topGaps: 1 }).writeGaps).toStrictEqual([{ from: 0, to: 100, ms: 100 }]);
    expect(measure({ log, reads: [], endAt: 200 }).writeGaps).toStrictEqual([
      { from: 0, to: 100, ms: 100 },
      { from: 100, to: 200, ms: 100 },
    ]);
  });

  it('receipts of events this log does not know are neither duplicates nor part of read downtime', () => {
    const log = newLog();
    const ids = writes(log, { from: 0, n: 2, every: 10, cluster: 'east' });
    log.received(ids[0]!, 'east', false, 0, 0, 10);
    log.received(-1, 'east', false, 0, 5, 500);
    log.received(ids.length, 'east', false, 0, 6, 600);
    const m = measure({ log, reads: [], endAt: 700 });
    expect(m.duplicates).toBe(0);
    expect(m.readGap).toStrictEqual({ from: 10, to: 700, ms: 690 });
    expect(m.received).toMatchObject({ receipts: 3, distinct: 1, unreadAcked: 1 });
  });

  it('reorderings are judged against the highest sequence received so far for the key', () => {
    const log = newLog();
    const ids = writes(log, { from: 0, n: 4, every: 10, cluster: 'east', keys: 1 });
    [0, 3, 1, 2].forEach((k, n) => log.received(ids[k]!, 'west', true, 0, k, 100 + n));
    expect(measure({ log, reads: [], endAt: 200 }).reorderings).toBe(2);
  });

  it('replay: a receipt at or after a move of an event first received before it, and nothing else', () => {
    const log = newLog();
    const ids = writes(log, { from: 0, n: 4, every: 10, cluster: 'east' });
    log.moved({ at: 0, cluster: 'east', topics: ['failover.probe'], committed: {} }); // the first assignment is not a move
    log.received(ids[0]!, 'east', false, 0, 0, 100);
    log.received(ids[0]!, 'east', false, 0, 0, 150); // a duplicate before any move
    log.received(ids[1]!, 'east', false, 0, 1, 200);
    log.moved({ at: 300, cluster: 'west', topics: ['east.failover.probe'], committed: {} });
    log.received(ids[1]!, 'west', true, 0, 1, 300); // replayed, at the move itself
    log.received(ids[2]!, 'west', true, 0, 2, 300); // first received at the move
    log.received(ids[2]!, 'west', true, 0, 2, 350); // a duplicate, but of an event first received after the move
    log.moved({ at: 500, cluster: 'east', topics: ['failover.probe'], committed: {} });
    log.received(ids[0]!, 'east', false, 0, 0, 600); // replayed after both moves
    const m = measure({ log, reads: [], endAt: 700 });
    expect(m.duplicates).toBe(4);
    expect(m.replay).toBe(2);
  });

  it('predicted replay is 0 when the consumer never moved, and is judged by the read of the cluster it moved to', () => {
    const log = newLog();
    const ids = writes(log, { from: 0, n: 4, every: 10, cluster: 'east' });
    log.moved({ at: 0, cluster: 'east', topics: ['failover.probe'], committed: {} });
    log.received(ids[0]!, 'east', false, 0, 0, 100);
    log.received(ids[1]!, 'east', false, 0, 1, 300);
    expect(measure({ log, reads: [], endAt: 400 }).predictedReplay).toBe(0);

    log.moved({ at: 300, cluster: 'west', topics: ['east.failover.probe'], committed: { 'east.failover.probe:0': 0 } });
    log.received(ids[2]!, 'west', true, 0, 2, 350);
    const east = { ...readOf(log, 'east', 400, [ids[1]!], 'failover.probe'), label: 'revert' };
    // On west, ids[0] (received at 100) counts; ids[1] was first received at the move itself and
    // ids[2] after it, so they do not, and ids[3] was never received.
    const west = readOf(log, 'west', 400, [ids[0]!, ids[1]!, ids[2]!, ids[3]!]);
    expect(measure({ log, reads: [east, west], endAt: 400 }).predictedReplay).toBe(1);
  });

  it('an event acknowledged at the very moment a read began is not judged by it', () => {
    const log = newLog();
    writes(log, { from: 0, n: 3, every: 10, cluster: 'east' }); // acks at 2, 12, 22
    const m = measure({ log, reads: [readOf(log, 'west', 22, [])], endAt: 100 });
    expect(m.reads[0]).toMatchObject({ judged: 2, lost: 2 });
    expect(m.lostEvents).toEqual([0, 1]);
  });

  it('RPO starts at the first lost acknowledgement when no acknowledgement before it survived', () => {
    const log = newLog();
    const ids = writes(log, { from: 0, n: 3, every: 10, cluster: 'east' }); // acks at 2, 12, 22
    const m = measure({ log, reads: [readOf(log, 'west', 100, [ids[2]!])], endAt: 100 });
    expect(m.rpo.events).toBe(2);
    expect(m.rpo.seconds).toBeCloseTo(0.01, 9);
  });

  it('the first event of the run, failed for the probe and found by a read, was stored anyway', () => {
    const log = newLog();
    const [first] = writes(log, { from: 0, n: 1, every: 10, cluster: 'east', ack: false });
    expect(measure({ log, reads: [readOf(log, 'west', 9000, [first!])], endAt: 9000 }).failedButStored).toBe(1);
  });
});
