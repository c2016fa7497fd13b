import { describe, expect, it } from 'vitest';
import { judgePartitionHealth } from '../../../src/gates/partitionHealth.js';
import type { RawTopicMetadata } from '../../../src/kafka/metadata.js';
import { snapshot, unreachable } from './fakeContext.js';

const part = (partitionId: number, leader: number, replicas: number[], isr: number[]) => ({ partitionErrorCode: 0, partitionId, leader, leaderEpoch: 3, replicas, isr });
const topic = (name: string, ...parts: ReturnType<typeof part>[]): RawTopicMetadata => ({ topicErrorCode: 0, topic: name, partitionMetadata: parts });
const healthy = (name: string) => topic(name, part(0, 1, [1, 2, 3], [1, 2, 3]), part(1, 2, [2, 3, 1], [2, 3, 1]));
const minIsr2 = (topicName: string) => ({ ok: true as const, value: new Map([[topicName, { 'min.insync.replicas': { value: '2' } }]]) as never });

describe('compatibility.partition-health', () => {
  it('passes when every workload partition is served in full on both clusters', () => {
    const e = judgePartitionHealth(snapshot('east', { replicaStates: [healthy('orders')] }), snapshot('west', { replicaStates: [healthy('east.orders')] }));
    expect(e.status).toBe('pass');
    expect(e.finding).toBe('every partition of the workload topics has a leader and all its replicas in sync (2 topics on the two clusters)');
  });

  it('fails, blocking, on an offline partition on the secondary, where a promote sends the clients', () => {
    const e = judgePartitionHealth(
      snapshot('east', { replicaStates: [healthy('orders')] }),
      snapshot('west', { replicaStates: [topic('east.orders', part(0, -1, [2], [2]), part(1, 1, [1], [1]))] }),
    );
    expect(e.status).toBe('fail');
    expect(e.blocking).toBeUndefined();
    expect(e.finding).toBe('west: east.orders-0 offline (no leader; replicas 2, ISR 2)');
    expect(e.hint).toContain('clients moved to west now would fail on these partitions');
  });

  it('fails on the secondary under min.insync.replicas, and says what else is degraded', () => {
    const e = judgePartitionHealth(
      snapshot('east', { replicaStates: [topic('orders', part(0, 1, [1, 2, 3], [1, 3]))] }),
      snapshot('west', { replicaStates: [topic('east.orders', part(0, 3, [1, 2, 3], [3]))], configs: minIsr2('east.orders') }),
    );
    expect(e.status).toBe('fail');
    expect(e.finding).toBe('west: east.orders-0 under min.insync.replicas (ISR 3 of 1,2,3, 1,2 out of sync): acks=all writes are refused; also 1 more degraded partition');
    expect((e.data as { degraded: unknown[] }).degraded).toHaveLength(2);
  });

  it('warns on an offline partition on the primary: what its clients feel now, not a reason to stay', () => {
    const e = judgePartitionHealth(
      snapshot('east', { replicaStates: [topic('orders', part(0, -1, [2], []))] }),
      snapshot('west', { replicaStates: [healthy('east.orders')] }),
    );
    expect(e.status).toBe('warn');
    expect(e.finding).toBe('east: orders-0 offline (no leader; replicas 2, ISR empty)');
    expect(e.hint).toBe("east's clients feel this now; west serves every workload partition");
  });

  it('warns on under-replicated partitions on either side, naming them and the replicas out of sync', () => {
    const e = judgePartitionHealth(
      snapshot('east', { replicaStates: [topic('orders', part(0, 1, [1, 2, 3], [1, 3]), part(1, 3, [2, 3, 1], [3, 1]))], configs: minIsr2('orders') }),
      snapshot('west', { replicaStates: [topic('east.orders', part(0, 1, [1, 2, 3], [1, 3]))] }),
    );
    expect(e.status).toBe('warn');
    expect(e.finding).toBe('east: orders-0 under-replicated (ISR 1,3 of 1,2,3, 2 out of sync), east: orders-1 under-replicated (ISR 3,1 of 2,3,1, 2 out of sync) and 1 more');
    expect(e.hint).toContain('writes and reads go on');
  });

  it('names an under-replicated partition without a list of lost replicas when none is out of sync', () => {
    // ISR shorter than replicas is the only way to be under-replicated; an ISR naming every replica is healthy.
    const e = judgePartitionHealth(snapshot('east', { replicaStates: [healthy('orders')] }), snapshot('west', { replicaStates: [topic('east.orders', part(0, 1, [1, 2], [1]))] }));
    expect(e.finding).toBe('west: east.orders-0 under-replicated (ISR 1 of 1,2, 2 out of sync)');
  });

  it('judges the secondary alone when the primary is down, and skips when the secondary is', () => {
    const down = judgePartitionHealth(unreachable('east'), snapshot('west', { replicaStates: [healthy('east.orders')] }));
    expect(down.status).toBe('pass');
    expect(down.finding).toContain('(1 topic on the two clusters)');
    const skipped = judgePartitionHealth(snapshot('east', { replicaStates: [healthy('orders')] }), unreachable('west'));
    expect(skipped.status).toBe('skip');
    expect(skipped.finding).toBe('secondary west unreachable: partition health not read');
  });
});
