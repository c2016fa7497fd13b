import { listAcls, type Acl } from './acls.js';
import { describeBrokerConfigs, describeTopicConfigs, type ConfigMap } from './configs.js';
import type { KafkaConnection } from './connection.js';
import { describeGroups, type GroupDescription, type GroupOffsetsResult } from './groups.js';
import { ClusterUnreachableError, isNoAnswer, kafkaCodes } from './kafkaErrors.js';
import { partitionEndsBatch } from './listOffsets.js';
import { fetchGroupOffsetsBatched } from './offsetFetchBatch.js';
import { loadCheckpoints, loadOffsetSyncs, type LoadedCheckpoints, type LoadedOffsetSyncs } from './mm2Translation.js';
import { clusterMetadata, leaderIndex, servingLeaders, tpKey, type LeaderIndex, type RawTopicMetadata } from './metadata.js';
import { brokerApiVersions, type ApiVersionRange } from './protocol.js';
import type { PartitionEnds } from './readTopic.js';
import { newestCommitted } from './recordsAt.js';

/**
 * One cluster's facts, gathered with batched requests: Metadata for every
 * topic in one request, DescribeConfigs for every selected topic in one,
 * ListOffsets once per broker per kind, DescribeGroups in one call, group
 * offsets in one OffsetFetch per coordinator (or 16 groups at a time on old brokers), ACLs in one call, and one Fetch per
 * broker for the newest records (more only where a partition ends with
 * transaction markers, aborted or open transactions: the newest record is
 * the newest committed one, see newestCommitted). Every call is bounded by the connection's
 * deadline, so a dead or paused cluster yields an unreachable snapshot in
 * about one timeout instead of hanging.
 *
 * Each part is a `Fact`: a part that fails (no authorizer, say) carries its
 * error and leaves the others standing.
 */
/**
 * A failed fact keeps what kind of failure it was, decided from the error
 * itself when it happened: `noAnswer` when the cluster did not answer at
 * all, `kafkaErrors` the names of the Kafka error codes it answered with.
 */
export type Fact<T> = { ok: true; value: T } | { ok: false; error: string; kafkaErrors?: string[]; noAnswer?: boolean };

export interface TopicInfo {
  partitions: number[];
  internal: boolean;
}

export interface NewestRecord {
  offset: number;
  timestamp: number;
  /** key and value bytes */
  bytes: number;
}

export interface SnapshotRequest {
  /** picks, from every topic Metadata listed, those whose configs, ends and newest records are gathered */
  selectTopics?: (all: readonly string[]) => string[];
  /** topic configs to describe (default: all of them) */
  configNames?: readonly string[];
  configs?: boolean;
  ends?: boolean;
  /** the newest committed record of each partition of the selected topics; a number: of that many partitions only (a sample, e.g. to size records) */
  newestRecords?: boolean | number;
  /** groups to describe and whose commits to fetch */
  groups?: readonly string[];
  acls?: boolean;
  brokerConfigs?: boolean;
  /** MM2 checkpoints topic to read, when it exists */
  checkpointsTopic?: string;
  /** MM2 offset-syncs topic to read, when it exists; this snapshot's end offsets are then read after it */
  offsetSyncsTopic?: string;
  /**
   * The end offsets are read only once this settles: the offset syncs read
   * on the other cluster. A sync names records that existed when it was
   * written, so ends read after it are at or past them; ends read before
   * it may not be, and the pair would look truncated.
   */
  endsAfter?: Promise<unknown>;
  /** called once the offset syncs are read (or could not be) */
  onOffsetSyncsRead?: () => void;
  /** topics whose newest record timestamp is wanted (replicated heartbeats) */
  heartbeatTopics?: readonly string[];
  groupConcurrency?: number;
}

export interface ClusterSnapshot {
  name: string;
  bootstrap: string[];
  takenAt: number;
  reachable: boolean;
  /** why the cluster could not be read at all */
  error?: string;
  clusterId?: string;
  brokers: { nodeId: number; host: string; port: number }[];
  /** API versions every broker supports, by API key */
  apiVersions?: Fact<Record<string, ApiVersionRange>>;
  /** every topic, by name */
  topics: Map<string, TopicInfo>;
  selected: string[];
  configs?: Fact<Map<string, ConfigMap>>;
  ends?: Fact<Map<string, PartitionEnds[]>>;
  /** when the end offsets' answer arrived (ms since the epoch): the start of a rate sample */
  endsAt?: number;
  newest?: Fact<Map<string, NewestRecord>>;
  groups?: Fact<Map<string, GroupDescription>>;
  offsets?: Fact<Map<string, GroupOffsetsResult>>;
  acls?: Fact<Acl[]>;
  brokerConfigs?: Fact<ConfigMap>;
  checkpoints?: Fact<LoadedCheckpoints>;
  offsetSyncs?: Fact<LoadedOffsetSyncs>;
  /** topic -> newest record timestamp (absent when the topic is empty or missing) */
  heartbeats?: Fact<Map<string, number | undefined>>;
  /** milliseconds per part, for --verbose and the benchmark */
  timings: Record<string, number>;
  /** kept for follow-up lookups (timestamp translation) against the same Metadata */
  leaders?: LeaderIndex;
  /** leaders, replicas and in-sync replicas of the selected topics' partitions, as Metadata listed them (partitionHealth.ts judges them) */
  replicaStates?: RawTopicMetadata[];
}

async function fact<T>(timings: Record<string, number>, name: string, fn: () => Promise<T>): Promise<Fact<T>> {
  const t0 = Date.now();
  try {
    return { ok: true, value: await fn() };
  } catch (e) {
    // Kafka's names of the errors (SECURITY_DISABLED, ...), for the gates that tell one answer from another.
    const codes = [...new Set(kafkaCodes(e).map((c) => c.apiId))];
    const noAnswer = isNoAnswer(e) || (e instanceof ClusterUnreachableError && e.reason === 'no-answer');
    return { ok: false, error: (e as Error).message, ...(codes.length > 0 ? { kafkaErrors: codes } : {}), ...(noAnswer ? { noAnswer } : {}) };
  } finally {
    timings[name] = Date.now() - t0;
  }
}

export function unreachableSnapshot(conn: Pick<KafkaConnection, 'name' | 'bootstrap'>, error: string, takenAt = Date.now()): ClusterSnapshot {
  return { name: conn.name, bootstrap: conn.bootstrap, takenAt, reachable: false, error, brokers: [], topics: new Map(), selected: [], timings: {} };
}

export async function takeSnapshot(conn: KafkaConnection, req: SnapshotRequest, now: () => number = Date.now): Promise<ClusterSnapshot> {
  const takenAt = now();
  const timings: Record<string, number> = {};
  const t0 = Date.now();
  let md;
  try {
    md = await clusterMetadata(conn, null);
  } catch (e) {
    return { ...unreachableSnapshot(conn, (e as Error).message, takenAt), timings: { metadata: Date.now() - t0 } };
  }
  timings.metadata = Date.now() - t0;
  const topics = new Map<string, TopicInfo>();
  for (const t of md.topicMetadata) {
    topics.set(t.topic, { partitions: t.partitionMetadata.map((p) => p.partitionId).sort((a, b) => a - b), internal: Boolean(t.isInternal) });
  }
  const leaders = leaderIndex(md);
  // Partitions without a leader now are offline for this snapshot: reported
  // from replicaStates, and left out of the reads, which no broker can answer.
  const serving = servingLeaders(leaders);
  const all = [...topics.keys()];
  const selected = (req.selectTopics?.(all) ?? []).filter((t) => topics.has(t));
  const chosen = new Set(selected);
  const heartbeatTopics = (req.heartbeatTopics ?? []).filter((t) => topics.has(t));
  const snap: ClusterSnapshot = {
    name: conn.name,
    bootstrap: conn.bootstrap,
    takenAt,
    reachable: true,
    clusterId: md.clusterId,
    brokers: md.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })),
    topics,
    selected,
    timings,
    leaders,
    replicaStates: md.topicMetadata.filter((t) => chosen.has(t.topic)),
  };

  const jobs: Promise<unknown>[] = [];
  const put = <K extends keyof ClusterSnapshot>(key: K, p: Promise<ClusterSnapshot[K]>) => jobs.push(p.then((v) => void (snap[key] = v)));
  let syncsRead: Promise<unknown> | undefined;
  if (req.offsetSyncsTopic) {
    const topic = req.offsetSyncsTopic;
    syncsRead = fact(timings, 'offsetSyncs', () => loadOffsetSyncs(conn, topic, topics.has(topic))).finally(() => req.onOffsetSyncsRead?.());
    put('offsetSyncs', syncsRead as Promise<ClusterSnapshot['offsetSyncs']>);
  }
  const endsTopics = [...new Set([...(req.ends || req.newestRecords ? selected : []), ...heartbeatTopics])];
  const endsP =
    endsTopics.length > 0
      ? Promise.all([syncsRead, req.endsAfter?.catch(() => undefined)]).then(() => fact(timings, 'ends', () => partitionEndsBatch(conn, serving, endsTopics)))
      : undefined;

  put('apiVersions', fact(timings, 'apiVersions', () => apiVersionsOf(conn, snap.brokers.map((b) => b.nodeId))));
  if (req.configs && selected.length > 0) put('configs', fact(timings, 'configs', () => describeTopicConfigs(conn, selected, req.configNames)));
  if (req.groups && req.groups.length > 0) {
    const groups = [...req.groups];
    put('groups', fact(timings, 'groups', () => describeGroups(conn, groups)));
    put('offsets', fact(timings, 'groupOffsets', () => fetchGroupOffsetsBatched(conn, groups, snap.brokers, { concurrency: req.groupConcurrency ?? 16 })));
  }
  if (req.acls) put('acls', fact(timings, 'acls', () => listAcls(conn)));
  const firstBroker = snap.brokers[0];
  if (req.brokerConfigs && firstBroker) put('brokerConfigs', fact(timings, 'brokerConfigs', () => describeBrokerConfigs(conn, firstBroker.nodeId)));
  if (req.checkpointsTopic) {
    const topic = req.checkpointsTopic;
    put('checkpoints', fact(timings, 'checkpoints', () => loadCheckpoints(conn, topic, topics.has(topic))));
  }
  if (endsP) {
    jobs.push(
      endsP.then(async (ends) => {
        if (req.ends || req.newestRecords) {
          snap.ends = ends;
          snap.endsAt = Date.now();
        }
        if (!ends.ok) {
          if (req.newestRecords) snap.newest = ends;
          if (req.heartbeatTopics) snap.heartbeats = ends;
          return;
        }
        const newestOf = (names: readonly string[]) =>
          names.flatMap((topic) => (ends.value.get(topic) ?? []).filter((e) => e.latest > e.earliest).map((e) => ({ topic, partition: e.partition, earliest: e.earliest, latest: e.latest })));
        const all = req.newestRecords ? newestOf(selected) : [];
        const sample = typeof req.newestRecords === 'number' ? spread(all, req.newestRecords) : all;
        const wanted = [...sample, ...newestOf(heartbeatTopics)];
        const got = await fact(timings, 'newestRecords', () => newestCommitted(conn, serving, wanted));
        if (!got.ok) {
          if (req.newestRecords) snap.newest = got;
          if (req.heartbeatTopics) snap.heartbeats = got;
          return;
        }
        if (req.newestRecords) {
          const newest = new Map<string, NewestRecord>();
          for (const topic of selected) {
            for (const e of ends.value.get(topic) ?? []) {
              const r = got.value.get(tpKey(topic, e.partition));
              if (r) newest.set(tpKey(topic, e.partition), { offset: r.offset, timestamp: r.timestamp, bytes: (r.key?.length ?? 0) + (r.value?.length ?? 0) });
            }
          }
          snap.newest = { ok: true, value: newest };
        }
        if (req.heartbeatTopics) {
          const hb = new Map<string, number | undefined>();
          for (const topic of req.heartbeatTopics) {
            const stamps = (ends.value.get(topic) ?? []).flatMap((e) => {
              const r = got.value.get(tpKey(topic, e.partition));
              return r ? [r.timestamp] : [];
            });
            hb.set(topic, stamps.length ? Math.max(...stamps) : undefined);
          }
          snap.heartbeats = { ok: true, value: hb };
        }
      }),
    );
  } else if (req.heartbeatTopics) {
    snap.heartbeats = { ok: true, value: new Map(req.heartbeatTopics.map((t) => [t, undefined])) };
  }
  await Promise.all(jobs);
  timings.total = Date.now() - t0;
  return snap;
}

/** Up to `n` items spread evenly over `xs`. */
function spread<T>(xs: readonly T[], n: number): T[] {
  if (xs.length <= n) return [...xs];
  const step = xs.length / n;
  return Array.from({ length: n }, (_, i) => xs[Math.floor(i * step)]!);
}

/**
 * The API version ranges all brokers support (ApiVersions of each, asked
 * once per connection). A range a client can use cluster-wide is the
 * intersection.
 */
async function apiVersionsOf(conn: KafkaConnection, nodeIds: number[]): Promise<Record<string, ApiVersionRange>> {
  // A broker that does not answer (killed, not yet fenced, so still listed) is left out; the others still tell the versions.
  const asked = await Promise.all(
    nodeIds.map(async (id) => {
      try {
        const broker = await conn.broker(id);
        return await conn.call(`api versions of broker ${id}`, () => brokerApiVersions(broker), conn.timeoutMs, 'broker');
      } catch (e) {
        if (isNoAnswer(e) && nodeIds.length > 1) return { noAnswer: e };
        throw e;
      }
    }),
  );
  const per = asked.filter((v): v is Record<string, ApiVersionRange> => !('noAnswer' in v));
  if (per.length === 0) throw (asked[0] as { noAnswer: unknown }).noAnswer;
  const out: Record<string, ApiVersionRange> = {};
  per.forEach((versions, i) => {
    if (i === 0) {
      for (const [k, v] of Object.entries(versions)) out[k] = { minVersion: v.minVersion, maxVersion: v.maxVersion };
      return;
    }
    for (const k of Object.keys(out)) {
      const v = versions[k];
      if (!v) delete out[k];
      else out[k] = { minVersion: Math.max(out[k]!.minVersion, v.minVersion), maxVersion: Math.min(out[k]!.maxVersion, v.maxVersion) };
    }
  });
  return out;
}
