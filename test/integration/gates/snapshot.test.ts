import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchGroupOffsets } from '../../../src/kafka/groups.js';
import { partitionEndsOf } from '../../../src/kafka/listOffsets.js';
import { fetchGroupOffsetsBatched } from '../../../src/kafka/offsetFetchBatch.js';
import { rawClusterOf } from '../../../src/kafka/metadata.js';
import { partitionEnds } from '../../../src/kafka/readTopic.js';
import { takeSnapshot } from '../../../src/kafka/snapshot.js';
import type { BrokerWithPool, ProtocolRequest } from '../../../src/kafka/protocol.js';
import { testLabConnections, unique } from '../labHarness.js';
import { commitOnEast, seedTopics } from './checkHarness.js';

/** The snapshot layer's batched reads answer what the one-at-a-time reads answer, in fewer requests. */
describe('snapshot reads on the lab', () => {
  const topics = [unique('snap-a'), unique('snap-b'), unique('snap-c')];
  const groups = [unique('snap-g1'), unique('snap-g2'), unique('snap-g3')];
  const conns = testLabConnections(10_000);

  beforeAll(async () => {
    await seedTopics(conns, topics, { partitions: 3, records: 30, rounds: 1 });
    await commitOnEast(conns.east, groups[0]!, topics[0]!, { 0: 3, 1: 4, 2: 5 });
    await commitOnEast(conns.east, groups[0]!, topics[1]!, { 1: 7 });
    await commitOnEast(conns.east, groups[1]!, topics[2]!, { 0: 10 });
  }, 180_000);

  afterAll(async () => {
    await Promise.all([conns.east.close(), conns.west.close()]);
  });

  it('batched OffsetFetch (v8, after one FindCoordinator v4) returns what kafkajs returns group by group', async () => {
    const md = await takeSnapshot(conns.east, {});
    const asked = [...groups, unique('never-committed')];
    const batched = await fetchGroupOffsetsBatched(conns.east, asked, md.brokers);
    const single = await fetchGroupOffsets(conns.east, asked);
    const norm = (m: typeof batched) =>
      Object.fromEntries(
        [...m.entries()].map(([g, r]) => [g, 'offsets' in r ? [...r.offsets].sort((a, b) => `${a.topic}${a.partition}`.localeCompare(`${b.topic}${b.partition}`)) : r]),
      );
    expect(norm(batched)).toEqual(norm(single));
    const g1 = batched.get(groups[0]!);
    expect(g1 && 'offsets' in g1 ? g1.offsets.length : -1).toBe(4);
    const none = batched.get(asked[3]!);
    expect(none && 'offsets' in none ? none.offsets : none).toEqual([]);
  });

  it('end offsets of many topics take two ListOffsets per broker and equal the per-topic answers', async () => {
    const cluster = await rawClusterOf(conns.east);
    // ListOffsets goes out as failover's own request (wire.ts) over kafkajs's connection pool: count those, and any kafkajs fallback.
    const calls: number[] = [];
    let fallbacks = 0;
    const original = cluster.findBroker.bind(cluster);
    cluster.findBroker = async (opts) => {
      const broker = (await original(opts)) as Awaited<ReturnType<typeof original>> & Partial<BrokerWithPool>;
      const pool = broker.connectionPool!;
      return Object.assign(Object.create(broker) as typeof broker, {
        listOffsets: () => {
          fallbacks++;
          throw new Error('kafkajs listOffsets used');
        },
        connectionPool: {
          send: async <T,>(req: ProtocolRequest<T>): Promise<T> => {
            const answer = await pool.send(req);
            if (req.request.apiName === 'ListOffsets') calls.push(new Set((answer as { topic: string }[]).map((a) => a.topic)).size);
            return answer;
          },
        },
      });
    };
    try {
      const batched = await partitionEndsOf(conns.east, topics);
      const perTopic = await partitionEnds(conns.east, topics);
      expect([...batched.entries()].sort()).toEqual([...perTopic.entries()].sort());
      const md = await takeSnapshot(conns.east, {});
      expect(fallbacks).toBe(0);
      expect(calls.length).toBe(2 * md.brokers.length);
      expect(calls.every((n) => n === topics.length)).toBe(true);
    } finally {
      cluster.findBroker = original;
    }
  });
});
