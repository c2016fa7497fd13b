import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTopics } from '../../../src/kafka/clusterInfo.js';
import { commitOffsetsToEmptyGroup } from '../../../src/kafka/commitOffsets.js';
import type { KafkaConnection } from '../../../src/kafka/connection.js';
import { decodeCheckpoint, decodeHeartbeat } from '../../../src/kafka/mm2Records.js';
import { newestRecords, readTopic } from '../../../src/kafka/readTopic.js';
import { eventually, testLabConnections, unique, type TestLab } from '../labHarness.js';
import { testProducer } from '../testClients.js';

/** The replication facts every supported Kafka version must show; run on the main lab and the 3.9 smoke lab. */
export function replicationSuite(title: string, lab: () => TestLab): void {
describe(title, () => {
  let east: KafkaConnection;
  let west: KafkaConnection;
  beforeAll(() => {
    ({ east, west } = testLabConnections(5000, lab()));
  });
  afterAll(async () => {
    await Promise.all([east.close(), west.close()]);
  });

  it('a record produced on east arrives on west as east.<topic> with the same key, value, headers and timestamp', async () => {
    const topic = unique('orders');
    await ensureTopics(east, [{ topic, partitions: 3 }]);
    const producer = testProducer(east);
    const timestamp = String(Date.now() - 60_000);
    await producer.send({
      topic,
      acks: -1,
      messages: [{ key: 'order-42', value: '{"total":12.5}', partition: 1, timestamp, headers: { 'event-id': 'e-1', trace: 'abc' } }],
    });
    await producer.close();

    const remote = `east.${topic}`;
    const rec = await eventually(`${remote} on west`, 30_000, async () => {
      const admin = await west.admin();
      if (!(await admin.listTopics()).includes(remote)) return undefined;
      const recs = await readTopic(west, remote);
      return recs[0];
    });
    expect(rec.partition).toBe(1);
    expect(rec.key?.toString()).toBe('order-42');
    expect(rec.value?.toString()).toBe('{"total":12.5}');
    expect(rec.timestamp).toBe(Number(timestamp));
    expect(rec.headers['event-id']?.toString()).toBe('e-1');
    expect(rec.headers.trace?.toString()).toBe('abc');
  });

  it('a group that commits on east gets a checkpoint on west within 10 s, decoded with the right offsets', async () => {
    const topic = unique('payments');
    const group = unique('billing');
    await ensureTopics(east, [{ topic, partitions: 2 }]);
    const producer = testProducer(east);
    const produce = (from: number, n: number) =>
      producer.send({ topic, acks: -1, messages: Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}`, partition: 0 })) });
    const checkpoints = async () =>
      (await readTopic(west, 'east.checkpoints.internal'))
        .map((r) => ({ r, c: decodeCheckpoint(r.key, r.value) }))
        .filter(({ c }) => c.group === group && c.topic === `east.${topic}` && c.partition === 0);

    // A group MM2 has never seen makes its checkpoint connector reconfigure its
    // tasks (seconds); a workload group is known long before a failover. So the
    // group commits once and is seen before we time the checkpoint.
    await produce(0, 5);
    await commitOffsetsToEmptyGroup(east, group, [{ topic, partition: 0, offset: 5 }]);
    await eventually('first checkpoint of a new group', 60_000, async () => ((await checkpoints()).length > 0 ? true : undefined));

    await produce(5, 20);
    await producer.close();
    await eventually('replicated records', 30_000, async () => ((await readTopic(west, `east.${topic}`)).length === 25 ? true : undefined));
    const committedAt = Date.now();
    await commitOffsetsToEmptyGroup(east, group, [{ topic, partition: 0, offset: 25 }]);

    // MM2 translates conservatively: until it has read the offset sync of the
    // newest record, a checkpoint may point earlier (a replay), never later (a skip).
    const cp = await eventually('checkpoint translating to the end', 10_000, async () =>
      (await checkpoints()).find(({ c }) => c.upstreamOffset === 25n && c.downstreamOffset === 25n),
    );
    expect(Number(cp.r.timestamp) - committedAt).toBeLessThan(10_000);
    // MM2 names the remote topic in the checkpoint key.
    expect(cp.c.topic).toBe(`east.${topic}`);
    expect(cp.c.upstreamOffset).toBe(25n);
    // The remote topic was empty before MM2 copied it, so the offsets coincide.
    expect(cp.c.downstreamOffset).toBe(25n);
    const all = await checkpoints();
    expect(all.every(({ c }) => c.downstreamOffset <= c.upstreamOffset)).toBe(true);
  });

  it('heartbeats are decoded and fresh in both directions', async () => {
    for (const [target, source, targetAlias] of [[west, 'east', 'west'], [east, 'west', 'east']] as const) {
      // The heartbeat connector of flow source->target writes `heartbeats` on the target...
      const own = await newestRecords(target, 'heartbeats');
      const decoded = own.map((r) => decodeHeartbeat(r.key, r.value)).filter((h) => h.sourceClusterAlias === source);
      expect(decoded.length).toBeGreaterThan(0);
      const newest = decoded.reduce((a, b) => (a.timestamp > b.timestamp ? a : b));
      expect(newest.targetClusterAlias).toBe(targetAlias);
      expect(Date.now() - newest.timestamp).toBeLessThan(10_000);
      // ...and the source's own heartbeats arrive replicated as `<source>.heartbeats`, keeping their timestamps.
      const replicated = await newestRecords(target, `${source}.heartbeats`);
      expect(replicated.length).toBeGreaterThan(0);
      const hb = decodeHeartbeat(replicated[0]!.key, replicated[0]!.value);
      expect(hb.targetClusterAlias).toBe(source);
      expect(Date.now() - Math.max(...replicated.map((r) => r.timestamp))).toBeLessThan(10_000);
    }
  });
});
}
