import type { KafkaConnection, RawBroker, RawCluster } from './connection.js';

/**
 * The parts of kafkajs's internal cluster and broker objects that the
 * snapshot layer uses, typed. kafkajs 2.2.x has them all; they are not part
 * of its public API, so they are named here once rather than cast at each
 * call site (connection.ts pins the same kafkajs for the same reason).
 */

export interface RawPartitionMetadata {
  partitionErrorCode: number;
  partitionId: number;
  leader: number;
  replicas: number[];
  isr: number[];
  offlineReplicas?: number[];
}

export interface RawTopicMetadata {
  topicErrorCode: number;
  topic: string;
  isInternal?: boolean;
  partitionMetadata: RawPartitionMetadata[];
}

export interface RawMetadata {
  clusterId: string;
  controllerId?: number | null;
  brokers: { nodeId: number; host: string; port: number; rack?: string | null }[];
  topicMetadata: RawTopicMetadata[];
}

export interface ApiVersionRange {
  minVersion: number;
  maxVersion: number;
}

export interface RawBrokerExt extends RawBroker {
  /** what the broker answered to ApiVersions when kafkajs connected, by API key */
  versions?: Record<string, ApiVersionRange>;
}

export interface RawClusterExt extends Omit<RawCluster, 'findBroker'> {
  /** Metadata; an empty topic list asks for every topic, in one request */
  metadata(opts?: { topics?: string[] }): Promise<RawMetadata>;
  findBroker(opts: { nodeId: string }): Promise<RawBrokerExt>;
}

const guarded = new WeakMap<object, RawClusterExt>();

/**
 * kafkajs's cluster, with one fix: its metadata call asks each broker in
 * turn, swallows every failure, and resolves null when none answered. A
 * named topic that does not exist is one such failure (kafkajs's decoder
 * throws on the topic's error code); so a null answer for named topics is
 * asked again for every topic and filtered, and a null for every topic is
 * the error it is, never "no topics".
 */
export async function rawClusterOf(conn: KafkaConnection): Promise<RawClusterExt> {
  const cluster = (await conn.rawCluster()) as unknown as RawClusterExt;
  let g = guarded.get(cluster);
  if (!g) {
    const metadata = cluster.metadata.bind(cluster);
    g = Object.assign(Object.create(cluster) as RawClusterExt, {
      metadata: async (opts?: { topics?: string[] }) => {
        const md = await metadata(opts);
        if (md) return md;
        const wanted = opts?.topics ?? [];
        if (wanted.length > 0) {
          const all = await metadata({ topics: [] });
          if (all) return { ...all, topicMetadata: all.topicMetadata.filter((t) => wanted.includes(t.topic)) };
        }
        throw new Error(`${conn.name}: no broker answered a metadata request`);
      },
    });
    guarded.set(cluster, g);
  }
  return g;
}

/** Partition leaders by topic, from one Metadata answer; requests are routed with it. */
export type LeaderIndex = Map<string, Map<number, number>>;

export function leaderIndex(md: RawMetadata): LeaderIndex {
  const out: LeaderIndex = new Map();
  for (const t of md.topicMetadata) {
    const parts = new Map<number, number>();
    for (const p of t.partitionMetadata) parts.set(p.partitionId, p.leader);
    out.set(t.topic, parts);
  }
  return out;
}

/** Groups `items` by the leader of their partition; items whose partition has no known leader are returned apart. */
export function byLeader<T extends { topic: string; partition: number }>(
  leaders: LeaderIndex,
  items: readonly T[],
): { perBroker: Map<number, T[]>; leaderless: T[] } {
  const perBroker = new Map<number, T[]>();
  const leaderless: T[] = [];
  for (const it of items) {
    const leader = leaders.get(it.topic)?.get(it.partition);
    if (leader === undefined || leader < 0) {
      leaderless.push(it);
      continue;
    }
    const list = perBroker.get(leader) ?? [];
    list.push(it);
    perBroker.set(leader, list);
  }
  return { perBroker, leaderless };
}

/** Items grouped by topic, in the shape Kafka requests take. */
export function byTopic<T extends { topic: string }>(items: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const it of items) {
    const list = out.get(it.topic) ?? [];
    list.push(it);
    out.set(it.topic, list);
  }
  return out;
}

export function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
