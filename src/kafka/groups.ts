import { FindCoordinatorKeyTypes, ResponseError, consumerGroupDescribeV0, listGroupsV5, type Admin } from '@platformatic/kafka';
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
  /** Kafka's group state: Empty, Stable, PreparingRebalance, CompletingRebalance, Dead (no such group); a consumer-protocol group's: Empty, Assigning, Reconciling, Stable */
  state: string;
  protocolType: string;
  /**
   * The group's protocol as ListGroups v5 (Kafka 3.7 and later) reports it:
   * `classic`, `consumer` (KIP-848), or another kind Kafka has (`share`,
   * `streams`); undefined for a group the coordinator does not list (none
   * such) or a broker that cannot say.
   */
  groupType?: string;
  members: GroupMember[];
}

/** How a group is named in findings: its state, and its protocol when known. */
export function groupStateText(d: Pick<GroupDescription, 'state' | 'groupType'>): string {
  return d.groupType ? `${d.state}, ${d.groupType} protocol` : d.state;
}

/** How a member is named in findings: its id, client id and host. */
export function memberText(m: GroupMember): string {
  return `${m.memberId} (client ${m.clientId} from ${m.clientHost})`;
}

/**
 * Kinds of group whose members failover can see: a classic group's through
 * DescribeGroups, a consumer-protocol group's through ConsumerGroupDescribe.
 * Share and streams groups have their own describe calls, which failover
 * does not send: their membership is unknown to it.
 */
export function membershipKnown(d: Pick<GroupDescription, 'groupType'>): boolean {
  return d.groupType === undefined || d.groupType === 'classic' || d.groupType === 'consumer';
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: number;
  metadata: string | null;
}

/** The result for one group: its commits, or why they could not be read. */
export type GroupOffsetsResult = { group: string; offsets: CommittedOffset[] } | { group: string; error: string };

const LIST_GROUPS_V5 = { apiKey: 16, apiVersion: 5 };
const CONSUMER_GROUP_DESCRIBE = { apiKey: 69, apiVersion: 0 };

/**
 * Every named group, described with the call of its protocol. Each group's
 * coordinator is asked first which groups it has and of which type
 * (ListGroups v5, one request per coordinator, with no filter: a
 * coordinator answers for its own groups only). Groups of the consumer
 * protocol (KIP-848) are described with ConsumerGroupDescribe, the others
 * with DescribeGroups. DescribeGroups shows a consumer-protocol group as
 * Dead with no members even while it has some, so a group it calls so is
 * asked with ConsumerGroupDescribe too: the coordinator did not list it
 * (Kafka before 3.7), or it changed protocol between the two calls (Kafka
 * converts a group when a member of the other protocol joins it empty).
 * ConsumerGroupDescribe tells a consumer group from a group that does not
 * exist (GROUP_ID_NOT_FOUND), which stays Dead.
 */
export async function describeGroups(conn: KafkaConnection, groups: readonly string[]): Promise<Map<string, GroupDescription>> {
  if (groups.length === 0) return new Map();
  const admin = await conn.admin();
  return whileCoordinatorsMove(async () => {
    const out = new Map<string, GroupDescription>();
    const types = await groupTypes(conn, admin, groups);
    const consumer = groups.filter((g) => types.get(g) === 'consumer');
    const askedAsConsumer = new Set(consumer);
    if (consumer.length > 0) for (const d of await describeConsumerGroups(conn, admin, consumer)) out.set(d.group, d);
    // The others, and a consumer-protocol group ConsumerGroupDescribe did not find (converted to classic since it was listed).
    const others = groups.filter((g) => !out.has(g));
    if (others.length > 0) {
      const res = await conn.call(`describe ${others.length} groups`, () => admin.describeGroups({ groups: others }), conn.timeoutMs, 'broker');
      for (const g of res.values()) {
        const listed = types.get(g.id);
        const groupType = listed === 'consumer' ? undefined : listed;
        out.set(g.id, {
          group: g.id,
          state: g.state,
          protocolType: g.protocolType,
          ...(groupType === undefined ? {} : { groupType }),
          members: [...g.members.values()].map((m) => ({ memberId: m.id, clientId: m.clientId, clientHost: m.clientHost })),
        });
      }
    }
    const unseen = groups.filter((g) => {
      const d = out.get(g);
      return !askedAsConsumer.has(g) && (!d || (d.state === 'Dead' && d.members.length === 0));
    });
    if (unseen.length > 0) for (const d of await describeConsumerGroups(conn, admin, unseen)) out.set(d.group, d);
    return out;
  });
}

/** Each group's coordinator, by node id. */
async function byCoordinator(conn: KafkaConnection, admin: Admin, groups: readonly string[]): Promise<Map<number, string[]>> {
  const coordinators = await conn.call(`coordinators of ${groups.length} groups`, () => admin.findCoordinator({ keyType: FindCoordinatorKeyTypes.GROUP, keys: [...groups] }));
  const perNode = new Map<number, string[]>();
  for (const c of coordinators) perNode.set(c.nodeId, [...(perNode.get(c.nodeId) ?? []), c.key]);
  return perNode;
}

/**
 * The type of each named group that its coordinator lists (ListGroups v5);
 * a coordinator before Kafka 3.7 cannot say, and its groups are left out.
 */
async function groupTypes(conn: KafkaConnection, admin: Admin, groups: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const perNode = await byCoordinator(conn, admin, groups);
  await Promise.all(
    [...perNode].map(async ([nodeId, gs]) => {
      const broker = await conn.broker(nodeId);
      if (!(await canSend(broker, LIST_GROUPS_V5))) return;
      const answer = await conn.call(`list the groups of broker ${nodeId}`, () => listGroupsV5.api.async(broker, [], []), conn.timeoutMs, 'broker');
      // A coordinator that is loading its groups answers with an error code for the whole list: asked again.
      if (answer.errorCode !== 0) throw protocolError(answer.errorCode);
      const wanted = new Set(gs);
      for (const g of answer.groups) if (wanted.has(g.groupId) && g.groupType) out.set(g.groupId, g.groupType);
    }),
  );
  return out;
}

/** Groups of the consumer protocol among `groups`, described by their coordinators; brokers before Kafka 4.0 have none. */
async function describeConsumerGroups(conn: KafkaConnection, admin: Admin, groups: string[]): Promise<GroupDescription[]> {
  const perNode = await byCoordinator(conn, admin, groups);
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
          groupType: 'consumer',
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
