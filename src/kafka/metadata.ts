import {
  ResponseError,
  metadataV4,
  metadataV5,
  metadataV6,
  metadataV7,
  metadataV8,
  metadataV9,
  metadataV10,
  metadataV11,
  metadataV12,
  type Connection,
} from '@platformatic/kafka';
import type { KafkaConnection } from './connection.js';
import { errorTree } from './kafkaErrors.js';
import { protocolError } from './protocol.js';

/**
 * Cluster metadata read with failover's own Metadata request (the client's
 * public codecs, on a connection of its pool), because the client's
 * `admin.metadata()` serves what failover needs differently: an empty topic
 * list there means no topics (here `null` means every topic, in one
 * request), it leaves internal topics out, it fails the whole call for one
 * unknown topic without a Kafka code, and it answers from a cache.
 */

export interface RawPartitionMetadata {
  partitionErrorCode: number;
  partitionId: number;
  leader: number;
  leaderEpoch: number;
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

type MetadataApi = typeof metadataV12.api;
type MetadataResponse = metadataV12.MetadataResponse;
/** Metadata versions the client has codecs for, newest first; the newest both sides take is used. */
const METADATA: [number, MetadataApi][] = [
  [12, metadataV12.api],
  [11, metadataV11.api],
  [10, metadataV10.api],
  [9, metadataV9.api],
  [8, metadataV8.api],
  [7, metadataV7.api],
  [6, metadataV6.api],
  [5, metadataV5.api],
  [4, metadataV4.api],
];
const METADATA_KEY = 3;
const UNKNOWN_TOPIC_OR_PARTITION = 3;
const LEADER_NOT_AVAILABLE = 5;

/**
 * The version is chosen once per connection: the stop criteria and the waits
 * list topics every poll, and an ApiVersions round trip before each Metadata
 * request would double them.
 */
const chosenApi = new WeakMap<KafkaConnection, Promise<MetadataApi>>();

function metadataApi(conn: KafkaConnection): Promise<MetadataApi> {
  let api = chosenApi.get(conn);
  if (!api) {
    api = chooseMetadataApi(conn);
    chosenApi.set(conn, api);
    // A failed choice (the cluster did not answer) is asked again next time.
    api.catch(() => chosenApi.delete(conn));
  }
  return api;
}

async function chooseMetadataApi(conn: KafkaConnection): Promise<MetadataApi> {
  const admin = await conn.admin();
  const apis = await admin.listApis();
  const range = apis.find((a) => a.apiKey === METADATA_KEY);
  const found = METADATA.find(([v]) => range !== undefined && range.minVersion <= v && range.maxVersion >= v);
  if (!found) throw new Error(`${conn.name} does not speak Metadata v4 to v12; failover needs Kafka 0.11 or later`);
  return found[1];
}

/** The answer even when a topic in it carries an error: the client fails the call then, and keeps the answer on the error. */
async function ask(api: MetadataApi, c: Connection, topics: string[] | null): Promise<MetadataResponse> {
  try {
    return await api.async(c, topics, false, false);
  } catch (e) {
    for (const x of errorTree(e)) {
      if (x instanceof ResponseError) {
        const response = (x as ResponseError & { response?: MetadataResponse }).response;
        if (response?.topics) return response;
      }
    }
    throw e;
  }
}

/**
 * Metadata of `topics`, or of every topic (internal ones included) when
 * `topics` is null, in one request. A named topic that does not exist is
 * absent from the answer; a topic whose leader is being elected is there,
 * with leader -1; any other topic error fails the call, naming the topic.
 * The brokers it lists become the connection's addresses for its leaders.
 */
export async function clusterMetadata(conn: KafkaConnection, topics: readonly string[] | null, what?: string): Promise<RawMetadata> {
  if (topics !== null && topics.length === 0) topics = null;
  const label = what ?? (topics === null ? 'metadata of all topics' : topics.length === 1 ? `metadata of ${topics[0]}` : `metadata of ${topics.length} topics`);
  const api = await metadataApi(conn);
  const c = await conn.anyBroker();
  const res = await conn.call(label, () => ask(api, c, topics === null ? null : [...topics]));
  const md: RawMetadata = {
    clusterId: res.clusterId ?? '',
    controllerId: res.controllerId,
    brokers: res.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
    topicMetadata: [],
  };
  for (const t of res.topics) {
    if (t.errorCode === UNKNOWN_TOPIC_OR_PARTITION || t.name === null || t.name === undefined) continue;
    if (t.errorCode !== 0 && t.errorCode !== LEADER_NOT_AVAILABLE) {
      const e = protocolError(t.errorCode);
      throw new Error(`${conn.name}: metadata of ${t.name}: ${e.apiId} (${e.message})`, { cause: e });
    }
    md.topicMetadata.push({
      topicErrorCode: t.errorCode,
      topic: t.name,
      isInternal: t.isInternal,
      partitionMetadata: t.partitions.map((p) => ({
        partitionErrorCode: p.errorCode,
        partitionId: p.partitionIndex,
        leader: p.leaderId,
        leaderEpoch: p.leaderEpoch,
        replicas: p.replicaNodes,
        isr: p.isrNodes,
        offlineReplicas: p.offlineReplicas,
      })),
    });
  }
  conn.rememberBrokers(md.brokers);
  return md;
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

/** The index without the partitions that have no leader (offline, or an election in progress). */
export function servingLeaders(leaders: LeaderIndex): LeaderIndex {
  const out: LeaderIndex = new Map();
  for (const [topic, parts] of leaders) out.set(topic, new Map([...parts].filter(([, leader]) => leader >= 0)));
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
