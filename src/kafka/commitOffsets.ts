import type { KafkaConnection } from './connection.js';
import { byTopic } from './metadata.js';
import { Writer, protocolError, protocolRequest, requireApi, throwPartitionError } from './protocol.js';

export interface OffsetToCommit {
  topic: string;
  partition: number;
  offset: number;
}

interface CoordinatorBroker {
  offsetCommit(args: {
    groupId: string;
    groupGenerationId: number;
    memberId: string;
    topics: { topic: string; partitions: { partition: number; offset: string; metadata?: string | null }[] }[];
  }): Promise<{ responses: { topic: string; partitions: { partition: number; errorCode: number }[] }[] }>;
}

interface CoordinatorCluster {
  findGroupCoordinator(args: { groupId: string }): Promise<CoordinatorBroker>;
}

/**
 * Commits offsets for a group that has no members, in one OffsetCommit
 * request with generation -1 and no member id: what Kafka's own
 * AdminClient.alterConsumerGroupOffsets sends. The broker accepts it only
 * while the group is empty (or does not exist yet) and answers
 * UNKNOWN_MEMBER_ID otherwise, so a consumer that joins between our check
 * and the commit cannot have its position overwritten.
 *
 * kafkajs's admin.setOffsets has the same precondition, but joins the group
 * once per topic to commit through a consumer; one request per group keeps
 * a switch of hundreds of groups within seconds.
 */
export async function commitOffsetsToEmptyGroup(conn: KafkaConnection, group: string, offsets: readonly OffsetToCommit[]): Promise<void> {
  if (offsets.length === 0) return;
  const cluster = (await conn.rawCluster()) as unknown as CoordinatorCluster;
  const coordinator = await conn.call(`coordinator of group ${group}`, () => cluster.findGroupCoordinator({ groupId: group }));
  const topics = [...byTopic(offsets).entries()].map(([topic, ps]) => ({
    topic,
    partitions: ps.map((p) => ({ partition: p.partition, offset: String(p.offset), metadata: null })),
  }));
  try {
    await conn.call(`commit ${offsets.length} offset(s) of group ${group}`, () =>
      coordinator.offsetCommit({ groupId: group, groupGenerationId: -1, memberId: '', topics }),
    );
  } catch (e) {
    const type = (e as { type?: string }).type ?? (e as { cause?: { type?: string } }).cause?.type ?? '';
    if (/UNKNOWN_MEMBER_ID|ILLEGAL_GENERATION|REBALANCE_IN_PROGRESS/.test(type + String((e as Error).message))) {
      throw new Error(`group ${group} on ${conn.name} has active members; Kafka refuses to overwrite the offsets of a group in use`, { cause: e });
    }
    throw e;
  }
}

const OFFSET_DELETE = 47;

/**
 * Removes a group's commits of some partitions (OffsetDelete v0, KIP-496),
 * as `kafka-consumer-groups --delete-offsets` does: what `failover abort`
 * needs to put back a group that had no commit there before a translation.
 * The coordinator refuses while the group has members subscribed to the
 * topic (GROUP_SUBSCRIBED_TO_TOPIC), so a live consumer is never disturbed.
 */
export async function deleteCommittedOffsets(conn: KafkaConnection, group: string, partitions: readonly { topic: string; partition: number }[]): Promise<void> {
  if (partitions.length === 0) return;
  const cluster = (await conn.rawCluster()) as unknown as { findGroupCoordinator(args: { groupId: string }): Promise<object> };
  const coordinator = await conn.call(`coordinator of group ${group}`, () => cluster.findGroupCoordinator({ groupId: group }));
  const broker = requireApi(coordinator, -1, { apiKey: OFFSET_DELETE, apiVersion: 0, apiName: 'OffsetDelete' }, '2.4');
  const topics = [...byTopic(partitions).entries()];
  const body = new Writer()
    .string(group)
    .array(topics, (w, [topic, ps]) => w.string(topic).array(ps, (x, p) => x.int32(p.partition)))
    .done();
  const answer = await conn.call(`delete ${partitions.length} offset(s) of group ${group}`, () =>
    broker.connectionPool.send(
      protocolRequest({ apiKey: OFFSET_DELETE, apiVersion: 0, apiName: 'OffsetDelete', flexible: false }, body, (r) => {
        const errorCode = r.int16();
        r.int32(); // throttle
        const parts = r.array((t) => {
          const topic = t.string() ?? '';
          return t.array((p) => ({ topic, partition: p.int32(), errorCode: p.int16() }));
        }).flat();
        return { errorCode, parts };
      }),
    ),
  );
  if (answer.errorCode !== 0) throw new Error(`${conn.name}: deleting offsets of group ${group}: ${protocolError(answer.errorCode).message}`);
  throwPartitionError(answer.parts);
}
