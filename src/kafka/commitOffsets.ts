import type { KafkaConnection } from './connection.js';
import { hasKafkaError } from './kafkaErrors.js';
import { whileCoordinatorsMove } from './leaderRetry.js';
import { byTopic } from './metadata.js';

export interface OffsetToCommit {
  topic: string;
  partition: number;
  offset: number;
}

/**
 * Commits offsets for a group that has no members, in one OffsetCommit
 * request with generation -1 and no member id: what Kafka's own
 * AdminClient.alterConsumerGroupOffsets sends, and what the client's
 * `alterConsumerGroupOffsets` sends too. The broker accepts it only while
 * the group is empty (or does not exist yet) and answers UNKNOWN_MEMBER_ID
 * otherwise, for groups of either protocol, so a consumer that joins
 * between our check and the commit cannot have its position overwritten.
 */
export async function commitOffsetsToEmptyGroup(conn: KafkaConnection, group: string, offsets: readonly OffsetToCommit[]): Promise<void> {
  if (offsets.length === 0) return;
  const admin = await conn.admin();
  const topics = [...byTopic(offsets).entries()].map(([name, ps]) => ({
    name,
    partitionOffsets: ps.map((p) => ({ partition: p.partition, offset: BigInt(p.offset) })),
  }));
  try {
    // A coordinator that moves (a broker restart, an election of __consumer_offsets' leader) is found again by the next attempt.
    await whileCoordinatorsMove(() => conn.call(`commit ${offsets.length} offset(s) of group ${group}`, () => admin.alterConsumerGroupOffsets({ groupId: group, topics }), conn.timeoutMs, 'broker'));
  } catch (e) {
    if (hasKafkaError(e, 'UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS', 'STALE_MEMBER_EPOCH')) {
      throw new Error(`group ${group} on ${conn.name} has active members; Kafka refuses to overwrite the offsets of a group in use`, { cause: e });
    }
    throw e;
  }
}

/**
 * Removes a group's commits of some partitions (OffsetDelete, KIP-496),
 * as `kafka-consumer-groups --delete-offsets` does: what `failover abort`
 * needs to put back a group that had no commit there before a translation.
 * The coordinator refuses while the group has members subscribed to the
 * topic (GROUP_SUBSCRIBED_TO_TOPIC), so a live consumer is never disturbed.
 */
export async function deleteCommittedOffsets(conn: KafkaConnection, group: string, partitions: readonly { topic: string; partition: number }[]): Promise<void> {
  if (partitions.length === 0) return;
  const admin = await conn.admin();
  const topics = [...byTopic(partitions).entries()].map(([name, ps]) => ({ name, partitionIndexes: ps.map((p) => p.partition) }));
  await whileCoordinatorsMove(() => conn.call(`delete ${partitions.length} offset(s) of group ${group}`, () => admin.deleteConsumerGroupOffsets({ groupId: group, topics }), conn.timeoutMs, 'broker'));
}
