import { errorMessage } from '../errors.js';
import type { KafkaConnection } from './connection.js';
import { OFFSET_OUT_OF_RANGE, READ_COMMITTED, fetchPartitions } from './fetch.js';
import { visibleEndOf } from './recordsAt.js';
import { partitionEndsBatch } from './listOffsets.js';
import { newestSyncOf, type NewestSyncs } from './mm2Translation.js';
import { offsetSyncTail } from './offsetSyncTail.js';
import { STALE_LEADER_CODES, movesPartitions, type BrokerRound } from './leaderRetry.js';
import { clusterMetadata, leaderIndex, tpKey, type LeaderIndex } from './metadata.js';
import { routeToLeaders } from './routeToLeaders.js';
import {
  failureKind,
  judgePartition,
  partitionLag,
  scanTail,
  summarise,
  tailsToRead,
  unmeasuredReport,
  withTail,
  type KnownLag,
  type LagMapping,
  type LagReport,
  type LagUnknown,
  type PartitionLag,
  type Tail,
  type TopicFlow,
} from './replicationLag.js';

/**
 * Replication lag measured on the clusters, by the rules of
 * replicationLag.ts: the offset syncs first, then both sides' end offsets,
 * then the tails of lagging partitions on the source.
 */

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

async function settle<T>(p: Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error };
  }
}

interface Metadata {
  existing: Set<string>;
  leaders: LeaderIndex;
}

async function metadataOf(conn: KafkaConnection, topics: readonly string[]): Promise<Metadata> {
  if (topics.length === 0) return { existing: new Set(), leaders: new Map() };
  // Metadata of just these topics is cheap on a large cluster; a missing one is absent from the answer.
  const md = await clusterMetadata(conn, topics);
  return { existing: new Set(md.topicMetadata.map((t) => t.topic)), leaders: leaderIndex(md) };
}

async function readSyncs(mapping: Extract<LagMapping, { kind: 'offset-syncs' }>, conn: KafkaConnection, md: Settled<Metadata>): Promise<NewestSyncs | LagUnknown> {
  const side = mapping.on;
  if (!md.ok) return { kind: failureKind(md.error, side), reason: `the offset syncs on ${conn.name} cannot be read: ${errorMessage(md.error)}` };
  if (!md.value.existing.has(mapping.topic)) {
    return {
      kind: 'no-mapping',
      reason: `the offset-syncs topic ${mapping.topic} does not exist on ${conn.name}: MirrorMaker 2 has not run for this flow, or the runbook's link.offsetSyncsLocation is not where it writes them`,
    };
  }
  try {
    return (await offsetSyncTail(conn, mapping.topic).read()).newest;
  } catch (e) {
    return { kind: 'read-error', reason: `reading ${mapping.topic} on ${conn.name}: ${errorMessage(e)}` };
  }
}

const PARTITION_MAX_BYTES = 16 * 1024;
const REQUEST_MAX_BYTES = 8 * 1024 * 1024;
const MAX_ROUNDS = 4;

export interface TailWanted {
  topic: string;
  partition: number;
  from: number;
  end: number;
}

/**
 * Reads each wanted partition of the source from `from`, READ_COMMITTED
 * (scanTail steps over markers and aborted transactions; records of a
 * transaction still open are not committed yet, so not lag): one Fetch per
 * leader for all of them, again (from where the markers stopped, or for the
 * partitions a full answer left out) a few rounds at most, and of the new
 * leader for a partition whose leader moved. A partition
 * left without an answer is 'unknown', never 'none': unlike recordsAt's
 * "nothing found", the answer tells markers only from no answer.
 */
export async function readTails(conn: KafkaConnection, leaders: LeaderIndex, wanted: readonly TailWanted[]): Promise<Map<string, Tail>> {
  const out = new Map<string, Tail>();
  if (wanted.length === 0) return out;
  try {
    const answers = await routeToLeaders(conn, leaders, wanted, (nodeId, items) => tailsOn(conn, nodeId, items));
    for (const [key, tail] of answers) out.set(key, tail);
  } catch (e) {
    // Leaders still moving after the wait: what was not read stays unknown.
    for (const w of wanted) if (!out.has(tpKey(w.topic, w.partition))) out.set(tpKey(w.topic, w.partition), { kind: 'unknown', reason: errorMessage(e) });
  }
  return out;
}

/** One broker's part of readTails: its partitions' tails, and those it no longer leads. */
async function tailsOn(conn: KafkaConnection, nodeId: number, items: TailWanted[]): Promise<BrokerRound<TailWanted, [string, Tail]>> {
  const out: [string, Tail][] = [];
  const moved: TailWanted[] = [];
  let pending = items.map((w) => ({ ...w, at: w.from }));
  try {
    const broker = await conn.broker(nodeId);
    for (let round = 0; round < MAX_ROUNDS && pending.length > 0; round++) {
      const asked = pending;
      const res = await conn.call(
        `fetch ${asked.length} partitions from broker ${nodeId}`,
        () =>
          fetchPartitions(broker, nodeId, asked.map((w) => ({ topic: w.topic, partition: w.partition, offset: w.at, maxBytes: PARTITION_MAX_BYTES })), {
            maxWaitMs: 0,
            minBytes: 0,
            maxBytes: REQUEST_MAX_BYTES,
            isolationLevel: READ_COMMITTED,
          }, STALE_LEADER_CODES),
        conn.timeoutMs,
        'broker',
      );
      const answers = new Map(res.map((p) => [tpKey(p.topic, p.partition), p]));
      pending = [];
      for (const w of asked) {
        const key = tpKey(w.topic, w.partition);
        const p = answers.get(key);
        // Asked again of the new leader from where this one stopped.
        if (p && STALE_LEADER_CODES.has(p.errorCode)) moved.push({ topic: w.topic, partition: w.partition, from: w.at, end: w.end });
        else if (p?.errorCode === OFFSET_OUT_OF_RANGE) out.push([key, { kind: 'unknown', reason: `offset ${w.at} of ${w.topic}-${w.partition} is no longer in the log on ${conn.name}` }]);
        // Past the visible end lie only the records of a transaction still open: not committed, so not lag yet.
        else if (p && visibleEndOf(p) <= w.at) out.push([key, { kind: 'none' }]);
        else {
          const scan = p ? scanTail(p.records, w.at, Math.min(w.end, visibleEndOf(p)), `${conn.name}: ${w.topic}-${w.partition}`, p.aborted) : { kind: 'more' as const, next: w.at };
          if (scan.kind === 'more') pending.push({ ...w, at: scan.next });
          else out.push([key, scan]);
        }
      }
    }
    for (const w of pending) out.push([tpKey(w.topic, w.partition), { kind: 'unknown', reason: `${MAX_ROUNDS} fetches from broker ${nodeId} did not reach past offset ${w.at}` }]);
  } catch (e) {
    if (movesPartitions(e)) throw e;
    const done = new Set(out.map(([k]) => k));
    for (const w of items) if (!done.has(tpKey(w.topic, w.partition))) out.push([tpKey(w.topic, w.partition), { kind: 'unknown', reason: errorMessage(e) }]);
  }
  return { answers: out, moved };
}

function report(mapping: LagMapping, measuredAt: number, partitions: PartitionLag[], seconds: boolean, missingSource: string[], missingTarget: string[]): LagReport {
  return { measuredAt, mapping: mapping.kind, partitions, ...summarise(partitions, seconds), missingSource, missingTarget };
}


/**
 * Replication lag of `flows` from `source` to `target`. Never throws for
 * what the clusters answer: a source that cannot be read makes the report
 * `unmeasured`, anything else makes the partitions it concerns unknown.
 * The offset syncs are read before the end offsets, so that no sync can
 * name a record beyond the ends it is compared with.
 */
export async function measureReplicationLag(
  source: KafkaConnection,
  target: KafkaConnection,
  flows: readonly TopicFlow[],
  mapping: LagMapping,
  opts: { seconds?: boolean; now?: () => number } = {},
): Promise<LagReport> {
  const now = opts.now ?? Date.now;
  const seconds = opts.seconds ?? false;
  const syncsOn = (side: 'source' | 'target') => (mapping.kind === 'offset-syncs' && mapping.on === side ? [mapping.topic] : []);
  const [srcMd, tgtMd] = await Promise.all([
    settle(metadataOf(source, [...flows.map((f) => f.source), ...syncsOn('source')])),
    settle(metadataOf(target, [...flows.map((f) => f.target), ...syncsOn('target')])),
  ]);
  if (!srcMd.ok) return unmeasuredReport(mapping.kind, now(), { kind: failureKind(srcMd.error, 'source'), reason: `${source.name} cannot be read: ${errorMessage(srcMd.error)}` });

  const syncs = mapping.kind === 'offset-syncs' ? await readSyncs(mapping, mapping.on === 'source' ? source : target, mapping.on === 'source' ? srcMd : tgtMd) : undefined;

  const sources = flows.map((f) => f.source).filter((t) => srcMd.value.existing.has(t));
  const targets = tgtMd.ok ? flows.map((f) => f.target).filter((t) => tgtMd.value.existing.has(t)) : [];
  const [srcEnds, tgtEnds] = await Promise.all([
    settle(partitionEndsBatch(source, srcMd.value.leaders, sources)),
    tgtMd.ok ? settle(partitionEndsBatch(target, tgtMd.value.leaders, targets)) : Promise.resolve(tgtMd),
  ]);
  if (!srcEnds.ok) return unmeasuredReport(mapping.kind, now(), { kind: failureKind(srcEnds.error, 'source'), reason: `end offsets on ${source.name}: ${errorMessage(srcEnds.error)}` });
  const targetUnknown: LagUnknown | undefined = tgtEnds.ok ? undefined : { kind: failureKind(tgtEnds.error, 'target'), reason: `${target.name} cannot be read: ${errorMessage(tgtEnds.error)}` };

  const partitions: PartitionLag[] = [];
  const missingSource: string[] = [];
  const missingTarget: string[] = [];
  for (const f of flows) {
    if (!srcMd.value.existing.has(f.source)) {
      missingSource.push(f.source);
      continue;
    }
    if (tgtMd.ok && !tgtMd.value.existing.has(f.target)) missingTarget.push(f.target);
    const targetEnds = new Map((tgtEnds.ok ? (tgtEnds.value.get(f.target) ?? []) : []).map((e) => [e.partition, e.latest]));
    for (const e of srcEnds.value.get(f.source) ?? []) {
      const targetEnd = targetEnds.get(e.partition);
      const judged = judgePartition({
        source: e,
        ...(targetEnd === undefined ? {} : { targetEnd }),
        ...(targetUnknown ? { targetUnknown } : {}),
        mapping:
          mapping.kind === 'identical'
            ? { kind: 'identical' }
            : syncs && 'bySource' in syncs
              ? { kind: 'offset-syncs', ...optional('newest', newestSyncOf(syncs, f.source, e.partition)) }
              : { kind: 'offset-syncs', ...optional('unavailable', syncs) },
      });
      const base = { sourceTopic: f.source, targetTopic: f.target, partition: e.partition, sourceEnd: e.latest, ...optional('targetEnd', targetEnd) };
      partitions.push(partitionLag(base, judged));
    }
  }

  const scan = tailsToRead(partitions, seconds);
  const tails = await settle(readTails(source, srcMd.value.leaders, scan.map((p) => ({ topic: p.sourceTopic, partition: p.partition, from: p.from!, end: p.sourceEnd }))));
  const measuredAt = now();
  const tailOf = (p: PartitionLag): Tail | undefined =>
    !scan.includes(p as KnownLag) ? undefined : tails.ok ? tails.value.get(tpKey(p.sourceTopic, p.partition)) : { kind: 'unknown', reason: errorMessage(tails.error) };
  const judged = partitions.map((p) => withTail(p, tailOf(p), measuredAt, seconds));
  return report(mapping, measuredAt, judged, seconds, missingSource, missingTarget);
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
