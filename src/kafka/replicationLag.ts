import type { KafkaConnection } from './connection.js';
import { partitionEndsBatch } from './listOffsets.js';
import { leaderIndex, rawClusterOf, tpKey, type LeaderIndex } from './rawProtocol.js';
import type { PartitionEnds } from './readTopic.js';
import { recordsAt } from './recordsAt.js';

/** One source topic and its copy on the target. */
export interface TopicFlow {
  source: string;
  target: string;
}

export interface PartitionLag {
  sourceTopic: string;
  targetTopic: string;
  partition: number;
  sourceEnd: number;
  /** undefined when the partition does not exist on the target */
  targetEnd?: number;
  /** records the target still lacks */
  lag: number;
  /** age of the oldest record not yet on the target, when asked for and measurable */
  lagMs?: number;
}

export interface LagReport {
  measuredAt: number;
  partitions: PartitionLag[];
  maxLag: number;
  totalLag: number;
  /** the largest lagMs, when seconds were measured */
  maxLagMs?: number;
  /** source topics that do not exist on the source */
  missingSource: string[];
  /** target topics that do not exist (yet) on the target */
  missingTarget: string[];
}

async function endsOf(conn: KafkaConnection, topics: readonly string[]): Promise<{ ends: Map<string, PartitionEnds[]>; existing: Set<string>; leaders: LeaderIndex }> {
  if (topics.length === 0) return { ends: new Map(), existing: new Set(), leaders: new Map() };
  const cluster = await rawClusterOf(conn);
  // Metadata of just these topics is cheap on a large cluster; Kafka answers a missing one with an error, and then every topic is asked for.
  let md;
  try {
    md = await conn.call(`metadata of ${topics.length} topics`, () => cluster.metadata({ topics: [...topics] }));
  } catch (e) {
    if (!/UNKNOWN_TOPIC_OR_PARTITION|does not host this topic/.test(`${(e as { type?: string }).type ?? ''} ${(e as Error).message}`)) throw e;
    md = await conn.call('metadata of all topics', () => cluster.metadata({ topics: [] }));
  }
  const existing = new Set(md.topicMetadata.map((t) => t.topic));
  const leaders = leaderIndex(md);
  const wanted = topics.filter((t) => existing.has(t));
  const ends = wanted.length ? await partitionEndsBatch(conn, leaders, wanted) : new Map<string, PartitionEnds[]>();
  return { ends, existing, leaders };
}

/**
 * Replication lag per partition, from end offsets: the source's end minus
 * the copy's end. Both links the runbook knows keep a copy's offsets in step
 * with its source when the copy starts with the source (an offset-preserving
 * link by design; MirrorMaker 2 on a topic it has replicated from offset 0,
 * without transactions or compaction). Where that does not hold the figure
 * is an estimate, which is why the offsets gate also reads offset syncs.
 *
 * With `seconds`, the age of the oldest unreplicated record of each lagging
 * partition is read from the source (one Fetch per broker).
 */
export async function measureReplicationLag(
  source: KafkaConnection,
  target: KafkaConnection,
  flows: readonly TopicFlow[],
  opts: { seconds?: boolean; now?: () => number } = {},
): Promise<LagReport> {
  const now = opts.now ?? Date.now;
  const [src, tgt] = await Promise.all([endsOf(source, flows.map((f) => f.source)), endsOf(target, flows.map((f) => f.target))]);
  const partitions: PartitionLag[] = [];
  const missingSource: string[] = [];
  const missingTarget: string[] = [];
  for (const f of flows) {
    if (!src.existing.has(f.source)) {
      missingSource.push(f.source);
      continue;
    }
    if (!tgt.existing.has(f.target)) missingTarget.push(f.target);
    const targetEnds = new Map((tgt.ends.get(f.target) ?? []).map((e) => [e.partition, e]));
    for (const e of src.ends.get(f.source) ?? []) {
      const t = targetEnds.get(e.partition);
      // A missing copy lags by everything the source still holds.
      const lag = t === undefined ? Math.max(0, e.latest - e.earliest) : Math.max(0, e.latest - t.latest);
      partitions.push({ sourceTopic: f.source, targetTopic: f.target, partition: e.partition, sourceEnd: e.latest, ...(t ? { targetEnd: t.latest } : {}), lag });
    }
  }
  const measuredAt = now();
  let maxLagMs: number | undefined;
  if (opts.seconds) {
    const lagging = partitions.filter((p) => p.lag > 0);
    const wanted = lagging.map((p) => ({ topic: p.sourceTopic, partition: p.partition, offset: p.sourceEnd - p.lag }));
    const got = wanted.length ? await recordsAt(source, src.leaders, wanted) : new Map();
    maxLagMs = 0;
    for (const p of lagging) {
      const r = got.get(tpKey(p.sourceTopic, p.partition));
      if (!r) continue;
      p.lagMs = Math.max(0, measuredAt - r.timestamp);
      maxLagMs = Math.max(maxLagMs, p.lagMs);
    }
  }
  return {
    measuredAt,
    partitions,
    maxLag: partitions.reduce((m, p) => Math.max(m, p.lag), 0),
    totalLag: partitions.reduce((s, p) => s + p.lag, 0),
    ...(maxLagMs === undefined ? {} : { maxLagMs }),
    missingSource,
    missingTarget,
  };
}
