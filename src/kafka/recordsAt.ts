import type { KafkaConnection } from './connection.js';
import { OFFSET_OUT_OF_RANGE, READ_COMMITTED, fetchPartitions, type FetchedPartition } from './fetch.js';
import type { RawRecord } from './readTopic.js';
import { STALE_LEADER_CODES } from './leaderRetry.js';
import { tpKey, type LeaderIndex } from './metadata.js';
import { committedRecords } from './recordBatch.js';
import { routeToLeaders } from './routeToLeaders.js';

export interface RecordWanted {
  topic: string;
  partition: number;
  offset: number;
}

/** A partition with no committed record at or after the wanted offset, before its visible end (the last stable offset). */
export interface NothingVisible {
  topic: string;
  partition: number;
  nothing: true;
  /** where a READ_COMMITTED reader stops: the high watermark, or the first offset of a transaction still open */
  visibleEnd: number;
}

const PARTITION_MAX_BYTES = 256 * 1024;
const REQUEST_MAX_BYTES = 32 * 1024 * 1024;
const MAX_ROUNDS = 4;

/**
 * The committed data each reader of records sees: every Fetch is
 * READ_COMMITTED, so the broker stops at the last stable offset (records of
 * a transaction still open are not visible yet), and recordBatch.ts drops
 * the records of aborted transactions and the transaction markers, as a
 * read_committed consumer does. One Fetch per partition leader for all
 * partitions at once, and again of the new leader for a partition whose
 * leader moved.
 */
async function fetchRound(conn: KafkaConnection, leaders: LeaderIndex, wanted: readonly RecordWanted[]): Promise<Map<string, FetchedPartition>> {
  const answers = await routeToLeaders(conn, leaders, wanted, async (nodeId, items) => {
    const broker = await conn.broker(nodeId);
    const res = await conn.call(
      `fetch ${items.length} partitions from broker ${nodeId}`,
      () =>
        fetchPartitions(broker, nodeId, items.map((w) => ({ ...w, maxBytes: PARTITION_MAX_BYTES })), { maxWaitMs: 0, minBytes: 0, maxBytes: REQUEST_MAX_BYTES, isolationLevel: READ_COMMITTED }, STALE_LEADER_CODES),
      conn.timeoutMs,
      'broker',
    );
    const byKey = new Map(res.map((p) => [tpKey(p.topic, p.partition), p]));
    const moved = items.filter((w) => STALE_LEADER_CODES.has(byKey.get(tpKey(w.topic, w.partition))?.errorCode ?? 0));
    const kept = items.flatMap((w): [string, FetchedPartition][] => {
      const p = byKey.get(tpKey(w.topic, w.partition));
      return p && !STALE_LEADER_CODES.has(p.errorCode) ? [[tpKey(w.topic, w.partition), p]] : [];
    });
    return { answers: kept, moved };
  });
  return new Map(answers);
}

/** Where a READ_COMMITTED reader of a partition stops. */
export function visibleEndOf(p: Pick<FetchedPartition, 'highWatermark' | 'lastStableOffset'>): number {
  return p.lastStableOffset >= 0 ? Math.min(p.lastStableOffset, p.highWatermark) : p.highWatermark;
}

/**
 * The first committed record at or after each wanted offset (the offset may
 * hold a transaction marker, a record of an aborted transaction, or a gap
 * compaction left), or NothingVisible when the partition holds no committed
 * record from there to its visible end. A partition left out of the answers
 * (a broker that filled its answer first, a read that made no progress in a
 * few rounds, an offset no longer in the log) is absent.
 */
export async function firstCommitted(conn: KafkaConnection, leaders: LeaderIndex, wanted: readonly RecordWanted[]): Promise<Map<string, RawRecord | NothingVisible>> {
  const out = new Map<string, RawRecord | NothingVisible>();
  let pending = wanted.filter((w) => w.offset >= 0);
  for (let round = 0; round < MAX_ROUNDS && pending.length > 0; round++) {
    const got = await fetchRound(conn, leaders, pending);
    const again: RecordWanted[] = [];
    for (const want of pending) {
      const key = tpKey(want.topic, want.partition);
      const p = got.get(key);
      if (!p || p.errorCode === OFFSET_OUT_OF_RANGE) continue;
      const visibleEnd = visibleEndOf(p);
      const read = committedRecords(p.records, `${conn.name}: ${key}`, p.aborted, want.offset, 1);
      const first = read.records[0];
      if (first && first.offset < visibleEnd) out.set(key, { topic: want.topic, partition: want.partition, ...first });
      else if (first || Math.max(want.offset, read.next) >= visibleEnd) out.set(key, { topic: want.topic, partition: want.partition, nothing: true, visibleEnd });
      // Only markers and aborted records in this answer: on from after them.
      else if (read.next > want.offset) again.push({ ...want, offset: read.next });
    }
    pending = again;
  }
  return out;
}

/**
 * The committed record at each wanted offset, or the first one after it;
 * absent when there is none before the partition's visible end (or the read
 * did not reach it). See firstCommitted.
 */
export async function recordsAt(conn: KafkaConnection, leaders: LeaderIndex, wanted: readonly RecordWanted[]): Promise<Map<string, RawRecord>> {
  const out = new Map<string, RawRecord>();
  for (const [k, r] of await firstCommitted(conn, leaders, wanted)) if (!('nothing' in r)) out.set(k, r);
  return out;
}

export interface NewestWanted {
  topic: string;
  partition: number;
  earliest: number;
  latest: number;
}

const NEWEST_ROUNDS = 24;
const WINDOW_GROWTH = 16;

/**
 * The newest committed record of each partition: what a read_committed
 * consumer reading to the end would see last. The last offset of a
 * partition written by a transactional producer is a marker, and the
 * records before it may belong to an aborted transaction or to one still
 * open, so the read goes back from the end in growing windows (1, 16, 256,
 * ... offsets) until a window holds a committed record, reading each window
 * forward with the READ_COMMITTED filter. A partition with no committed
 * record, or not settled within a few rounds of Fetches, is absent.
 */
export async function newestCommitted(conn: KafkaConnection, leaders: LeaderIndex, wanted: readonly NewestWanted[]): Promise<Map<string, RawRecord>> {
  const out = new Map<string, RawRecord>();
  interface State {
    w: NewestWanted;
    /** the window being read: [start, stop) */
    start: number;
    stop: number;
    at: number;
    size: number;
    best?: RawRecord;
  }
  let active: State[] = wanted
    .filter((w) => w.latest > w.earliest)
    .map((w) => {
      const start = Math.max(w.earliest, w.latest - 1);
      return { w, start, stop: w.latest, at: start, size: 1 };
    });
  for (let round = 0; round < NEWEST_ROUNDS && active.length > 0; round++) {
    const got = await fetchRound(conn, leaders, active.map((s) => ({ topic: s.w.topic, partition: s.w.partition, offset: s.at })));
    const next: State[] = [];
    for (const s of active) {
      const key = tpKey(s.w.topic, s.w.partition);
      const p = got.get(key);
      if (!p || p.errorCode === OFFSET_OUT_OF_RANGE) continue;
      // A transaction still open: its records are not visible, the newest committed one lies before it.
      s.stop = Math.min(s.stop, visibleEndOf(p));
      const read = committedRecords(p.records, `${conn.name}: ${key}`, p.aborted, s.at);
      for (const r of read.records) if (r.offset < s.stop) s.best = { topic: s.w.topic, partition: s.w.partition, ...r };
      const progressed = read.next > s.at;
      s.at = read.next;
      if (s.at < s.stop) {
        // The window goes on; an answer with no complete batch below the visible end leaves the partition unsettled.
        if (progressed) next.push(s);
        continue;
      }
      if (s.best) {
        out.set(key, s.best);
        continue;
      }
      // Nothing committed in this window: the one before it, larger.
      const end = Math.min(s.start, s.stop);
      if (end <= s.w.earliest) continue;
      s.size *= WINDOW_GROWTH;
      s.start = Math.max(s.w.earliest, end - s.size);
      s.stop = end;
      s.at = s.start;
      next.push(s);
    }
    active = next;
  }
  return out;
}
