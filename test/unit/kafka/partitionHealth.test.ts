import { describe, expect, it } from 'vitest';
import { degradedPartitions } from '../../../src/kafka/partitionHealth.js';
import type { RawTopicMetadata } from '../../../src/kafka/metadata.js';

const part = (partitionId: number, leader: number, replicas: number[], isr: number[]) => ({ partitionErrorCode: 0, partitionId, leader, leaderEpoch: 3, replicas, isr });
const topic = (name: string, ...parts: ReturnType<typeof part>[]): RawTopicMetadata => ({ topicErrorCode: 0, topic: name, partitionMetadata: parts });

describe('degradedPartitions', () => {
  it('finds nothing when every partition has a leader and its whole ISR', () => {
    expect(degradedPartitions([topic('orders', part(0, 1, [1, 2, 3], [1, 2, 3]), part(1, 2, [2, 3, 1], [3, 1, 2]))], () => 2)).toEqual([]);
  });

  it('calls a partition without a leader offline, whatever its ISR says', () => {
    expect(degradedPartitions([topic('solo', part(0, -1, [2], [2]))])).toEqual([
      { topic: 'solo', partition: 0, kind: 'offline', leader: -1, replicas: [2], isr: [2], outOfSync: [] },
    ]);
  });

  it('tells under-replicated (enough in sync for acks=all) from under min.insync.replicas', () => {
    const md = [topic('orders', part(0, 1, [1, 2, 3], [1, 3]), part(1, 3, [2, 3, 1], [3]), part(2, 1, [1, 2, 3], [1, 2, 3]))];
    expect(degradedPartitions(md, () => 2)).toEqual([
      { topic: 'orders', partition: 0, kind: 'under-replicated', leader: 1, replicas: [1, 2, 3], isr: [1, 3], outOfSync: [2] },
      { topic: 'orders', partition: 1, kind: 'under-min-isr', leader: 3, replicas: [2, 3, 1], isr: [3], outOfSync: [2, 1] },
    ]);
  });

  it('counts an ISR exactly at min.insync.replicas as serving acks=all', () => {
    expect(degradedPartitions([topic('t', part(0, 1, [1, 2, 3], [1, 2]))], () => 2).map((d) => d.kind)).toEqual(['under-replicated']);
  });

  it('without a known min.insync.replicas, a partition with a leader is at most under-replicated', () => {
    expect(degradedPartitions([topic('t', part(0, 1, [1, 2, 3], [1]))]).map((d) => d.kind)).toEqual(['under-replicated']);
    expect(degradedPartitions([topic('t', part(0, 1, [1, 2, 3], [1]))], (t) => (t === 'other' ? 2 : undefined)).map((d) => d.kind)).toEqual(['under-replicated']);
  });

  it('a single replica in sync is not degraded, even with min.insync.replicas 1', () => {
    expect(degradedPartitions([topic('t', part(0, 1, [1], [1]))], () => 1)).toEqual([]);
  });

  it('lists topics and partitions in order, whatever order Metadata gave', () => {
    const md = [topic('b', part(1, -1, [1], [1]), part(0, -1, [1], [1])), topic('a', part(0, -1, [1], [1])), topic('c', part(0, -1, [1], [1]))];
    expect(degradedPartitions([md[0]!, md[2]!, md[1]!]).map((d) => `${d.topic}-${d.partition}`)).toEqual(['a-0', 'b-0', 'b-1', 'c-0']);
    expect(degradedPartitions([md[1]!, md[0]!]).map((d) => `${d.topic}-${d.partition}`)).toEqual(['a-0', 'b-0', 'b-1']);
  });

  it('copies the replica lists, so the answer does not change with the metadata', () => {
    const md = [topic('t', part(0, 1, [1, 2], [1]))];
    const [d] = degradedPartitions(md);
    md[0]!.partitionMetadata[0]!.replicas.push(9);
    md[0]!.partitionMetadata[0]!.isr.push(9);
    expect(d!.replicas).toEqual([1, 2]);
    expect(d!.isr).toEqual([1]);
  });
});
