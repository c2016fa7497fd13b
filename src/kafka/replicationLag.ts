import { errorMessage } from '../errors.js';
import type { KafkaConnection } from './connection.js';
import { OFFSET_OUT_OF_RANGE, fetchPartitions } from './fetch.js';
import { partitionEndsBatch } from './listOffsets.js';
import { newestSyncOf, offsetSyncTail, syncedPosition, type NewestSync, type NewestSyncs } from './mm2Translation.js';
import { offsetSyncsTopic, type FlowNaming } from './naming.js';
import { byLeader, leaderIndex, rawClusterOf, tpKey, type LeaderIndex } from './rawProtocol.js';
import type { PartitionEnds } from './readTopic.js';
import { decodeRecords } from './recordBatch.js';
import { ClusterTimeoutError } from './timeout.js';

/**
 * Replication lag per partition, measured through the link's own offset
 * mapping, never by comparing the two logs' end offsets: MirrorMaker 2 is
 * at-least-once, and after a restart its copy can be longer than the
 * source, so "the copy ends at or after the source's end" proves nothing.
 *
 * - An offset-preserving link keeps offsets: the copy holds the source up
 *   to its own end.
 * - MirrorMaker 2: the newest offset sync (u, d) proves the source up to u
 *   is on the target (see syncedPosition in mm2Translation.ts).
 * - Where the mapping cannot say (no sync for a partition that has data, a
 *   copy or source truncated below the sync, the sync topic missing or
 *   unreadable, a read error, an undecodable record, a timeout), the lag of
 *   that partition is unknown, with a reason. Unknown is never zero.
 * - An empty source partition lags 0: there is nothing to copy.
 *
 * What follows the proven position may be only transaction markers (MM2
 * copies data records, never markers) or offsets compaction removed. For a
 * lagging partition the source is read from that position: when nothing
 * but markers and gaps lie before its end, the lag is 0; otherwise the
 * first data record found bounds the lag and, asked for seconds, gives its
 * age. Without seconds this read is made only for partitions lagging by at
 * most TAIL_SCAN_MAX offsets (a longer tail is data in any real workload,
 * and the count stays an upper bound if it is not).
 */

/** One source topic and its copy on the target. */
export interface TopicFlow {
  source: string;
  target: string;
}

/** How offsets of a copy relate to its source's. */
export type LagMapping = { kind: 'identical' } | { kind: 'offset-syncs'; topic: string; on: 'source' | 'target' };

/** The mapping of a flow: MM2's offset syncs (on the side offset-syncs.topic.location says), or identical offsets. */
export function lagMapping(naming: FlowNaming, offsetSyncsLocation: 'source' | 'target'): LagMapping {
  if (naming.kind !== 'mirrormaker2') return { kind: 'identical' };
  return { kind: 'offset-syncs', topic: offsetSyncsTopic(naming, offsetSyncsLocation, naming.separator), on: offsetSyncsLocation };
}

/**
 * Why a lag is unknown. `source-unreachable` and `target-unreachable`: a
 * cluster could not be reached at all; `no-mapping`: both were read, but
 * the link's mapping does not cover the partition; `read-error`: a read
 * failed or returned what cannot be decoded.
 */
export type LagUnknownKind = 'source-unreachable' | 'target-unreachable' | 'no-mapping' | 'read-error';

export interface LagUnknown {
  kind: LagUnknownKind;
  reason: string;
}

interface PartitionBase {
  sourceTopic: string;
  targetTopic: string;
  partition: number;
  sourceEnd: number;
  /** undefined when the copy does not exist or its end could not be read */
  targetEnd?: number;
  /** when the lag is above 0: the first source offset not proven to be on the target */
  from?: number;
  /** seconds asked: the age of the oldest record not proven on the target (0 when nothing lags) */
  lagMs?: number;
  /** seconds asked, and the age could not be read */
  lagMsUnknown?: LagUnknown;
}

/** A partition's lag in records: known, or unknown and why. */
export type PartitionLag = PartitionBase & ({ lag: number; unknown?: undefined } | { lag?: undefined; unknown: LagUnknown });

/** A partition whose lag is unknown: in records, or (seconds asked) only its age. */
export interface UnknownLag extends LagUnknown {
  topic: string;
  partition: number;
  of: 'records' | 'seconds';
}

export interface LagReport {
  measuredAt: number;
  mapping: LagMapping['kind'];
  partitions: PartitionLag[];
  /** over the partitions whose lag is known */
  maxLag: number;
  totalLag: number;
  /** seconds asked: the largest known lagMs */
  maxLagMs?: number;
  /** every partition whose lag is unknown (records first) */
  unknown: UnknownLag[];
  /** the source could not be read: no partition was judged, and the lag is unknown */
  unmeasured?: LagUnknown;
  /** source topics that do not exist on the source */
  missingSource: string[];
  /** target topics that do not exist (yet) on the target */
  missingTarget: string[];
}

/** Without seconds, lagging partitions whose tail is longer than this are not read for markers. */
export const TAIL_SCAN_MAX = 1000;

// ---- pure rules ----

/** What is known of one partition when it is judged. */
export interface PartitionFacts {
  source: PartitionEnds;
  /** the copy's end; undefined when the copy does not exist */
  targetEnd?: number;
  /** why the copy's end could not be read */
  targetUnknown?: LagUnknown;
  mapping: { kind: 'identical' } | { kind: 'offset-syncs'; newest?: NewestSync; unavailable?: LagUnknown };
}

export type Judged = { lag: number; from: number } | { unknown: LagUnknown };

/** The lag of one partition, from its ends and the link's mapping. */
export function judgePartition(f: PartitionFacts): Judged {
  const { earliest, latest } = f.source;
  if (latest <= earliest) return { lag: 0, from: latest };
  if (f.targetUnknown) return { unknown: f.targetUnknown };
  // No copy at all: everything the source still holds is missing.
  if (f.targetEnd === undefined) return { lag: latest - earliest, from: earliest };
  if (f.mapping.kind === 'identical') {
    if (f.targetEnd > latest) {
      return { unknown: { kind: 'no-mapping', reason: `the copy ends at ${f.targetEnd}, after the source's end ${latest}: the source was truncated or recreated, or the copy is not a copy of it` } };
    }
    const from = Math.max(f.targetEnd, earliest);
    return { lag: latest - from, from };
  }
  if (f.mapping.unavailable) return { unknown: f.mapping.unavailable };
  const pos = syncedPosition(f.mapping.newest, latest, f.targetEnd);
  if (!pos.ok) return { unknown: { kind: pos.gap === 'undecodable-sync' ? 'read-error' : 'no-mapping', reason: pos.detail } };
  const from = Math.max(pos.replicated, earliest);
  return { lag: latest - from, from };
}

/** A partition's lag from its judgement: `from` kept only while it lags. */
export function partitionLag(base: Omit<PartitionBase, 'from' | 'lagMs' | 'lagMsUnknown'>, j: Judged): PartitionLag {
  if ('unknown' in j) return { ...base, unknown: j.unknown };
  return { ...base, lag: j.lag, ...(j.lag > 0 ? { from: j.from } : {}) };
}

/** What the source holds from a lagging partition's `from` up to its end. */
export type Tail = { kind: 'data'; offset: number; timestamp: number } | { kind: 'none' } | { kind: 'unknown'; reason: string };

export type TailScan = Exclude<Tail, { kind: 'unknown' }> | { kind: 'more'; next: number };

// Record batch v2 header: baseOffset int64, batchLength int32, leader epoch int32, magic int8, crc int32,
// attributes int16, lastOffsetDelta int32, baseTimestamp int64, maxTimestamp int64, ... (61 bytes in all).
const LOG_OVERHEAD = 12;
const MAGIC_AT = 16;
const ATTRIBUTES_AT = 21;
const LAST_OFFSET_DELTA_AT = 23;
const BASE_TIMESTAMP_AT = 27;
const MAX_TIMESTAMP_AT = 35;
const HEADER_BYTES = 61;
const CONTROL = 0x20;
const LOG_APPEND_TIME = 0x08;

/**
 * Reads the batches a Fetch returned from `from` on, up to `end`: the first
 * data record, or 'none' when only transaction markers and compaction gaps
 * lie before `end`, or 'more' (with where to continue) when the bytes stop
 * first. Only batch headers are needed to step over markers, so a batch
 * cut short by the fetch size, or compressed with a codec recordBatch.ts
 * cannot read, still counts as data: its record is taken to be at `from`
 * (or the batch's start), with the batch's first timestamp (its append time
 * for LogAppendTime), which is never younger than the records after it
 * that were not yet replicated.
 */
export function scanTail(bytes: Buffer | null, from: number, end: number, where: string): TailScan {
  let covered = from - 1;
  let pos = 0;
  while (bytes && bytes.length - pos >= HEADER_BYTES) {
    const base = readInt64(bytes, pos);
    const size = LOG_OVERHEAD + bytes.readInt32BE(pos + 8);
    const complete = pos + size <= bytes.length;
    if (bytes.readInt8(pos + MAGIC_AT) !== 2) return { kind: 'data', offset: Math.max(from, base), timestamp: -1 };
    const attributes = bytes.readInt16BE(pos + ATTRIBUTES_AT);
    const last = base + bytes.readInt32BE(pos + LAST_OFFSET_DELTA_AT);
    if (base >= end) return { kind: 'none' };
    if (last >= from && (attributes & CONTROL) === 0) {
      const decoded = complete ? firstRecord(bytes.subarray(pos, pos + size), from, where) : undefined;
      if (decoded?.ok && decoded.first) {
        return decoded.first.offset >= end ? { kind: 'none' } : { kind: 'data', offset: decoded.first.offset, timestamp: decoded.first.timestamp };
      }
      if (!decoded?.ok) {
        const stamp = readInt64(bytes, pos + ((attributes & LOG_APPEND_TIME) !== 0 ? MAX_TIMESTAMP_AT : BASE_TIMESTAMP_AT));
        return { kind: 'data', offset: Math.max(from, base), timestamp: stamp };
      }
      // Compaction left no record at or after `from` in this batch.
    }
    covered = Math.max(covered, last);
    if (!complete) break;
    pos += size;
  }
  return covered >= end - 1 ? { kind: 'none' } : { kind: 'more', next: covered + 1 };
}

function firstRecord(batch: Buffer, from: number, where: string): { ok: true; first?: { offset: number; timestamp: number } } | { ok: false } {
  try {
    const [first] = decodeRecords(batch, where, { from, limit: 1 });
    return first ? { ok: true, first } : { ok: true };
  } catch {
    return { ok: false };
  }
}

function readInt64(b: Buffer, at: number): number {
  return b.readInt32BE(at) * 4294967296 + b.readUInt32BE(at + 4);
}

/** A partition whose lag in records is known. */
export type KnownLag = PartitionLag & { lag: number };

/** A judged partition after its tail was read (lagging ones only; `tail` undefined: not read). */
export function withTail(p: PartitionLag, tail: Tail | undefined, now: number, seconds: boolean): PartitionLag {
  if (p.lag === undefined) return p;
  if (p.lag === 0) return seconds ? { ...p, lagMs: 0 } : p;
  const ageUnknown = (q: KnownLag, reason: string): KnownLag => (seconds ? { ...q, lagMsUnknown: { kind: 'read-error', reason } } : q);
  const known: KnownLag = p;
  if (!tail) return ageUnknown(known, `the source was not read from offset ${p.from}`);
  if (tail.kind === 'unknown') return ageUnknown(known, tail.reason);
  if (tail.kind === 'none') {
    const { from: _from, ...rest } = known;
    return { ...rest, lag: 0, ...(seconds ? { lagMs: 0 } : {}) };
  }
  const found: KnownLag = { ...known, lag: p.sourceEnd - tail.offset, from: tail.offset };
  if (!seconds) return found;
  if (tail.timestamp < 0) return ageUnknown(found, `the record at offset ${tail.offset} has no timestamp (message format before v2)`);
  return { ...found, lagMs: Math.max(0, now - tail.timestamp) };
}

/** The lagging partitions whose tail is read: all of them for their age, else those short enough to be only markers. */
export function tailsToRead(partitions: readonly PartitionLag[], seconds: boolean): KnownLag[] {
  return partitions.filter((p): p is KnownLag => p.lag !== undefined && p.lag > 0 && (seconds || p.lag <= TAIL_SCAN_MAX));
}

/** Totals over the known partitions, and every unknown one. */
export function summarise(partitions: readonly PartitionLag[], seconds: boolean): Pick<LagReport, 'maxLag' | 'totalLag' | 'maxLagMs' | 'unknown'> {
  let maxLag = 0;
  let totalLag = 0;
  let maxLagMs: number | undefined = seconds ? 0 : undefined;
  const records: UnknownLag[] = [];
  const ages: UnknownLag[] = [];
  for (const p of partitions) {
    if (p.unknown) {
      records.push({ topic: p.sourceTopic, partition: p.partition, of: 'records', ...p.unknown });
      continue;
    }
    maxLag = Math.max(maxLag, p.lag);
    totalLag += p.lag;
    if (!seconds) continue;
    if (p.lagMsUnknown) ages.push({ topic: p.sourceTopic, partition: p.partition, of: 'seconds', ...p.lagMsUnknown });
    else maxLagMs = Math.max(maxLagMs ?? 0, p.lagMs ?? 0);
  }
  return { maxLag, totalLag, ...(maxLagMs === undefined ? {} : { maxLagMs }), unknown: [...records, ...ages] };
}

/** A lag report against bounds: within them, over one (the worst partition), or unknown. */
export type LagVerdict =
  | { kind: 'within' }
  | { kind: 'over'; by: 'records'; worst: PartitionLag & { lag: number } }
  | { kind: 'over'; by: 'seconds'; worst: PartitionLag & { lag: number; lagMs: number } }
  | { kind: 'unknown'; unknown: UnknownLag[]; reason: string };

/**
 * Judges a report against `maxRecords` and `maxMs` (either may be absent).
 * A known partition over a bound is reported first, being a fact; then any
 * unknown partition (unknown ages only when `maxMs` is given); never
 * within while anything is unknown.
 */
export function lagVerdict(r: LagReport, bound: { maxRecords?: number; maxMs?: number }): LagVerdict {
  if (r.unmeasured) return { kind: 'unknown', unknown: [], reason: r.unmeasured.reason };
  const known = r.partitions.filter((p): p is PartitionLag & { lag: number } => p.lag !== undefined);
  if (bound.maxRecords !== undefined) {
    const over = known.filter((p) => p.lag > bound.maxRecords!);
    if (over.length) return { kind: 'over', by: 'records', worst: over.reduce((a, b) => (b.lag > a.lag ? b : a)) };
  }
  if (bound.maxMs !== undefined) {
    const over = known.filter((p): p is PartitionLag & { lag: number; lagMs: number } => p.lagMs !== undefined && p.lagMs > bound.maxMs!);
    if (over.length) return { kind: 'over', by: 'seconds', worst: over.reduce((a, b) => (b.lagMs > a.lagMs ? b : a)) };
  }
  const unknown = r.unknown.filter((u) => u.of === 'records' || bound.maxMs !== undefined);
  if (unknown.length) return { kind: 'unknown', unknown, reason: describeUnknown(unknown) };
  return { kind: 'within' };
}

/** "orders-0 (no offset sync ...), orders-2 (...) and 3 more": unknown partitions in one line. */
export function describeUnknown(unknown: readonly UnknownLag[], max = 2, total = unknown.length): string {
  const shown = unknown.slice(0, max).map((u) => `${u.topic}-${u.partition}${u.of === 'seconds' ? ' age' : ''} unknown (${u.reason})`);
  return total > shown.length ? `${shown.join(', ')} and ${total - shown.length} more` : shown.join(', ');
}

/** Which kind of unknown a failed read of a cluster is: a cluster that does not answer, or another error. */
export function failureKind(e: unknown, side: 'source' | 'target'): LagUnknownKind {
  const msg = errorMessage(e);
  if (e instanceof ClusterTimeoutError || /cannot connect|no answer within|timed out/.test(msg)) return side === 'source' ? 'source-unreachable' : 'target-unreachable';
  return 'read-error';
}

// ---- reading the clusters ----

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
  const cluster = await rawClusterOf(conn);
  // Metadata of just these topics is cheap on a large cluster; Kafka answers a missing one with an error, and then every topic is asked for.
  let md;
  try {
    md = await conn.call(`metadata of ${topics.length} topics`, () => cluster.metadata({ topics: [...topics] }));
  } catch (e) {
    if (!/UNKNOWN_TOPIC_OR_PARTITION|does not host this topic/.test(`${(e as { type?: string }).type ?? ''} ${(e as Error).message}`)) throw e;
    md = await conn.call('metadata of all topics', () => cluster.metadata({ topics: [] }));
  }
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
 * Reads each wanted partition of the source from `from`: one Fetch per
 * leader for all of them, again (from where the markers stopped, or for the
 * partitions a full answer left out) a few rounds at most. A partition
 * left without an answer is 'unknown', never 'none': unlike recordsAt's
 * "nothing found", the answer tells markers only from no answer.
 */
export async function readTails(conn: KafkaConnection, leaders: LeaderIndex, wanted: readonly TailWanted[]): Promise<Map<string, Tail>> {
  const out = new Map<string, Tail>();
  if (wanted.length === 0) return out;
  const { perBroker, leaderless } = byLeader(leaders, wanted);
  for (const w of leaderless) out.set(tpKey(w.topic, w.partition), { kind: 'unknown', reason: `no leader for ${w.topic}-${w.partition} on ${conn.name}` });
  const cluster = await rawClusterOf(conn);
  await Promise.all(
    [...perBroker.entries()].map(async ([nodeId, items]) => {
      let pending = items.map((w) => ({ ...w, at: w.from }));
      try {
        const broker = await conn.call(`fetch: broker ${nodeId}`, () => cluster.findBroker({ nodeId: String(nodeId) }));
        for (let round = 0; round < MAX_ROUNDS && pending.length > 0; round++) {
          const asked = pending;
          const res = await conn.call(`fetch ${asked.length} partitions from broker ${nodeId}`, () =>
            fetchPartitions(broker, nodeId, asked.map((w) => ({ topic: w.topic, partition: w.partition, offset: w.at, maxBytes: PARTITION_MAX_BYTES })), {
              maxWaitMs: 0,
              minBytes: 0,
              maxBytes: REQUEST_MAX_BYTES,
            }),
          );
          const answers = new Map(res.map((p) => [tpKey(p.topic, p.partition), p]));
          pending = [];
          for (const w of asked) {
            const key = tpKey(w.topic, w.partition);
            const p = answers.get(key);
            if (p?.errorCode === OFFSET_OUT_OF_RANGE) out.set(key, { kind: 'unknown', reason: `offset ${w.at} of ${w.topic}-${w.partition} is no longer in the log on ${conn.name}` });
            else if (p && p.highWatermark <= w.at) out.set(key, { kind: 'none' });
            else {
              const scan = p ? scanTail(p.records, w.at, w.end, `${conn.name}: ${w.topic}-${w.partition}`) : { kind: 'more' as const, next: w.at };
              if (scan.kind === 'more') pending.push({ ...w, at: scan.next });
              else out.set(key, scan);
            }
          }
        }
        for (const w of pending) out.set(tpKey(w.topic, w.partition), { kind: 'unknown', reason: `${MAX_ROUNDS} fetches from broker ${nodeId} did not reach past offset ${w.at}` });
      } catch (e) {
        for (const w of items) if (!out.has(tpKey(w.topic, w.partition))) out.set(tpKey(w.topic, w.partition), { kind: 'unknown', reason: errorMessage(e) });
      }
    }),
  );
  return out;
}

function report(mapping: LagMapping, measuredAt: number, partitions: PartitionLag[], seconds: boolean, missingSource: string[], missingTarget: string[]): LagReport {
  return { measuredAt, mapping: mapping.kind, partitions, ...summarise(partitions, seconds), missingSource, missingTarget };
}

/** A report of nothing: the source could not be read, so the lag is unknown (and no age is 0). */
export function unmeasuredReport(mapping: LagMapping['kind'], measuredAt: number, unmeasured: LagUnknown): LagReport {
  return { measuredAt, mapping, partitions: [], maxLag: 0, totalLag: 0, unknown: [], unmeasured, missingSource: [], missingTarget: [] };
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
