import type { KafkaConnection } from './connection.js';
import { hasKafkaError } from './kafkaErrors.js';
import { clusterMetadata } from './metadata.js';

export interface ClusterInfo {
  name: string;
  clusterId: string;
  brokers: { nodeId: number; host: string; port: number }[];
}

/**
 * The cluster id and brokers, from a fresh Metadata answer. KRaft answers
 * Metadata with a random broker as "controller"; we do not report it,
 * because it is not the active controller.
 */
export async function describeCluster(conn: KafkaConnection, timeoutMs?: number): Promise<ClusterInfo> {
  const admin = await conn.admin();
  const md = await conn.call('describe cluster', () => admin.metadata({ topics: [], forceUpdate: true }), timeoutMs);
  const brokers = [...md.brokers].map(([nodeId, b]) => ({ nodeId, host: b.host, port: b.port })).sort((a, b) => a.nodeId - b.nodeId);
  conn.rememberBrokers(brokers);
  return { name: conn.name, clusterId: md.id, brokers };
}

export interface TopicSpec {
  topic: string;
  partitions: number;
  /** replication factor; default 1 */
  replicas?: number;
  configs?: Record<string, string>;
}

const LEADER_WAIT_MS = 30_000;

/**
 * Creates the topics that are missing; existing ones are left as they are.
 * Returns those created, once every partition of each has a leader. The
 * client applies one config set to every topic of a CreateTopics call, so
 * topics are created in one call per distinct config set.
 */
export async function ensureTopics(conn: KafkaConnection, specs: TopicSpec[]): Promise<string[]> {
  const existing = new Set(await conn.topicNames({ includeInternals: true }));
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length === 0) return [];
  const admin = await conn.admin();
  const byConfigs = new Map<string, TopicSpec[]>();
  for (const s of missing) {
    const key = JSON.stringify(Object.entries(s.configs ?? {}).sort());
    byConfigs.set(key, [...(byConfigs.get(key) ?? []), s]);
  }
  for (const group of byConfigs.values()) {
    const configs = Object.entries(group[0]!.configs ?? {}).map(([name, value]) => ({ name, value }));
    try {
      await conn.call(`create ${group.map((s) => s.topic).join(', ')}`, () =>
        admin.createTopics({ topics: group.map((s) => ({ topic: s.topic, partitions: s.partitions, replicas: s.replicas ?? 1 })), configs }),
      );
    } catch (e) {
      // Another process created one of them at the same moment: what is missing is created one by one.
      if (!hasKafkaError(e, 'TOPIC_ALREADY_EXISTS')) throw e;
      for (const s of group) {
        await conn
          .call(`create ${s.topic}`, () => admin.createTopics({ topics: [{ topic: s.topic, partitions: s.partitions, replicas: s.replicas ?? 1 }], configs }))
          .catch((err: unknown) => {
            if (!hasKafkaError(err, 'TOPIC_ALREADY_EXISTS')) throw err;
          });
      }
    }
  }
  await waitForLeaders(conn, missing.map((s) => s.topic), LEADER_WAIT_MS);
  return missing.map((s) => s.topic);
}

/**
 * Waits until every partition of `topics` has a leader: a CreateTopics
 * answer comes before the leaders are elected, and a request routed to a
 * partition without one fails (NOT_LEADER_OR_FOLLOWER) for a while.
 */
export async function waitForLeaders(conn: KafkaConnection, topics: readonly string[], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  let waiting: string[] = [...topics];
  while (waiting.length > 0) {
    const md = await clusterMetadata(conn, waiting);
    const ready = new Set(md.topicMetadata.filter((t) => t.partitionMetadata.length > 0 && t.partitionMetadata.every((p) => p.leader >= 0)).map((t) => t.topic));
    waiting = waiting.filter((t) => !ready.has(t));
    if (waiting.length === 0) return;
    if (Date.now() > deadline) throw new Error(`${conn.name}: ${waiting.join(', ')} created, but without a leader for every partition after ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
