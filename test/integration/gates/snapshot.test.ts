import { ListOffsetTimestamps, connectionsApiChannel } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeCluster } from '../../../src/kafka/clusterInfo.js';
import { fetchGroupOffsets } from '../../../src/kafka/groups.js';
import { partitionEndsOf } from '../../../src/kafka/listOffsets.js';
import { fetchGroupOffsetsBatched } from '../../../src/kafka/offsetFetchBatch.js';
import { takeSnapshot } from '../../../src/kafka/snapshot.js';
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

  it("batched OffsetFetch (v8, after one FindCoordinator v4) returns what the client's OffsetFetch returns group by group", async () => {
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

  it("end offsets of many topics take two ListOffsets per broker and equal the client's own ListOffsets answers", async () => {
    const { brokers } = await describeCluster(conns.east);
    // Every request the client sends is published on its diagnostics channel; count ListOffsets (API key 2) and the topics each names.
    const calls: number[] = [];
    const listen = {
      asyncStart(ctx: Record<string, unknown>) {
        if (ctx.apiKey === 2 && Array.isArray(ctx.result)) calls.push(new Set((ctx.result as { topic: string }[]).map((a) => a.topic)).size);
      },
    };
    connectionsApiChannel.subscribe(listen as Parameters<typeof connectionsApiChannel.subscribe>[0]);
    let batched;
    try {
      batched = await partitionEndsOf(conns.east, topics);
    } finally {
      connectionsApiChannel.unsubscribe(listen as Parameters<typeof connectionsApiChannel.unsubscribe>[0]);
    }
    expect(calls.length).toBe(2 * brokers.length);
    expect(calls.every((n) => n === topics.length)).toBe(true);

    const admin = await conns.east.admin();
    const theirs = async (timestamp: bigint) =>
      admin.listOffsets({ topics: topics.map((name) => ({ name, partitions: [0, 1, 2].map((partitionIndex) => ({ partitionIndex, timestamp })) })) });
    const [low, high] = await Promise.all([theirs(ListOffsetTimestamps.EARLIEST), theirs(ListOffsetTimestamps.LATEST)]);
    const expected = new Map(
      topics.map((t) => {
        const of = (answer: typeof low, p: number) => Number(answer.find((x) => x.name === t)!.partitions.find((x) => x.partitionIndex === p)!.offset);
        return [t, [0, 1, 2].map((partition) => ({ partition, earliest: of(low, partition), latest: of(high, partition) }))];
      }),
    );
    expect([...batched.entries()].sort()).toEqual([...expected.entries()].sort());
    // Every partition was written (a produce retried on a fresh topic may have written some twice, so no exact count).
    expect([...batched.values()].flat().every((e) => e.latest >= 10)).toBe(true);
  });
});
