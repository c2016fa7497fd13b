import type { KafkaConnection } from './connection.js';

export interface ClusterInfo {
  name: string;
  clusterId: string;
  brokers: { nodeId: number; host: string; port: number }[];
}

/**
 * KRaft answers Metadata with a random broker as "controller"; we do not
 * report it, because it is not the active controller.
 */
export async function describeCluster(conn: KafkaConnection, timeoutMs?: number): Promise<ClusterInfo> {
  const admin = await conn.admin();
  // kafkajs's describeCluster destructures a metadata answer that is null when no broker answered (see rawProtocol.ts).
  const d = await conn.call(
    'describe cluster',
    () =>
      admin.describeCluster().catch((e: unknown) => {
        throw e instanceof TypeError ? new Error('no broker answered a metadata request') : e;
      }),
    timeoutMs,
  );
  return { name: conn.name, clusterId: d.clusterId, brokers: d.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })) };
}

export interface TopicSpec {
  topic: string;
  partitions: number;
  configs?: Record<string, string>;
}

/** Creates the topics that are missing; existing ones are left as they are. Returns those created. */
export async function ensureTopics(conn: KafkaConnection, specs: TopicSpec[]): Promise<string[]> {
  const admin = await conn.admin();
  const existing = new Set(await conn.call('list topics', () => admin.listTopics()));
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length === 0) return [];
  await conn.call('create topics', () =>
    admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((s) => ({
        topic: s.topic,
        numPartitions: s.partitions,
        replicationFactor: 1,
        configEntries: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
      })),
    }),
  );
  return missing.map((s) => s.topic);
}
