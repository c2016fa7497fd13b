import type { ProbeLog } from './probeLog.js';
import { measureStale, type RouteSwitch, type StaleMeasurement } from './writesToDemoted.js';

/**
 * The drill's outcome, computed from the probe's own records and from
 * group-less reads of a cluster to its end. Pure: a ProbeLog and the reads
 * in, numbers out.
 *
 * Definitions (the README's Drills section repeats them):
 * - write downtime: the longest gap between two successive acknowledged
 *   writes, from the first acknowledgement to the end of the probe (a probe
 *   that never writes again is down until it stops);
 * - read downtime: the same over the receipts of this run's events;
 * - lost: an event acknowledged by any cluster before a survivor read began,
 *   and absent from that read (the union over the reads: the secondary after
 *   the switch, the home primary after a revert);
 * - RPO: the lost events, and in seconds the span from the last surviving
 *   acknowledgement before the first lost one to the last lost one;
 * - duplicates: receipts of an event already received;
 * - replay: receipts, after the consumer moved, of events it had received
 *   before it moved; predicted replay: the records at or after the group's
 *   committed offsets on the new cluster that it had already received;
 * - reorderings: first receipts of an event whose per-key sequence number is
 *   lower than one already received for that key;
 * - failed but stored: sends that failed for the probe (a timeout against a
 *   hung broker) and were stored all the same; they surface late, usually
 *   as reorderings;
 * - writes to the demoted cluster, and the stale client's own loss: see
 *   writesToDemoted.ts. The stale client's events are in a log of their
 *   own, so none of the figures above counts them.
 */

export interface ReadRecord {
  event: number;
  topic: string;
  remote: boolean;
  partition: number;
  offset: number;
}

export interface SurvivorRead {
  /** 'switch': the promoted secondary; 'revert': the home primary after failback */
  label: string;
  cluster: string;
  /** probe time when the read began: events acknowledged later are not judged by it */
  at: number;
  topics: string[];
  records: ReadRecord[];
  /** the stale client's records found by the same read (`event` is its n), when the drill ran one */
  stale?: { topics: string[]; records: ReadRecord[] };
}

export interface Gap {
  from: number;
  to: number;
  ms: number;
}

export interface ReadVerdict {
  label: string;
  cluster: string;
  at: number;
  topics: string[];
  /** acknowledged events this read judges */
  judged: number;
  lost: number;
  /** event ids present more than once in the cluster's topics (MirrorMaker 2 re-replicating, producer retries) */
  duplicatedInTopics: number;
}

export interface Measurement {
  events: { created: number; sent: number; acked: number; failed: number; unsent: number; ackedBy: Record<string, number>; errorsBy: Record<string, number> };
  writeDowntimeMs: number;
  writeGap?: Gap;
  /** the longest ack gaps, longest first, for the report */
  writeGaps: Gap[];
  readDowntimeMs: number;
  readGap?: Gap;
  lost: number;
  /** event indexes of the lost events, ascending */
  lostEvents: number[];
  reads: ReadVerdict[];
  rpo: { events: number; seconds: number };
  received: { receipts: number; distinct: number; unreadAcked: number; foreign: number };
  /** writes the probe saw fail (a timeout on a hung broker) that were stored anyway: read by the group or found by a read */
  failedButStored: number;
  duplicates: number;
  replay: number;
  /** undefined when no read of a cluster the consumer moved to was made */
  predictedReplay: number | undefined;
  reorderings: number;
  /** the stale client's events acknowledged by a demoted cluster after the switch; 0 when it did not run */
  writesToDemoted: number;
  /** the stale client, when the drill ran one */
  stale?: StaleMeasurement;
  window: { from: number; to: number };
}

export interface MeasureInput {
  log: ProbeLog;
  reads: SurvivorRead[];
  /** the probe's stop time; trailing silence counts as downtime up to here */
  endAt: number;
  /** gaps to keep for the report */
  topGaps?: number;
  /** the route switches of the drill's actions (the 'switch' markers) */
  switches?: RouteSwitch[];
}

function longestGaps(times: readonly number[], end: number, keep: number): Gap[] {
  if (times.length === 0) return [];
  const sorted = Float64Array.from(times).sort();
  const gaps: Gap[] = [];
  const push = (from: number, to: number) => {
    const g = { from, to, ms: to - from };
    if (gaps.length < keep) {
      gaps.push(g);
      gaps.sort((a, b) => b.ms - a.ms);
    } else if (g.ms > gaps[gaps.length - 1]!.ms) {
      gaps[gaps.length - 1] = g;
      gaps.sort((a, b) => b.ms - a.ms);
    }
  };
  for (let i = 1; i < sorted.length; i++) push(sorted[i - 1]!, sorted[i]!);
  const last = sorted[sorted.length - 1]!;
  if (end > last) push(last, end);
  return gaps;
}

export function measure(input: MeasureInput): Measurement {
  const { log } = input;
  const keep = input.topGaps ?? 5;
  const n = log.count;
  /** An event of this run's log (reads and receipts can carry others). */
  const ours = (event: number): boolean => event >= 0 && event < n;

  const ackedBy: Record<string, number> = {};
  const errorsBy: Record<string, number> = {};
  let sent = 0;
  let acked = 0;
  let failed = 0;
  let unsent = 0;
  const ackTimes: number[] = [];
  let firstAck = Infinity;
  for (let i = 0; i < n; i++) {
    if (log.sentTo[i]! >= 0) sent++;
    if (log.isAcked(i)) {
      acked++;
      ackTimes.push(log.ackAt[i]!);
      firstAck = Math.min(firstAck, log.ackAt[i]!);
      // Stryker disable next-line StringLiteral: equivalent: an acknowledgement always names its cluster, so the fallback never shows
      const c = log.clusterName(log.ackCluster[i]!) ?? '?';
      ackedBy[c] = (ackedBy[c] ?? 0) + 1;
    } else if (!Number.isNaN(log.errorAt[i]!)) {
      failed++;
      if (log.sentTo[i]! < 0) unsent++;
      const c = log.clusterName(log.sentTo[i]!) ?? 'none';
      errorsBy[c] = (errorsBy[c] ?? 0) + 1;
    }
  }

  const writeGaps = longestGaps(ackTimes, input.endAt, keep);

  // Receipts: first receipt time per event, duplicates, reorderings.
  const firstReceipt = new Float64Array(n).fill(NaN);
  const maxSeq = new Map<number, number>();
  let duplicates = 0;
  let reorderings = 0;
  const ownTimes: number[] = [];
  for (let r = 0; r < log.receipts; r++) {
    const e = log.rEvent[r]!;
    const at = log.rAt[r]!;
    if (!ours(e)) continue;
    ownTimes.push(at);
    if (!Number.isNaN(firstReceipt[e]!)) {
      duplicates++;
      continue;
    }
    firstReceipt[e] = at;
    const k = log.key[e]!;
    const s = log.seq[e]!;
    const m = maxSeq.get(k) ?? -1; // sequence numbers start at 0
    if (s < m) reorderings++;
    else maxSeq.set(k, s);
  }
  const readGaps = longestGaps(ownTimes, input.endAt, 1);

  let distinct = 0;
  let unreadAcked = 0;
  const inSomeRead = new Uint8Array(n);
  for (const read of input.reads) for (const rec of read.records) if (ours(rec.event)) inSomeRead[rec.event] = 1;
  let failedButStored = 0;
  for (let i = 0; i < n; i++) {
    const got = !Number.isNaN(firstReceipt[i]!);
    if (got) distinct++;
    else if (log.isAcked(i)) unreadAcked++;
    if (!log.isAcked(i) && (got || inSomeRead[i] === 1)) failedButStored++;
  }

  // Replay: receipts after a move of events first received before it.
  let replay = 0;
  const moves = log.moves.slice(1);
  for (let r = 0; r < log.receipts; r++) {
    const e = log.rEvent[r]!;
    const at = log.rAt[r]!;
    const first = firstReceipt[e]!;
    if (moves.some((m) => first < m.at && at >= m.at)) replay++;
  }

  let predictedReplay: number | undefined = moves.length === 0 ? 0 : undefined;
  for (const m of moves) {
    const read = input.reads.find((x) => x.cluster === m.cluster);
    if (!read) continue;
    let p = 0;
    for (const rec of read.records) {
      const committed = m.committed[`${rec.topic}:${rec.partition}`];
      if (rec.offset < (committed ?? 0)) continue;
      // NaN (never received) and events not of this log compare false.
      const first = firstReceipt[rec.event] ?? NaN;
      if (first < m.at) p++;
    }
    predictedReplay = (predictedReplay ?? 0) + p;
  }

  // Loss, judged by each read.
  const lostFlags = new Uint8Array(n);
  const reads: ReadVerdict[] = input.reads.map((read) => {
    const present = new Uint8Array(n);
    let duplicatedInTopics = 0;
    for (const rec of read.records) {
      if (!ours(rec.event)) continue;
      if (present[rec.event] === 1) duplicatedInTopics++;
      present[rec.event] = 1;
    }
    let judged = 0;
    let lost = 0;
    for (let i = 0; i < n; i++) {
      if (!log.isAcked(i) || log.ackAt[i]! >= read.at) continue;
      judged++;
      if (present[i] === 0) {
        lost++;
        lostFlags[i] = 1;
      }
    }
    return { label: read.label, cluster: read.cluster, at: read.at, topics: read.topics, judged, lost, duplicatedInTopics };
  });
  const lostEvents: number[] = [];
  for (let i = 0; i < n; i++) if (lostFlags[i] === 1) lostEvents.push(i);
  const stale = log.stale ? measureStale({ stale: log.stale, switches: input.switches ?? [], reads: input.reads, receipts: log.staleReceipts }) : undefined;

  return {
    events: { created: n, sent, acked, failed, unsent, ackedBy, errorsBy },
    writeDowntimeMs: writeGaps[0]?.ms ?? input.endAt,
    ...(writeGaps[0] ? { writeGap: writeGaps[0] } : {}),
    writeGaps,
    readDowntimeMs: readGaps[0]?.ms ?? input.endAt,
    ...(readGaps[0] ? { readGap: readGaps[0] } : {}),
    lost: lostEvents.length,
    lostEvents,
    reads,
    rpo: { events: lostEvents.length, seconds: rpoSeconds(log, lostEvents) },
    received: { receipts: log.receipts, distinct, unreadAcked, foreign: log.foreignReceipts },
    failedButStored,
    duplicates,
    replay,
    predictedReplay,
    reorderings,
    writesToDemoted: stale?.writesToDemoted ?? 0,
    ...(stale ? { stale } : {}),
    window: { from: Number.isFinite(firstAck) ? firstAck : 0, to: input.endAt },
  };
}

/** From the last surviving acknowledgement before the first lost one, to the last lost one. */
function rpoSeconds(log: ProbeLog, lost: number[]): number {
  if (lost.length === 0) return 0;
  let firstLost = Infinity;
  let lastLost = -Infinity;
  for (const i of lost) {
    firstLost = Math.min(firstLost, log.ackAt[i]!);
    lastLost = Math.max(lastLost, log.ackAt[i]!);
  }
  // Every lost event was acknowledged at or after firstLost, so an earlier
  // acknowledgement is a survivor; an unacknowledged event's time is NaN,
  // which compares false.
  let before = -Infinity;
  for (let i = 0; i < log.count; i++) {
    const t = log.ackAt[i]!;
    if (t < firstLost) before = Math.max(before, t);
  }
  return (lastLost - (Number.isFinite(before) ? before : firstLost)) / 1000;
}
