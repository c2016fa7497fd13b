import { describe, expect, it } from 'vitest';
import { StopCriteria, evaluate } from '../../../src/engine/stopCriteria.js';
import type { LagReport } from '../../../src/kafka/replicationLag.js';

function report(parts: { lag: number; lagMs?: number }[]): LagReport {
  return {
    measuredAt: 0,
    partitions: parts.map((p, i) => ({ sourceTopic: 'orders', targetTopic: 'east.orders', partition: i, sourceEnd: 100, targetEnd: 100 - p.lag, lag: p.lag, ...(p.lagMs === undefined ? {} : { lagMs: p.lagMs }) })),
    maxLag: Math.max(...parts.map((p) => p.lag)),
    totalLag: parts.reduce((s, p) => s + p.lag, 0),
    maxLagMs: Math.max(...parts.map((p) => p.lagMs ?? 0)),
    missingSource: [],
    missingTarget: [],
  };
}

describe('stop criteria', () => {
  it('fire on the worst partition, naming it, and not at the bound itself', () => {
    expect(evaluate({ lagRecordsAbove: 10 }, report([{ lag: 3 }, { lag: 10 }]))).toBeUndefined();
    expect(evaluate({ lagRecordsAbove: 10 }, report([{ lag: 3 }, { lag: 11 }]))).toMatchObject({ criterion: 'lagRecordsAbove', reason: expect.stringContaining('orders-1') });
    expect(evaluate({ lagSecondsAbove: 5 }, report([{ lag: 1, lagMs: 5000 }]))).toBeUndefined();
    expect(evaluate({ lagSecondsAbove: 5 }, report([{ lag: 1, lagMs: 900 }, { lag: 1, lagMs: 6100 }]))).toMatchObject({ criterion: 'lagSecondsAbove', reason: expect.stringContaining('6.1 s') });
    expect(evaluate({ lagRecordsAbove: 0 }, undefined)).toBeUndefined();
  });

  it('stop on Ctrl-C and after maxDuration, and measure lag at most every interval', async () => {
    let now = 1000;
    let measured = 0;
    const ac = new AbortController();
    const s = new StopCriteria({ maxDuration: 5000, lagRecordsAbove: 100 }, 1000, async () => (measured++, report([{ lag: 1 }])), ac.signal, () => now, 2000);
    expect(await s.check()).toBeUndefined();
    now = 2000;
    expect(await s.check()).toBeUndefined();
    expect(measured).toBe(1);
    now = 3500;
    await s.check();
    expect(measured).toBe(2);
    now = 6001;
    expect(await s.check()).toMatchObject({ criterion: 'maxDuration' });
    ac.abort();
    expect(await s.check()).toMatchObject({ kind: 'interrupt' });
  });

  it('a lag that cannot be measured stops nothing', async () => {
    const s = new StopCriteria({ lagRecordsAbove: 0 }, 0, async () => Promise.reject(new Error('east is down')), undefined);
    expect(await s.check()).toBeUndefined();
  });
});
