import { syncedPosition, type NewestSync } from './mm2Translation.js';
import { offsetSyncsTopic, type FlowNaming } from './naming.js';
import type { PartitionEnds } from './readTopic.js';
import { CommittedFilter, decodeRecords, markerType, type AbortedList } from './recordBatch.js';
import { ClusterUnreachableError, isNoAnswer } from './kafkaErrors.js';

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
 *
 * This module holds the rules, as pure functions over what was read;
 * measureReplicationLag.ts reads the clusters and applies them.
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
const PRODUCER_ID_AT = 43;
const HEADER_BYTES = 61;
const CONTROL = 0x20;
const LOG_APPEND_TIME = 0x08;

/**
 * Reads the batches a READ_COMMITTED Fetch returned from `from` on, up to
 * `end`: the first committed data record, or 'none' when only transaction
 * markers, records of aborted transactions (`aborted`, the answer's list;
 * a link never has to copy them) and compaction gaps lie before `end`, or
 * 'more' (with where to continue) when the bytes stop first. Only batch
 * headers are needed to step over markers and aborted batches, so a batch
 * cut short by the fetch size, or compressed with a codec recordBatch.ts
 * cannot read, still counts as data: its record is taken to be at `from`
 * (or the batch's start), with the batch's first timestamp (its append time
 * for LogAppendTime), which is never younger than the records after it
 * that were not yet replicated.
 */
export function scanTail(bytes: Buffer | null, from: number, end: number, where: string, aborted: AbortedList = []): TailScan {
  let covered = from - 1;
  let pos = 0;
  const filter = new CommittedFilter(aborted);
  // A batch cut short ends the loop too: `pos` then lies past the bytes.
  while (bytes && bytes.length - pos >= HEADER_BYTES) {
    const base = readInt64(bytes, pos);
    const size = LOG_OVERHEAD + bytes.readInt32BE(pos + 8);
    if (bytes.readInt8(pos + MAGIC_AT) !== 2) return { kind: 'data', offset: Math.max(from, base), timestamp: -1 };
    const attributes = bytes.readInt16BE(pos + ATTRIBUTES_AT);
    const last = base + bytes.readInt32BE(pos + LAST_OFFSET_DELTA_AT);
    if (base >= end) return { kind: 'none' };
    const complete = pos + size <= bytes.length;
    const marker = (attributes & CONTROL) !== 0 && complete ? markerType(bytes.subarray(pos + HEADER_BYTES, pos + size)) : 'unknown';
    const skipped = filter.skips({ lastOffset: last, producerId: bytes.readBigInt64BE(pos + PRODUCER_ID_AT), attributes }, marker);
    if (last >= from && !skipped) {
      const decoded = complete ? firstRecord(bytes.subarray(pos, pos + size), from, where) : 'cut short';
      if (decoded === 'cut short' || decoded === 'undecodable') {
        const stamp = readInt64(bytes, pos + ((attributes & LOG_APPEND_TIME) !== 0 ? MAX_TIMESTAMP_AT : BASE_TIMESTAMP_AT));
        return { kind: 'data', offset: Math.max(from, base), timestamp: stamp };
      }
      if (decoded.first) return decoded.first.offset >= end ? { kind: 'none' } : { kind: 'data', offset: decoded.first.offset, timestamp: decoded.first.timestamp };
      // Compaction left no record at or after `from` in this batch.
    }
    covered = Math.max(covered, last);
    pos += size;
  }
  return covered >= end - 1 ? { kind: 'none' } : { kind: 'more', next: covered + 1 };
}

/** The batch's first record at or after `from` (none: compaction left none), or 'undecodable' (a codec recordBatch.ts cannot read). */
function firstRecord(batch: Buffer, from: number, where: string): { first?: { offset: number; timestamp: number } } | 'undecodable' {
  try {
    const [first] = decodeRecords(batch, where, { from, limit: 1 });
    return first ? { first } : {};
  } catch {
    return 'undecodable';
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
  return partitions.filter((p): p is KnownLag => (p.lag ?? 0) > 0 && (seconds || (p.lag ?? 0) <= TAIL_SCAN_MAX));
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

/** A report of nothing: the source could not be read, so the lag is unknown (and no age is 0). */
export function unmeasuredReport(mapping: LagMapping['kind'], measuredAt: number, unmeasured: LagUnknown): LagReport {
  return { measuredAt, mapping, partitions: [], maxLag: 0, totalLag: 0, unknown: [], unmeasured, missingSource: [], missingTarget: [] };
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
export function lagVerdict(r: LagReport, bound: { maxRecords?: number | undefined; maxMs?: number | undefined }): LagVerdict {
  if (r.unmeasured) return { kind: 'unknown', unknown: [], reason: r.unmeasured.reason };
  // Unknown partitions have neither a lag nor an age, so they are never over a bound.
  const overRecords = r.partitions.filter((p): p is KnownLag => (p.lag ?? 0) > (bound.maxRecords ?? Infinity));
  if (overRecords.length) return { kind: 'over', by: 'records', worst: overRecords.reduce((a, b) => (b.lag > a.lag ? b : a)) };
  const overAge = r.partitions.filter((p): p is KnownLag & { lagMs: number } => (p.lagMs ?? 0) > (bound.maxMs ?? Infinity));
  if (overAge.length) return { kind: 'over', by: 'seconds', worst: overAge.reduce((a, b) => (b.lagMs > a.lagMs ? b : a)) };
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
  return unreachableOr(isNoAnswer(e) || (e instanceof ClusterUnreachableError && e.reason === 'no-answer'), side);
}

/** The same for a failure already recorded (a snapshot's fact), which says whether the cluster answered. */
export function recordedFailureKind(f: { noAnswer?: boolean }, side: 'source' | 'target'): LagUnknownKind {
  return unreachableOr(f.noAnswer === true, side);
}

function unreachableOr(noAnswer: boolean, side: 'source' | 'target'): LagUnknownKind {
  return noAnswer ? (side === 'source' ? 'source-unreachable' : 'target-unreachable') : 'read-error';
}
