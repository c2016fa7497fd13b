import type { KafkaConnection } from './connection.js';

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

/** Every named group in one DescribeGroups call (kafkajs sends one request per coordinator). */
export async function describeGroups(conn: KafkaConnection, groups: readonly string[]): Promise<Map<string, GroupDescription>> {
  const out = new Map<string, GroupDescription>();
  if (groups.length === 0) return out;
  const admin = await conn.admin();
  const res = await conn.call(`describe ${groups.length} groups`, () => admin.describeGroups([...groups]));
  for (const g of res.groups) {
    out.set(g.groupId, {
      group: g.groupId,
      state: g.state,
      protocolType: g.protocolType,
      members: g.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost })),
    });
  }
  return out;
}

/**
 * Committed offsets of many groups. kafkajs asks OffsetFetch for one group
 * per call, so the calls run concurrently, `concurrency` at a time; each is
 * bounded by the connection's deadline, and a failing group does not fail
 * the others.
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
      const res = await conn.call(`offsets of group ${group}`, () => admin.fetchOffsets({ groupId: group }));
      const offsets: CommittedOffset[] = [];
      for (const t of res) {
        for (const p of t.partitions) {
          const offset = Number(p.offset);
          // -1: the group has no commit for this partition.
          if (offset >= 0) offsets.push({ topic: t.topic, partition: p.partition, offset, metadata: p.metadata });
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
