import { afterAll, describe, expect, it } from 'vitest';
import { commitOffsetsToEmptyGroup } from '../../../src/kafka/commitOffsets.js';
import { describeGroups } from '../../../src/kafka/groups.js';
import { ProbeConsumer } from '../../../src/kafka/probeClients.js';
import { runKafkaTool } from '../../../src/lab/kafkaTools.js';
import { loadRunbookOrThrow } from '../../../src/runbook/load.js';
import { translateOffsets, type TranslatePlan } from '../../../src/steps/translateOffsets.js';
import type { PairRecords } from '../../../src/steps/types.js';
import { TEST_LAB, eventually, testLabConnections, unique } from '../labHarness.js';
import { commitOnEast, evidence, gate, runCheck, seedTopics, tempDir, writeRunbook } from './checkHarness.js';

/**
 * Groups of both protocols on the lab's Kafka (4.x): the classic one, and
 * the consumer protocol of KIP-848 (GA since Kafka 4.0), which DescribeGroups
 * does not describe and ConsumerGroupDescribe does. Kafka's own Java
 * consumer joins a workload group on west with each `group.protocol`; while
 * it is a member, check's offsets gate fails naming the group and the
 * member, and translate-offsets refuses the group, naming the member, and
 * leaves its committed offsets as they were (read with Kafka's own tool).
 */

type Protocol = 'classic' | 'consumer';

/** What Kafka's own tool shows of a group on west: each member's id (describe --members), or its committed offsets (describe --offsets). */
async function toolRows(group: string, what: '--members' | '--offsets'): Promise<string[][]> {
  const r = await runKafkaTool({ dir: TEST_LAB.dir, tool: 'consumerGroups', cluster: 'west', args: ['--describe', what, '--group', group] });
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith(`${group} `))
    .map((l) => l.trim().split(/\s+/));
}

async function committedByTool(group: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const row of await toolRows(group, '--offsets')) out[`${row[1]}-${row[2]}`] = row[3]!;
  return out;
}

async function listedAs(type: Protocol): Promise<string[]> {
  const r = await runKafkaTool({ dir: TEST_LAB.dir, tool: 'consumerGroups', cluster: 'west', args: ['--list', '--type', type] });
  return r.stdout.split('\n').map((l) => l.trim().split(/\s+/)[0]!);
}

function noRecords(): PairRecords {
  return {
    fence: async () => undefined,
    pendingFence: async () => undefined,
    recordFence: async () => undefined,
    translated: async () => undefined,
    recordTranslated: async () => {
      throw new Error('nothing may be recorded as translated: nothing was committed');
    },
    route: async () => undefined,
    recordRoute: async () => undefined,
    roles: async () => ({ primary: 'east', secondary: 'west' }),
    setRoles: async () => undefined,
  };
}

describe('workload groups of both protocols with a member on west', () => {
  const conns = testLabConnections(10_000);
  afterAll(async () => {
    await Promise.all([conns.east.close(), conns.west.close()]);
  });

  it.each<Protocol>(['classic', 'consumer'])(
    'group.protocol=%s: the offsets gate fails and translate-offsets refuses, each naming the group and the member; the commits stay as they were',
    async (protocol) => {
      const topic = unique(`kip848-${protocol}`);
      const group = unique(`kip848-${protocol}`);
      await seedTopics(conns, [topic], { partitions: 3, records: 30 });
      await commitOnEast(conns.east, group, topic, { 0: 5, 1: 5, 2: 5 });
      // The group's commits on west, before any member: what must not change. Ahead of east's (5), so that
      // MirrorMaker 2's offset sync, which only moves a group forward, leaves them as they are.
      const copy = `east.${topic}`;
      await commitOffsetsToEmptyGroup(conns.west, group, [0, 1, 2].map((partition) => ({ topic: copy, partition, offset: 8 })));
      const rbPath = writeRunbook(tempDir(), { topics: [topic], groups: [group] });
      const stop = new AbortController();
      // No commits of its own (enable.auto.commit=false): whatever moves the group's offsets would be failover's doing.
      const consumer = runKafkaTool({
        dir: TEST_LAB.dir,
        tool: 'consoleConsumer',
        cluster: 'west',
        args: ['--topic', copy, '--group', group, '--consumer-property', `group.protocol=${protocol}`, '--consumer-property', 'enable.auto.commit=false', '--timeout-ms', '240000'],
        timeoutMs: 290_000,
        signal: stop.signal,
      });
      try {
        const memberId = await eventually(`the Java consumer joins on west with group.protocol=${protocol}`, 90_000, async () => {
          const id = (await toolRows(group, '--members'))[0]?.[1];
          return id && id !== '-' ? id : undefined;
        });
        // A group of that very protocol, as Kafka lists it, and as failover describes it.
        expect(await listedAs(protocol)).toContain(group);
        const described = (await describeGroups(conns.west, [group])).get(group);
        expect(described?.groupType).toBe(protocol);
        expect(described?.members.map((m) => m.memberId)).toEqual([memberId]);
        const before = await committedByTool(group);
        expect(Object.values(before)).toEqual(['8', '8', '8']);

        // check: the offsets gate fails, naming the group, the member and the protocol.
        const { result } = await runCheck(rbPath, ['--gate', 'offsets']);
        const e = evidence(result, 'offsets.active-members');
        expect(e.status).toBe('fail');
        expect(e.finding).toContain(group);
        expect(e.finding).toContain(memberId);
        expect(e.finding).toContain(`${protocol} protocol`);
        expect(e.data).toEqual([expect.objectContaining({ group, groupType: protocol })]);
        expect(gate(result, 'offsets').score).toBe(0);

        // translate-offsets: the plan is blocked, naming the member.
        const { runbook } = await loadRunbookOrThrow(rbPath);
        const ctx = { runbook, roles: { primary: 'east', secondary: 'west' }, connection: (c: string) => (c === 'east' ? conns.east : conns.west), records: noRecords(), env: process.env };
        const plan = await translateOffsets.plan(ctx, { direction: 'forward' });
        expect(plan.blocked).toContain(`group ${group} has 1 active member(s) on west`);
        expect(plan.blocked).toContain(memberId);

        // Its apply, handed a plan made while the group was empty, checks the members itself before it commits:
        // the refusal names the member (the broker's own refusal, UNKNOWN_MEMBER_ID, names none).
        const stale: TranslatePlan = {
          direction: 'forward',
          source: 'east',
          target: 'west',
          groups: [{ group, targetState: 'Empty', partitions: [], commits: [0, 1, 2].map((partition) => ({ topic: copy, partition, offset: 1 })) }],
          rewind: 0,
          kept: 0,
          summary: 'commit 3 offsets',
          details: [],
        };
        const refused = await translateOffsets.apply(ctx, stale).then(
          () => undefined,
          (err: unknown) => (err as Error).message,
        );
        expect(refused).toContain(`group ${group} has 1 active member(s) on west (`);
        expect(refused).toContain(`, ${protocol} protocol): ${memberId} (client console-consumer`);
        expect(refused).toContain('nothing was committed');
        expect(await committedByTool(group)).toEqual(before);
      } finally {
        // Nothing of the Java consumer outlives the test, nor its group (deleted once it has left).
        stop.abort();
        await consumer;
        await eventually(`the ${protocol} member leaves ${group}`, 60_000, async () =>
          (await runKafkaTool({ dir: TEST_LAB.dir, tool: 'consumerGroups', cluster: 'west', args: ['--delete', '--group', group] })).exitCode === 0 ? true : undefined,
        );
      }
    },
    420_000,
  );

  it('drill.probe.groupProtocol: the probe consumer joins with the protocol it is given, as Kafka lists it', async () => {
    const topic = unique('probe-protocol');
    await seedTopics(conns, [topic], { partitions: 3, records: 30, rounds: 1 });
    const opts = { bootstrap: [`127.0.0.1:${TEST_LAB.westPort}`], requestTimeoutMs: 10_000, connectionTimeoutMs: 5000, clientId: 'failover-probe-test' };
    for (const protocol of ['consumer', 'classic'] as const) {
      const group = unique(`probe-${protocol}`);
      let read = 0;
      const errors: unknown[] = [];
      const { consumer } = await ProbeConsumer.start(opts, group, protocol, [`east.${topic}`], (rs) => (read += rs.length), (e) => errors.push(e));
      try {
        await eventually(`the probe consumer reads east.${topic} on west (${protocol})`, 60_000, async () => (read >= 30 ? true : undefined));
        expect(await listedAs(protocol)).toContain(group);
        const d = (await describeGroups(conns.west, [group])).get(group);
        expect(d?.groupType).toBe(protocol);
        expect(d?.members.map((m) => m.clientId)).toEqual(['failover-probe-test']);
        expect(errors).toEqual([]);
      } finally {
        await consumer.stop();
      }
    }
  }, 240_000);
});
