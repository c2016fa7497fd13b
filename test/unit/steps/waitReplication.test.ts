import { describe, expect, it } from 'vitest';
import { summarise, unmeasuredReport, type LagReport, type PartitionLag } from '../../../src/kafka/replicationLag.js';
import { describeLag, summariseLag } from '../../../src/steps/waitReplication.js';

function report(partitions: PartitionLag[]): LagReport {
  return { measuredAt: 0, mapping: 'offset-syncs', partitions, ...summarise(partitions, false), missingSource: [], missingTarget: ['east.refunds'] };
}
const p = (partition: number, over: { lag: number } | { unknown: PartitionLag['unknown'] }): PartitionLag =>
  ({ sourceTopic: 'orders', targetTopic: 'east.orders', partition, sourceEnd: 100, ...over }) as PartitionLag;

describe('wait-replication lag lines', () => {
  it('says "N record(s) behind" only when every partition is known', () => {
    const known = summariseLag(report([p(0, { lag: 0 }), p(1, { lag: 7 }), p(2, { lag: 3 })]));
    expect(known).toEqual({ maxLag: 7, totalLag: 10, partitions: 3, lagging: [{ topic: 'orders', partition: 1, lag: 7 }, { topic: 'orders', partition: 2, lag: 3 }], unknown: [], unknownCount: 0, missingTarget: ['east.refunds'] });
    expect(describeLag('east->west', known)).toBe('east->west: 10 record(s) behind, worst partition 7');
  });

  it('an unknown partition is named with its reason, and the count of the others is not "behind"', () => {
    const lag = summariseLag(report([p(0, { lag: 0 }), p(1, { unknown: { kind: 'no-mapping', reason: 'no offset sync for the partition' } })]));
    expect(lag.unknownCount).toBe(1);
    expect(describeLag('east->west', lag)).toBe('east->west: lag unknown for 1 of 2 partition(s): orders-1 unknown (no offset sync for the partition); worst known partition 0');
  });

  it('lists at most 20 unknown partitions and says how many more there are', () => {
    const many = Array.from({ length: 25 }, (_, i) => p(i, { unknown: { kind: 'read-error', reason: 'x' } }));
    const lag = summariseLag(report(many));
    expect(lag.unknown).toHaveLength(20);
    expect(lag.unknownCount).toBe(25);
    expect(describeLag('a->b', lag)).toBe('a->b: lag unknown for 25 of 25 partition(s): orders-0 unknown (x), orders-1 unknown (x) and 23 more; worst known partition 0');
  });

  it('a flow that could not be measured at all is unknown, with why', () => {
    const lag = summariseLag(unmeasuredReport('identical', 0, { kind: 'source-unreachable', reason: 'east cannot be read' }));
    expect(lag.unmeasured).toEqual({ kind: 'source-unreachable', reason: 'east cannot be read' });
    expect(describeLag('east->west', lag)).toBe('east->west: lag unknown (east cannot be read)');
  });
});
