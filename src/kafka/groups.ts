import { FindCoordinatorKeyTypes, ResponseError, consumerGroupDescribeV0, type Admin } from '@platformatic/kafka';
import type { KafkaConnection } from './connection.js';
import { errorTree } from './kafkaErrors.js';
import { STALE_COORDINATOR_CODES, whileCoordinatorsMove } from './leaderRetry.js';
import { canSend, protocolError } from './protocol.js';

export interface GroupMember {
  memberId: string;
  clientId: string;
  clientHost: string;
}

export interface GroupDescription {
  group: string;
  /** Kafka's group state: Empty, Stable, PreparingRebalance, CompletingRebalance, Dead (no such group) */
  state: string;
  protocolType: string;
  members: GroupMember[];
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: number;
  metadata: string | null;
}

/** The result for one group: its commits, or why they could not be read. */
export type GroupOffsetsResult = { group: string; offsets: CommittedOffset[] } | { group: string; error: string };

/**
 * Every named group: one DescribeGroups per coordinator (the classic
 * protocol's groups), then one ConsumerGroupDescribe per coordinator for
 * the groups DescribeGroups calls Dead with no members. A group of the
 * consumer protocol (KIP-848) looks exactly so to DescribeGroups, even
 * while it has members; ConsumerGroupDescribe tells it from a group that
 * does not exist (GROUP_ID_NOT_FOUND), which stays Dead.
 */
export async function describeGroups(conn: KafkaConnection, groups: readonly string[]): Promise<Map<string, GroupDescription>> {
  const out = new Map<string, GroupDescription>();
  if (groups.length === 0) return out;
  const admin = await conn.admin();
  const res = await whileCoordinatorsMove(() => conn.call(`describe ${groups.length} groups`, () => admin.describeGroups({ groups: [...groups] }), conn.timeoutMs, 'broker'));
  for (const g of res.values()) {
    out.set(g.id, {
      group: g.id,
      state: g.state,
      protocolType: g.protocolType,
      members: [...g.members.values()].map((m) => ({ memberId: m.id, clientId: m.clientId, clientHost: m.clientHost })),
    });
  }
  const unseen = groups.filter((g) => {
    const d = out.get(g);
    return !d || (d.state === 'Dead' && d.members.length === 0);
  });
  if (unseen.length > 0) for (const d of await whileCoordinatorsMove(() => describeConsumerGroups(conn, admin, unseen))) out.set(d.group, d);
  return out;
}

const CONSUMER_GROUP_DESCRIBE = { apiKey: 69, apiVersion: 0 };

/** Groups of the consumer protocol among `groups`, described by their coordinators; brokers before Kafka 4.0 have none. */
async function describeConsumerGroups(conn: KafkaConnection, admin: Admin, groups: string[]): Promise<GroupDescription[]> {
  const coordinators = await conn.call(`coordinators of ${groups.length} groups`, () => admin.findCoordinator({ keyType: FindCoordinatorKeyTypes.GROUP, keys: groups }));
  const perNode = new Map<number, string[]>();
  for (const c of coordinators) perNode.set(c.nodeId, [...(perNode.get(c.nodeId) ?? []), c.key]);
  const out: GroupDescription[] = [];
  await Promise.all(
    [...perNode].map(async ([nodeId, gs]) => {
      const broker = await conn.broker(nodeId);
      if (!(await canSend(broker, CONSUMER_GROUP_DESCRIBE))) return;
      const answer = await conn.call(`describe ${gs.length} consumer-protocol groups on broker ${nodeId}`, async () => {
        try {
          return (await consumerGroupDescribeV0.api.async(broker, gs, false)).groups;
        } catch (e) {
          // A classic group in the request fails the call; the answer, with each group's own error, is on the error.
          for (const x of errorTree(e)) {
            const response = x instanceof ResponseError ? (x as ResponseError & { response?: consumerGroupDescribeV0.ConsumerGroupDescribeResponse }).response : undefined;
            if (response?.groups) return response.groups;
          }
          throw e;
        }
      });
      // A coordinator that moved would leave a live group looking Dead: the whole description is asked again.
      const stale = answer.find((g) => STALE_COORDINATOR_CODES.has(g.errorCode));
      if (stale) throw protocolError(stale.errorCode);
      for (const g of answer) {
        // GROUP_ID_NOT_FOUND: no such group, which stays Dead; a classic group in the request is refused the same way.
        if (g.errorCode !== 0) continue;
        out.push({
          group: g.groupId,
          state: g.groupState,
          protocolType: 'consumer',
          members: g.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost })),
        });
      }
    }),
  );
  return out;
}

/**
 * Committed offsets of many groups, one group per call (the client's
 * OffsetFetch fails a whole call for one group's error), `concurrency` at a
 * time; each is bounded by the connection's deadline, and a failing group
 * does not fail the others. offsetFetchBatch.ts asks for many groups in
 * one request where the brokers allow it.
 */
export async function fetchGroupOffsets(
  conn: KafkaConnection,
  groups: readonly string[],
  opts: { concurrency?: number } = {},
): Promise<Map<string, GroupOffsetsResult>> {
  const out = new Map<string, GroupOffsetsResult>();
  if (groups.length === 0) return out;
  const admin = await conn.admin();
  await mapConcurrent(groups, opts.concurrency ?? 16, async (group) => {
    try {
      const res = await whileCoordinatorsMove(() => conn.call(`offsets of group ${group}`, () => admin.listConsumerGroupOffsets({ groups: [group] }), conn.timeoutMs, 'broker'));
      const offsets: CommittedOffset[] = [];
      for (const t of res.find((g) => g.groupId === group)?.topics ?? []) {
        for (const p of t.partitions) {
          const offset = Number(p.committedOffset);
          // -1: the group has no commit for this partition. Kafka stores a commit without metadata as "": reported as null.
          if (offset >= 0) offsets.push({ topic: t.name, partition: p.partitionIndex, offset, metadata: p.metadata === '' || p.metadata === undefined ? null : p.metadata });
        }
      }
      out.set(group, { group, offsets });
    } catch (e) {
      out.set(group, { group, error: (e as Error).message });
    }
  });
  return out;
}

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function mapConcurrent<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
