import { MultipleErrors, NetworkError } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { FailoverError } from '../../../src/errors.js';
import { runbookOf } from '../gates/fakeContext.js';
import { StopCriteria, evaluate, type MeasuredLag } from '../../../src/engine/stopCriteria.js';
import type { RunbookConnections } from '../../../src/engine/connections.js';
import { lagMeasure } from '../../../src/engine/plan.js';
import type { ActionRequest } from '../../../src/engine/types.js';
import { summarise, unmeasuredReport, type LagReport, type LagUnknown, type PartitionLag } from '../../../src/kafka/replicationLag.js';

type Part = { lag: number; lagMs?: number; ageUnknown?: string } | { unknown: LagUnknown };

function report(parts: Part[]): LagReport {
  const partitions = parts.map((p, i): PartitionLag => {
    const base = { sourceTopic: 'orders', targetTopic: 'east.orders', partition: i, sourceEnd: 100 };
    if ('unknown' in p) return { ...base, unknown: p.unknown };
    return {
      ...base,
      lag: p.lag,
      ...(p.lagMs === undefined ? {} : { lagMs: p.lagMs }),
      ...(p.ageUnknown ? { lagMsUnknown: { kind: 'read-error' as const, reason: p.ageUnknown } } : {}),
    };
  });
  return { measuredAt: 0, mapping: 'offset-syncs', partitions, ...summarise(partitions, true), missingSource: [], missingTarget: [] };
}
const measured = (parts: Part[]): MeasuredLag => ({ kind: 'report', report: report(parts) });
const noSync: LagUnknown = { kind: 'no-mapping', reason: 'no offset sync for the partition' };

describe('stop criteria: evaluate', () => {
  it('fire on the worst partition, naming it, and not at the bound itself', () => {
    expect(evaluate({ lagRecordsAbove: 10 }, measured([{ lag: 3 }, { lag: 10 }]))).toBeUndefined();
    expect(evaluate({ lagRecordsAbove: 10 }, measured([{ lag: 3 }, { lag: 12 }, { lag: 11 }]))).toEqual({
      kind: 'criterion',
      criterion: 'lagRecordsAbove',
      reason: 'replication lag 12 records on orders-1 exceeds 10',
      data: { maxLag: 12 },
    });
    expect(evaluate({ lagSecondsAbove: 5 }, measured([{ lag: 1, lagMs: 5000 }]))).toBeUndefined();
    expect(evaluate({ lagSecondsAbove: 5 }, measured([{ lag: 1, lagMs: 900 }, { lag: 1, lagMs: 6100 }, { lag: 1, lagMs: 5500 }]))).toEqual({
      kind: 'criterion',
      criterion: 'lagSecondsAbove',
      reason: 'replication lag 6.1 s on orders-1 exceeds 5 s',
      data: { maxLagMs: 6100 },
    });
  });

  it('with both bounds, records are judged first, then seconds', () => {
    const both = { lagRecordsAbove: 10, lagSecondsAbove: 5 };
    expect(evaluate(both, measured([{ lag: 11, lagMs: 9000 }]))).toMatchObject({ criterion: 'lagRecordsAbove' });
    expect(evaluate(both, measured([{ lag: 9, lagMs: 9000 }]))).toMatchObject({ criterion: 'lagSecondsAbove' });
    expect(evaluate(both, measured([{ lag: 9, lagMs: 4000 }]))).toBeUndefined();
  });

  it('nothing fires without a lag bound, or when lag does not apply to the action', () => {
    expect(evaluate({ maxDuration: 1000 }, measured([{ unknown: noSync }]))).toBeUndefined();
    expect(evaluate({ maxDuration: 1000 }, { kind: 'error', error: 'east is down' })).toBeUndefined();
    expect(evaluate({ lagRecordsAbove: 0, lagSecondsAbove: 0 }, undefined)).toBeUndefined();
  });

  it('a measurement that failed fires the configured criterion: the lag cannot be measured', () => {
    expect(evaluate({ lagSecondsAbove: 60 }, { kind: 'error', error: 'east: no answer within 5 s' })).toEqual({
      kind: 'criterion',
      criterion: 'lagSecondsAbove',
      reason: 'replication lag cannot be measured, so it cannot be shown to stay within 60 s: east: no answer within 5 s',
      data: { unmeasurable: true, error: 'east: no answer within 5 s' },
    });
    expect(evaluate({ lagRecordsAbove: 100, lagSecondsAbove: 60 }, { kind: 'error', error: 'boom' })).toMatchObject({
      criterion: 'lagRecordsAbove',
      reason: 'replication lag cannot be measured, so it cannot be shown to stay within 100 records: boom',
    });
  });

  it('an unmeasured report (the source unreachable) fires, keeping why', () => {
    const unmeasured = { kind: 'source-unreachable' as const, reason: 'east cannot be read: cannot connect' };
    expect(evaluate({ lagSecondsAbove: 60 }, { kind: 'report', report: unmeasuredReport('offset-syncs', 0, unmeasured) })).toEqual({
      kind: 'criterion',
      criterion: 'lagSecondsAbove',
      reason: 'replication lag cannot be measured, so it cannot be shown to stay within 60 s: east cannot be read: cannot connect',
      data: { unmeasurable: true, unknown: [], unmeasured },
    });
  });

  it('with both bounds, an unmeasured report fires the records bound', () => {
    const report = unmeasuredReport('identical', 0, { kind: 'read-error', reason: 'end offsets on east: not authorized' });
    expect(evaluate({ lagRecordsAbove: 10, lagSecondsAbove: 60 }, { kind: 'report', report })).toMatchObject({ criterion: 'lagRecordsAbove', reason: expect.stringContaining('within 10 records: end offsets on east: not authorized') });
  });

  it('an unknown partition is never zero lag: the criterion fires, naming it and why', () => {
    const signal = evaluate({ lagRecordsAbove: 1000 }, measured([{ lag: 0 }, { unknown: noSync }]));
    expect(signal).toEqual({
      kind: 'criterion',
      criterion: 'lagRecordsAbove',
      reason: 'replication lag cannot be measured, so it cannot be shown to stay within 1000 records: orders-1 unknown (no offset sync for the partition)',
      data: { unmeasurable: true, unknown: [{ topic: 'orders', partition: 1, of: 'records', ...noSync }] },
    });
    expect(evaluate({ lagSecondsAbove: 60 }, measured([{ unknown: noSync }]))).toMatchObject({ criterion: 'lagSecondsAbove' });
  });

  it('an unknown age fires a seconds bound, not a records bound', () => {
    const parts = [{ lag: 2, ageUnknown: 'no answer from broker 1' }];
    expect(evaluate({ lagRecordsAbove: 10 }, measured(parts))).toBeUndefined();
    expect(evaluate({ lagSecondsAbove: 60 }, measured(parts))).toMatchObject({
      criterion: 'lagSecondsAbove',
      reason: 'replication lag cannot be measured, so it cannot be shown to stay within 60 s: orders-0 age unknown (no answer from broker 1)',
    });
    // Both bounds set and only the age unknown: the seconds bound is the one that cannot be shown.
    expect(evaluate({ lagRecordsAbove: 10, lagSecondsAbove: 60 }, measured(parts))).toMatchObject({ criterion: 'lagSecondsAbove' });
    expect(evaluate({ lagRecordsAbove: 10, lagSecondsAbove: 60 }, measured([{ unknown: noSync }]))).toMatchObject({ criterion: 'lagRecordsAbove' });
  });

  it('with both bounds, unknown records fire the records bound, even beside unknown ages', () => {
    const both = { lagRecordsAbove: 10, lagSecondsAbove: 60 };
    expect(evaluate(both, measured([{ lag: 1, ageUnknown: 'no answer' }, { unknown: noSync }]))).toMatchObject({
      criterion: 'lagRecordsAbove',
      reason: expect.stringMatching(/^replication lag cannot be measured, so it cannot be shown to stay within 10 records: /),
    });
  });

  it('a known partition over the bound is named before unknown ones', () => {
    expect(evaluate({ lagRecordsAbove: 10 }, measured([{ unknown: noSync }, { lag: 50 }]))).toMatchObject({ reason: 'replication lag 50 records on orders-1 exceeds 10' });
  });
});

describe('stop criteria: the checker', () => {
  it('stops on Ctrl-C and after maxDuration, and measures lag at most every interval', async () => {
    let now = 1000;
    let measuredCount = 0;
    const ac = new AbortController();
    const s = new StopCriteria({ maxDuration: 5000, lagRecordsAbove: 100 }, 1000, async () => (measuredCount++, report([{ lag: 1 }])), ac.signal, () => now, 2000);
    expect(await s.check()).toBeUndefined();
    now = 2999;
    expect(await s.check()).toBeUndefined();
    expect(measuredCount).toBe(1);
    now = 3000;
    await s.check();
    expect(measuredCount).toBe(2);
    now = 6000;
    expect(await s.check()).toBeUndefined();
    now = 6001;
    expect(await s.check()).toEqual({ kind: 'criterion', criterion: 'maxDuration', reason: 'the action has run longer than 5 s', data: { ranMs: 5001 } });
    ac.abort();
    expect(await s.check()).toEqual({ kind: 'interrupt', reason: 'interrupted (Ctrl-C)' });
  });

  it('asks for seconds only when a seconds bound is set, and never measures without a lag bound', async () => {
    const asked: boolean[] = [];
    const measure = async (seconds: boolean) => (asked.push(seconds), report([{ lag: 0, lagMs: 0 }]));
    await new StopCriteria({ lagRecordsAbove: 5 }, 0, measure, undefined).check();
    await new StopCriteria({ lagSecondsAbove: 5 }, 0, measure, undefined).check();
    expect(asked).toEqual([false, true]);
    expect(await new StopCriteria({ maxDuration: 60_000 }, 0, measure, undefined, () => 0).check()).toBeUndefined();
    expect(await new StopCriteria(undefined, 0, measure, undefined).check()).toBeUndefined();
    expect(asked).toEqual([false, true]);
  });

  it('a measurement that fails fires the criterion (and is kept until the next measurement)', async () => {
    let now = 0;
    let fail = true;
    const s = new StopCriteria({ lagRecordsAbove: 0 }, 0, async () => (fail ? Promise.reject(new Error('east is down')) : report([{ lag: 0 }])), undefined, () => now, 2000);
    expect(await s.check()).toMatchObject({ criterion: 'lagRecordsAbove', reason: expect.stringContaining('cannot be measured') });
    fail = false;
    now = 1999;
    expect(await s.check()).toMatchObject({ criterion: 'lagRecordsAbove' });
    now = 2000;
    expect(await s.check()).toBeUndefined();
  });

  it('a measured lag over the bound fires from the checker too', async () => {
    const s = new StopCriteria({ lagRecordsAbove: 5 }, 0, async () => report([{ lag: 6 }]), undefined);
    expect(await s.check()).toEqual({ kind: 'criterion', criterion: 'lagRecordsAbove', reason: 'replication lag 6 records on orders-0 exceeds 5', data: { maxLag: 6 } });
  });

  it('a measure that resolves to undefined (lag does not apply) fires nothing', async () => {
    const s = new StopCriteria({ lagRecordsAbove: 0, lagSecondsAbove: 0 }, 0, async () => undefined, undefined);
    expect(await s.check()).toBeUndefined();
  });
});

const refused = () =>
  new MultipleErrors('Listing topics failed.', [new NetworkError('Connection to 127.0.0.1:1 failed.', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }) })]);

describe('lagMeasure', () => {
  const req = (action: 'promote' | 'revert') => ({ loaded: { runbook: runbookOf(), file: 'orders.yaml', contentHash: 'x' }, action }) as unknown as ActionRequest;
  const asked: string[] = [];
  const connections = {
    // What a call to a killed broker fails with: the client's refused connection, named by the call.
    get: (c: string) => {
      asked.push(c);
      const down = () => Promise.reject(new FailoverError(`${c}: metadata: cannot connect (ECONNREFUSED)`, { cause: refused() }));
      return { name: c, admin: down, topicNames: down };
    },
  } as unknown as RunbookConnections;
  const roles = { primary: 'east', secondary: 'west' };

  it('measures the flow the action moves data along; a source that cannot be read is a report, never undefined', async () => {
    expect(await lagMeasure(req('revert'), connections, roles)(true)).toMatchObject({
      partitions: [],
      unmeasured: { kind: 'source-unreachable', reason: 'west cannot be read: west: metadata: cannot connect (ECONNREFUSED)' },
    });
    expect(asked).toEqual(['west']);
    expect(await lagMeasure(req('promote'), connections, roles)(false)).toMatchObject({ unmeasured: { kind: 'source-unreachable' } });
    expect(asked).toEqual(['west', 'east']);
  });
});
