import { afterAll, describe, expect, it } from 'vitest';
import { runKafkaTool } from '../../../src/lab/kafkaTools.js';
import { TEST_LAB, eventually, testLabConnections, unique } from '../labHarness.js';
import { commitOnEast, evidence, gate, runCheck, seedTopics, tempDir, writeRunbook } from './checkHarness.js';

/**
 * A workload group on the KIP-848 consumer protocol (GA since Kafka 4.0):
 * DescribeGroups does not describe it, ConsumerGroupDescribe does. Kafka's
 * own Java consumer joins it on west with group.protocol=consumer; check's
 * offsets gate must fail, naming the group and the member, as it does for a
 * classic member.
 */
describe('a consumer-protocol (KIP-848) group with a member on west', () => {
  const conns = testLabConnections(10_000);
  afterAll(async () => {
    await Promise.all([conns.east.close(), conns.west.close()]);
  });

  it('fails the offsets gate, naming the group and the member the broker reports', async () => {
    const topic = unique('kip848');
    const group = unique('kip848');
    await seedTopics(conns, [topic], { partitions: 3, records: 30 });
    await commitOnEast(conns.east, group, topic, { 0: 5, 1: 5, 2: 5 });
    const rb = writeRunbook(tempDir(), { topics: [topic], groups: [group] });
    // Ends by itself once it has read nothing for 45 s: long enough to be seen, short enough for the test to wait for.
    const consumer = runKafkaTool({
      dir: TEST_LAB.dir,
      tool: 'consoleConsumer',
      cluster: 'west',
      args: ['--topic', `east.${topic}`, '--group', group, '--consumer-property', 'group.protocol=consumer', '--timeout-ms', '45000'],
      timeoutMs: 120_000,
    });
    try {
      // The member as Kafka's own tool sees it: kafka-consumer-groups --describe --members.
      const memberId = await eventually('the Java consumer joins on west with the consumer protocol', 90_000, async () => {
        const r = await runKafkaTool({ dir: TEST_LAB.dir, tool: 'consumerGroups', cluster: 'west', args: ['--describe', '--members', '--group', group] });
        const row = r.stdout.split('\n').find((l) => l.startsWith(`${group} `));
        const id = row?.trim().split(/\s+/)[1];
        return id && id !== '-' ? id : undefined;
      });
      // It is a consumer-protocol group, as Kafka lists it (a classic one would prove nothing new).
      const listed = await runKafkaTool({ dir: TEST_LAB.dir, tool: 'consumerGroups', cluster: 'west', args: ['--list', '--type', 'consumer'] });
      expect(listed.stdout.split('\n').map((l) => l.trim().split(/\s+/)[0])).toContain(group);
      const { result } = await runCheck(rb, ['--gate', 'offsets']);
      const e = evidence(result, 'offsets.active-members');
      expect(e.status).toBe('fail');
      expect(e.finding).toContain(group);
      expect(e.finding).toContain(memberId);
      expect(gate(result, 'offsets').score).toBe(0);
    } finally {
      // Nothing of the Java consumer outlives the test, nor its group (deleted once it has left).
      await consumer;
      await runKafkaTool({ dir: TEST_LAB.dir, tool: 'consumerGroups', cluster: 'west', args: ['--delete', '--group', group] });
    }
  }, 300_000);
});
