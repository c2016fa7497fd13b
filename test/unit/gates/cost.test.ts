import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { COST_SAMPLE_MS, costGate } from '../../../src/gates/cost.js';
import { contextOf, fakeProbes, snapshot } from './fakeContext.js';

/** The rate sample starts when the snapshot read the ends; the gate waits only what is left of the second. */
async function run(endsAgoMs: number) {
  const slept: number[] = [];
  const endsAt = Date.now() - endsAgoMs;
  const primary = snapshot('east', { endsAt, parts: [{ topic: 'orders', partitions: [{ earliest: 0, latest: 100 }] }] });
  const probes = fakeProbes({
    sleep: async (ms) => void slept.push(ms),
    ends: async () => new Map([['orders', [{ partition: 0, earliest: 0, latest: 300 }]]]),
  });
  const ev = await costGate(contextOf({ primary, secondary: snapshot('west'), probes }));
  return { slept, rate: ev.find((e) => e.check === 'cost.replication-rate')!.data as { sampleSeconds: number; records: number } };
}

describe('cost gate: the replication-rate sample', () => {
  // A frozen clock, so the arithmetic is exact whatever the machine's load.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2026, 10, 24, 12, 0, 0));
  });
  afterEach(() => vi.useRealTimers());

  it('waits only the rest of the sample when the ends were read a moment ago', async () => {
    const { slept, rate } = await run(300);
    expect(slept).toEqual([COST_SAMPLE_MS - 300]);
    expect(rate.records).toBe(200);
  });

  it('does not wait when the other gates already filled the sample, and divides by the real span', async () => {
    const { slept, rate } = await run(2000);
    expect(slept).toEqual([]);
    expect(rate.sampleSeconds).toBe(2);
  });
});
