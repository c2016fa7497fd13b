import { describe, expect, it } from 'vitest';
import { checkExpectations } from '../../../src/drill/expectations.js';
import { measure, type ReadRecord, type SurvivorRead } from '../../../src/drill/measure.js';
import { ProbeLog } from '../../../src/drill/probeLog.js';
import { staleClientCaveats, staleClientFor, type ProbeRunbook } from '../../../src/drill/probeSetup.js';
import { probeRecordsText } from '../../../src/drill/runDrill.js';
import { staleEventId } from '../../../src/drill/staleClient.js';
import { buildTimeline } from '../../../src/drill/timeline.js';
import { measureStale, type RouteSwitch } from '../../../src/drill/writesToDemoted.js';
import type { ProbeSpec, Runbook } from '../../../src/runbook/schema.js';

/** A probe log on a clock the test sets, with its stale client's log. */
function newLog(): ProbeLog {
  return new ProbeLog(() => 0, () => Date.UTC(2026, 0, 1));
}

/** One stale event sent at `at`: acknowledged by `ackBy` 3 ms later, or failed with `fail`. Returns its index. */
function staleWrite(stale: ProbeLog, at: number, outcome: { ackBy: string } | { fail: 'fenced' | 'connection' | 'unsent'; to?: string }): number {
  const i = stale.newEvent(stale.count % 4, stale.count, at);
  if ('ackBy' in outcome) {
    stale.sent(i, outcome.ackBy);
    stale.acked(i, outcome.ackBy, 0, i, at + 3);
  } else {
    if (outcome.fail !== 'unsent') stale.sent(i, outcome.to ?? 'east');
    stale.failed(i, outcome.fail, at + 3);
  }
  return i;
}

function read(cluster: string, at: number, staleEvents: number[] | undefined, label = 'switch'): SurvivorRead {
  const rec = (event: number, k: number): ReadRecord => ({ event, topic: 'east.orders', remote: true, partition: 0, offset: k });
  return { label, cluster, at, topics: ['east.failover.probe'], records: [], ...(staleEvents ? { stale: { topics: ['east.orders'], records: staleEvents.map(rec) } } : {}) };
}

const promote: RouteSwitch = { action: 'promote', at: 1000, demoted: 'east' };
const revert: RouteSwitch = { action: 'revert', at: 2000, demoted: 'west' };

describe('writes to the demoted cluster', () => {
  it('counts the stale events the demoted cluster acknowledged from the switch on, not before it, and names them', () => {
    const stale = newLog().staleLog();
    const before = [0, 500, 996].map((t) => staleWrite(stale, t, { ackBy: 'east' })); // acks at 3, 503, 999
    const atSwitch = staleWrite(stale, 997, { ackBy: 'east' }); // ack at exactly 1000: in flight across the switch, taken by east
    const after = [1100, 1500].map((t) => staleWrite(stale, t, { ackBy: 'east' }));
    const m = measureStale({ stale, switches: [promote], reads: [], receipts: 0 });
    expect(m.writesToDemoted).toBe(3);
    expect(m.writesToDemotedEvents).toEqual([atSwitch, ...after]);
    expect(m.ackedBeforeSwitch).toBe(before.length);
    expect(m.switches).toEqual([{ ...promote, writesToDemoted: 3 }]);
    expect(m).toMatchObject({ created: 6, sent: 6, acked: 6, failed: 0, unsent: 0, ackedBy: { east: 6 } });
  });

  it('a cluster the route moved to is not demoted: acknowledgements by the promoted cluster never count', () => {
    const stale = newLog().staleLog();
    staleWrite(stale, 1500, { ackBy: 'west' });
    staleWrite(stale, 1600, { ackBy: 'east' });
    const m = measureStale({ stale, switches: [promote], reads: [], receipts: 0 });
    expect(m.writesToDemoted).toBe(1);
    expect(m.writesToDemotedEvents).toEqual([1]);
    expect(m.ackedBy).toEqual({ west: 1, east: 1 });
  });

  it('after a revert, the demoted cluster is the one reverted away from: east counts only between the two switches', () => {
    const stale = newLog().staleLog();
    const between = [1200, 1996].map((t) => staleWrite(stale, t, { ackBy: 'east' })); // acks at 1203, 1999
    const home = [1997, 2500].map((t) => staleWrite(stale, t, { ackBy: 'east' })); // acks at 2000, 2503: east is the route's again
    const onWest = staleWrite(stale, 2600, { ackBy: 'west' });
    // Given out of order: the switches are put in time order.
    const m = measureStale({ stale, switches: [revert, promote], reads: [], receipts: 0 });
    expect(m.switches.map((s) => [s.action, s.writesToDemoted])).toEqual([['promote', 2], ['revert', 1]]);
    expect(m.writesToDemoted).toBe(3);
    expect(m.writesToDemotedEvents).toEqual([...between, onWest]);
    expect(home.some((i) => m.writesToDemotedEvents.includes(i))).toBe(false);
    expect(m.ackedBeforeSwitch).toBe(0);
  });

  it('without a switch nothing is demoted, and nothing was acknowledged "before the switch"', () => {
    const stale = newLog().staleLog();
    for (const t of [10, 20, 30]) staleWrite(stale, t, { ackBy: 'east' });
    const m = measureStale({ stale, switches: [], reads: [], receipts: 7 });
    expect(m).toMatchObject({ writesToDemoted: 0, ackedBeforeSwitch: 0, writesToDemotedEvents: [], switches: [], receipts: 7 });
  });

  it('before the switch, only what the cluster to be demoted acknowledged proves the stale client wrote', () => {
    const stale = newLog().staleLog();
    staleWrite(stale, 100, { ackBy: 'west' });
    staleWrite(stale, 200, { ackBy: 'east' });
    expect(measureStale({ stale, switches: [promote], reads: [], receipts: 0 }).ackedBeforeSwitch).toBe(1);
  });

  it('refused and unsent writes are errors by kind, never writes to the demoted cluster', () => {
    const stale = newLog().staleLog();
    staleWrite(stale, 100, { ackBy: 'east' });
    for (const t of [1100, 1200, 1300]) staleWrite(stale, t, { fail: 'fenced' });
    staleWrite(stale, 1400, { fail: 'connection' });
    staleWrite(stale, 1500, { fail: 'unsent' });
    const m = measureStale({ stale, switches: [promote], reads: [], receipts: 0 });
    expect(m).toMatchObject({ created: 6, sent: 5, acked: 1, failed: 5, unsent: 1, writesToDemoted: 0, ackedBeforeSwitch: 1 });
    expect(m.errorsByKind).toEqual({ fenced: 3, connection: 1, unsent: 1 });
  });

  it('stale lost: acknowledged before a read of its topic began and absent from it; a write to the demoted cluster that never crossed is both', () => {
    const stale = newLog().staleLog();
    const crossed = staleWrite(stale, 100, { ackBy: 'east' });
    const stuck = staleWrite(stale, 200, { ackBy: 'east' });
    const demotedStuck = staleWrite(stale, 1100, { ackBy: 'east' });
    const demotedCrossed = staleWrite(stale, 1200, { ackBy: 'east' });
    const late = staleWrite(stale, 4000, { ackBy: 'east' }); // after the read began: not judged by it
    const reads = [read('west', 3000, [crossed, demotedCrossed, 999]), read('east', 500, undefined, 'no stale topic')];
    const m = measureStale({ stale, switches: [promote], reads, receipts: 0 });
    expect(m.lost).toBe(2);
    expect(m.lostEvents).toEqual([stuck, demotedStuck]);
    expect(m.writesToDemoted).toBe(3);
    expect(m.demotedLost).toBe(1);
    expect(m.lostEvents).not.toContain(late);
  });

  it('an event acknowledged at the very moment a read began is not judged by it', () => {
    const stale = newLog().staleLog();
    staleWrite(stale, 997, { ackBy: 'east' }); // acked at 1000
    staleWrite(stale, 996, { ackBy: 'east' }); // acked at 999
    expect(measureStale({ stale, switches: [], reads: [read('west', 1000, [])], receipts: 0 }).lostEvents).toEqual([1]);
  });

  it('loss is the union over the reads, an event present in one and absent from another that judges it is lost', () => {
    const stale = newLog().staleLog();
    const a = staleWrite(stale, 100, { ackBy: 'east' });
    const b = staleWrite(stale, 200, { ackBy: 'east' });
    const m = measureStale({ stale, switches: [], reads: [read('west', 1000, [a]), read('east', 2000, [b])], receipts: 0 });
    expect(m.lostEvents).toEqual([a, b]);
  });

  it('keeps at most `keep` event indexes, and counts them all', () => {
    const stale = newLog().staleLog();
    for (let k = 0; k < 12; k++) staleWrite(stale, 1100 + k, { ackBy: 'east' });
    const m = measureStale({ stale, switches: [promote], reads: [read('west', 5000, [])], receipts: 0, keep: 5 });
    expect(m.writesToDemoted).toBe(12);
    expect(m.writesToDemotedEvents).toEqual([0, 1, 2, 3, 4]);
    expect(m.lost).toBe(12);
    expect(m.lostEvents).toEqual([0, 1, 2, 3, 4]);
    expect(measureStale({ stale, switches: [promote], reads: [], receipts: 0 }).writesToDemotedEvents).toHaveLength(12);
  });

  it('keeps the first 100 by default', () => {
    const stale = newLog().staleLog();
    for (let k = 0; k < 101; k++) staleWrite(stale, 1100 + k, { ackBy: 'east' });
    const m = measureStale({ stale, switches: [promote], reads: [read('west', 5000, [])], receipts: 0 });
    expect(m.writesToDemoted).toBe(101);
    expect(m.writesToDemotedEvents).toHaveLength(100);
    expect(m.writesToDemotedEvents[99]).toBe(99);
    expect(m.lostEvents).toHaveLength(100);
  });
});

describe('the stale client in the drill measurement', () => {
  /** The probe: 10 events on east acked, 10 on west; west's read has all of them. */
  function probeWithStale(): ProbeLog {
    const log = newLog();
    for (let k = 0; k < 20; k++) {
      const cluster = k < 10 ? 'east' : 'west';
      const i = log.newEvent(k % 2, Math.floor(k / 2), k * 100);
      log.sent(i, cluster);
      log.acked(i, cluster, 0, i, k * 100 + 2);
      log.received(i, cluster, false, 0, i, k * 100 + 10);
    }
    const stale = log.staleLog();
    for (const t of [100, 200, 1100, 1200, 1300]) staleWrite(stale, t, { ackBy: 'east' });
    log.staleReceipts = 4;
    return log;
  }

  it('is measured apart: the probe\'s figures are the same with and without it', () => {
    const log = probeWithStale();
    const records = Array.from({ length: 20 }, (_, event): ReadRecord => ({ event, topic: 'failover.probe', remote: false, partition: 0, offset: event }));
    const reads: SurvivorRead[] = [{ label: 'switch', cluster: 'west', at: 5000, topics: ['failover.probe'], records, stale: { topics: ['east.orders'], records: [] } }];
    const m = measure({ log, reads, endAt: 2500, switches: [promote] });
    const without = measure({ log: ProbeLog.fromData({ ...log.toData(), stale: undefined }), reads, endAt: 2500 });
    expect({ ...m, stale: undefined, writesToDemoted: 0 }).toEqual({ ...without, stale: undefined });
    expect(m.lost).toBe(0);
    expect(m.events.created).toBe(20);
    expect(m.writesToDemoted).toBe(3);
    expect(m.stale).toMatchObject({ writesToDemoted: 3, ackedBeforeSwitch: 2, lost: 5, receipts: 4 });
    expect(without.stale).toBeUndefined();
    expect(without.writesToDemoted).toBe(0);
  });

  it('the log carries it across the thread boundary', () => {
    const log = probeWithStale();
    const back = ProbeLog.fromData(log.toData());
    expect(back.staleReceipts).toBe(4);
    expect(back.stale?.count).toBe(5);
    expect(Array.from(back.stale!.ackAt.slice(0, 5))).toEqual([103, 203, 1103, 1203, 1303]);
    expect(back.stale!.clusterName(back.stale!.ackCluster[0]!)).toBe('east');
    expect(ProbeLog.fromData(newLog().toData()).stale).toBeUndefined();
  });

  it('its own lane in the timeline, and its own lines (marked stale, ids with "s") in the probe records', () => {
    const log = probeWithStale();
    staleWrite(log.stale!, 1400, { fail: 'fenced' });
    const t = buildTimeline(log, 2000);
    expect(t.stale!.acks.slice(0, 14)).toEqual([0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
    expect(t.stale!.errors[14]).toBe(1);
    expect(t.series.map((s) => s.cluster)).toEqual(['east', 'west']);
    expect(buildTimeline(newLog(), 1000).stale).toBeUndefined();
    const lines = probeRecordsText(log, 'drill-x').trim().split('\n').map((l) => JSON.parse(l) as { id: string; stale?: boolean; ackedBy?: string });
    expect(lines).toHaveLength(26);
    expect(lines.filter((l) => l.stale).map((l) => l.id)).toEqual([0, 1, 2, 3, 4, 5].map((n) => staleEventId('drill-x', n)));
    expect(lines[20]).toMatchObject({ id: 'drill-x-s0', stale: true, ackedBy: 'east' });
    expect(lines[0]!.stale).toBeUndefined();
  });
});

describe('maxWritesToDemoted', () => {
  const log = newLog();
  for (const t of [100, 1100, 1200]) staleWrite(log.staleLog(), t, { ackBy: 'east' });
  const withStale = measure({ log, reads: [], endAt: 2000, switches: [promote] });
  const withoutStale = measure({ log: newLog(), reads: [], endAt: 2000 });

  it('holds at 0 when the runbook does not write it and the stale client ran', () => {
    expect(checkExpectations({}, withStale)).toEqual([
      { name: 'maxWritesToDemoted', actual: 2, limit: 0, unit: 'events', ok: false, finding: 'maxWritesToDemoted: stale-client writes acknowledged by the demoted cluster 2, above the bound of 0' },
    ]);
  });

  it('takes the bound the runbook writes', () => {
    expect(checkExpectations({ maxWritesToDemoted: 2 }, withStale)[0]).toMatchObject({ ok: true, limit: 2, actual: 2, finding: 'maxWritesToDemoted: stale-client writes acknowledged by the demoted cluster 2, within the bound of 2' });
    expect(checkExpectations({ maxWritesToDemoted: 1 }, withStale)[0]).toMatchObject({ ok: false, limit: 1 });
  });

  it('without a stale client there is nothing to check, and a written bound is breached as not measured', () => {
    expect(checkExpectations({}, withoutStale)).toEqual([]);
    expect(checkExpectations({ maxWritesToDemoted: 5 }, withoutStale)).toEqual([
      { name: 'maxWritesToDemoted', actual: 0, limit: 5, unit: 'events', ok: false, finding: 'maxWritesToDemoted: not measured, because the drill ran no stale client (drill.probe.staleRatePerSecond is 0)' },
    ]);
  });

  it('comes last, after the probe\'s own bounds', () => {
    expect(checkExpectations({ maxLostEvents: 0, maxWritesToDemoted: 9 }, withStale).map((x) => x.name)).toEqual(['maxLostEvents', 'maxWritesToDemoted']);
  });
});

describe('the stale client\'s settings', () => {
  const rb = {
    clusters: {
      east: { bootstrap: ['east:9092'], auth: { sasl: { mechanism: 'scram-sha-256', username: 'admin', password: 'pw' }, tls: true }, timeouts: { requestTimeout: 5000, connectionTimeout: 3000 }, clientId: 'ops', labels: {} },
      west: { bootstrap: ['west:9092'], timeouts: { requestTimeout: 5000, connectionTimeout: 3000 }, clientId: 'failover', labels: {} },
    },
    roles: { primary: 'east', secondary: 'west' },
    link: { kind: 'mirrormaker2', aliases: { east: 'east', west: 'west' }, separator: '.', reverse: true, offsetSyncsLocation: 'source' },
    routing: { alias: 'orders:9092', switch: { file: { path: '/tmp/route', key: 'bootstrap.servers' } } },
  } as unknown as ProbeRunbook;
  const spec: ProbeSpec = { topic: 'failover.probe', group: 'g', groupProtocol: 'classic', keys: 8, ratePerSecond: 100, staleRatePerSecond: 20 };

  it('the home primary\'s address and auth, the probe topic, unless the runbook says otherwise', () => {
    expect(staleClientFor(rb, spec)).toEqual({
      cluster: 'east',
      topic: 'failover.probe',
      ratePerSecond: 20,
      client: { bootstrap: ['east:9092'], requestTimeoutMs: 5000, connectionTimeoutMs: 3000, clientId: 'ops-stale', auth: { sasl: { mechanism: 'scram-sha-256', username: 'admin', password: 'pw' }, tls: true } },
    });
    const own = staleClientFor(rb, { ...spec, staleTopic: 'orders', staleSasl: { mechanism: 'plain', username: 'orders-svc', password: 'x' } })!;
    expect(own.topic).toBe('orders');
    expect(own.client.auth).toEqual({ sasl: { mechanism: 'plain', username: 'orders-svc', password: 'x' }, tls: true });
    expect(staleClientFor(rb, { ...spec, staleRatePerSecond: 0 })).toBeUndefined();
  });

  it('carries the home primary\'s auth as it is: SASL alone, TLS alone, or none', () => {
    const on = (auth: object | undefined) => staleClientFor({ ...rb, clusters: { ...rb.clusters, east: { ...rb.clusters.east!, auth } } } as ProbeRunbook, spec)!.client;
    expect(on({ sasl: { mechanism: 'plain', username: 'u', password: 'p' } }).auth).toEqual({ sasl: { mechanism: 'plain', username: 'u', password: 'p' } });
    expect(on({ tls: true }).auth).toEqual({ tls: true });
    expect('auth' in on(undefined)).toBe(false);
    expect(staleClientFor({ ...rb, clusters: { ...rb.clusters, east: { ...rb.clusters.east!, auth: undefined } } } as ProbeRunbook, { ...spec, staleSasl: { mechanism: 'plain', username: 's', password: 'x' } })!.client.auth).toEqual({ sasl: { mechanism: 'plain', username: 's', password: 'x' } });
  });

  it('on a pair that fences, says why a fence would not stop it', () => {
    const fencing = { workload: { topics: ['orders', '/pay.*/'], groups: [], producers: ['User:orders-svc'] }, actions: { promote: { steps: [{ type: 'fence-writes', params: {} }] } } } as unknown as Runbook;
    const admin = staleClientFor(rb, spec)!;
    expect(staleClientCaveats(fencing, admin)).toEqual([
      'the stale client writes failover.probe, which is not a workload topic, so fence-writes does not cover it; set drill.probe.staleTopic to a workload topic',
      'the stale client writes as User:admin, which is not one of workload.producers, so fence-writes does not deny it; set drill.probe.staleSasl to a producer\'s credentials',
    ]);
    const svc = staleClientFor(rb, { ...spec, staleTopic: 'payments', staleSasl: { mechanism: 'plain', username: 'orders-svc', password: 'x' } })!;
    expect(staleClientCaveats(fencing, svc)).toEqual([]);
    const anonymous = { ...svc, client: { ...svc.client, auth: undefined } } as typeof svc;
    expect(staleClientCaveats(fencing, anonymous)).toEqual([expect.stringContaining('writes as no SASL user')]);
    const notFencing = { ...fencing, actions: { promote: { steps: [{ type: 'switch-route', params: {} }] } } } as unknown as Runbook;
    expect(staleClientCaveats(notFencing, admin)).toEqual([]);
  });
});
