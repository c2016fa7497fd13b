import type { KafkaConnection } from './connection.js';
import { decodeCheckpoint, decodeOffsetSync, decodeOffsetSyncKey, type Checkpoint, type OffsetSync } from './mm2Records.js';
import { readTopic, type PartitionEnds, type RawRecord } from './readTopic.js';
import { tpKey } from './metadata.js';

/**
 * Offset translation the way MirrorMaker 2 does it (Kafka 4.3,
 * connect/mirror OffsetSyncStore.translateDownstream, MirrorCheckpointTask,
 * and connect/mirror-client MirrorClient.remoteConsumerOffsets).
 *
 * How MM2 translates:
 * - The source task writes offset syncs (upstream offset u was written at
 *   downstream offset d) to `mm2-offset-syncs.<alias>.internal`; an upstream
 *   offset lower than the previous one (a rewind, e.g. a recreated topic)
 *   makes every earlier sync of that partition unusable.
 * - The checkpoint task reads each group's committed offset c on the source
 *   and translates it with the newest sync whose upstream offset is <= c:
 *   d when c == u, otherwise d + 1. It never guesses further ahead, because
 *   records between u and c may or may not have been replicated (filtered,
 *   compacted, transaction markers); overestimating would skip records.
 *   If every sync it holds is above c, it answers -1 and writes no
 *   checkpoint. It writes a checkpoint (group, remote topic, partition,
 *   upstreamOffset = c, offset = translation) only when the translation
 *   moved forward or the group rewound.
 * - MirrorClient.remoteConsumerOffsets reads partition 0 of
 *   `<source alias>.checkpoints.internal` on the target from the beginning;
 *   the last checkpoint per (group, topic, partition) wins. sync.group.offsets
 *   commits exactly those values into idle groups on the target.
 *
 * So a checkpoint gives no translation of the group's current commit when:
 * - there is no checkpoint yet (MM2 has not run its interval since the group
 *   committed, or the group or topic is outside MM2's filters);
 * - the group committed before any offset sync of the partition: MM2 holds
 *   no sync at or below the commit and declines (reason
 *   `committed-before-first-sync`, or `no-offset-sync` when the partition has
 *   none at all);
 * - the checkpoint is older than the commit: its upstreamOffset differs from
 *   the committed offset, so it translates an earlier position
 *   (`checkpoint-behind-commit`) or a later one the group has since rewound
 *   from (`checkpoint-ahead-of-commit`, which would skip records);
 * - the translated offset lies beyond the replicated data on the target
 *   (`beyond-replicated-data`): committing it would skip whatever lands in
 *   between, which is data loss.
 *
 * Our own `translateDownstream` below applies MM2's rule to every sync we
 * read, where MM2 keeps a sparse, exponentially spaced subset in memory; it
 * can therefore pick a closer sync than MM2 would, never a later one than
 * the commit, so it is at least as precise and never skips.
 */

/** A checkpoint and when MM2 wrote it. Offsets are plain numbers here (Kafka offsets stay below 2^53). */
export interface CheckpointRecord {
  group: string;
  /** the topic on the target (the remote name, e.g. east.orders) */
  topic: string;
  partition: number;
  upstreamOffset: number;
  downstreamOffset: number;
  metadata: string;
  /** record timestamp: when MM2 emitted it */
  writtenAt: number;
}

export interface Sync {
  upstreamOffset: number;
  downstreamOffset: number;
}

/** group -> (topic, partition) -> the last checkpoint in log order. */
export type CheckpointIndex = Map<string, Map<string, CheckpointRecord>>;

export function indexCheckpoints(records: Iterable<CheckpointRecord>): CheckpointIndex {
  const out: CheckpointIndex = new Map();
  for (const r of records) {
    let byTp = out.get(r.group);
    if (!byTp) out.set(r.group, (byTp = new Map()));
    byTp.set(tpKey(r.topic, r.partition), r);
  }
  return out;
}

export function checkpointOf(index: CheckpointIndex, group: string, topic: string, partition: number): CheckpointRecord | undefined {
  return index.get(group)?.get(tpKey(topic, partition));
}

/**
 * Offset syncs per source (topic, partition), in log order, from the last
 * rewind on: a sync whose upstream offset is below the newest one makes
 * the earlier syncs invalid, as in OffsetSyncStore.updateSyncArray.
 */
export type SyncIndex = Map<string, Sync[]>;

export function indexOffsetSyncs(syncs: Iterable<Pick<OffsetSync, 'topic' | 'partition'> & { upstreamOffset: bigint | number; downstreamOffset: bigint | number }>): SyncIndex {
  const out: SyncIndex = new Map();
  for (const s of syncs) {
    const key = tpKey(s.topic, s.partition);
    const sync = { upstreamOffset: toOffset(s.upstreamOffset), downstreamOffset: toOffset(s.downstreamOffset) };
    const list = out.get(key);
    const newest = list?.[list.length - 1];
    if (!list || (newest && sync.upstreamOffset < newest.upstreamOffset)) out.set(key, [sync]);
    else list.push(sync);
  }
  return out;
}

/**
 * MM2's translateDownstream over the syncs of one partition: the newest
 * sync at or below `upstreamOffset` gives d (exact match) or d + 1. Returns
 * -1 when every sync is above the offset (MM2 declines), undefined when the
 * partition has no sync at all.
 */
export function translateDownstream(syncs: readonly Sync[] | undefined, upstreamOffset: number): number | undefined {
  if (!syncs || syncs.length === 0) return undefined;
  for (let i = syncs.length - 1; i >= 0; i--) {
    const s = syncs[i]!;
    if (s.upstreamOffset <= upstreamOffset) return s.downstreamOffset + (s.upstreamOffset === upstreamOffset ? 0 : 1);
  }
  return -1;
}

/**
 * Where the committed position would be on the target if every record after
 * the newest usable sync was replicated one for one: d + (c - u), at most
 * the target's end. The estimate behind "expected replay".
 */
export function estimatedTargetPosition(syncs: readonly Sync[] | null | undefined, committed: number, targetEnd: number): number | undefined {
  if (!syncs) return undefined;
  for (let i = syncs.length - 1; i >= 0; i--) {
    const s = syncs[i]!;
    if (s.upstreamOffset <= committed) return Math.min(targetEnd, s.downstreamOffset + (committed - s.upstreamOffset));
  }
  return undefined;
}

/**
 * The newest offset sync of one source partition in log order, with its
 * position in the offset-syncs topic; or, when the newest record about the
 * partition could not be decoded, that error.
 */
export type NewestSync = { ok: true; sync: Sync; at: number } | { ok: false; error: string; at: number };

/**
 * The newest offset sync per source partition (by tpKey), and the position
 * of the newest record whose key could not be decoded (-1: none). Such a
 * record may be any partition's newest sync: every partition known before
 * it is replaced by an error (a later valid sync replaces that again), and
 * a partition not seen yet is in doubt too (see newestSyncOf).
 */
export interface NewestSyncs {
  bySource: Map<string, NewestSync>;
  undecodableKeyAt: number;
}

export function emptyNewestSyncs(): NewestSyncs {
  return { bySource: new Map(), undecodableKeyAt: -1 };
}

/** Folds offset-sync records, in log order, into `into`. */
export function foldNewestSyncs(into: NewestSyncs, records: Iterable<{ offset: number; key: Buffer | null; value: Buffer | null }>): void {
  for (const r of records) {
    let where: Pick<OffsetSync, 'topic' | 'partition'>;
    try {
      where = decodeOffsetSyncKey(r.key);
    } catch {
      const doubt: NewestSync = { ok: false, error: undecodableKey(r.offset), at: r.offset };
      for (const key of into.bySource.keys()) into.bySource.set(key, doubt);
      into.undecodableKeyAt = r.offset;
      continue;
    }
    const key = tpKey(where.topic, where.partition);
    try {
      const s = decodeOffsetSync(r.key, r.value);
      into.bySource.set(key, { ok: true, sync: { upstreamOffset: toOffset(s.upstreamOffset), downstreamOffset: toOffset(s.downstreamOffset) }, at: r.offset });
    } catch (e) {
      into.bySource.set(key, { ok: false, error: (e as Error).message, at: r.offset });
    }
  }
}

/**
 * The newest sync of a source partition. It is in doubt (an error) when a
 * later record of the topic has a key that cannot be decoded: that record
 * may be the partition's newest sync, a rewind among them.
 */
export function newestSyncOf(syncs: NewestSyncs, topic: string, partition: number): NewestSync | undefined {
  const n = syncs.bySource.get(tpKey(topic, partition));
  if (n === undefined && syncs.undecodableKeyAt >= 0) return { ok: false, error: undecodableKey(syncs.undecodableKeyAt), at: syncs.undecodableKeyAt };
  return n;
}

function undecodableKey(at: number): string {
  return `the record at offset ${at} has a key that cannot be decoded, and it may be this partition's newest sync`;
}

/** Why the offset syncs cannot say how far a partition is replicated. */
export type SyncGap = 'no-offset-sync' | 'undecodable-sync' | 'target-before-sync' | 'source-before-sync';

export type SyncedPosition = { ok: true; sync: Sync; replicated: number } | { ok: false; gap: SyncGap; detail: string };

/**
 * How far the target provably holds the source, from the newest offset sync
 * (u, d) of the partition: every upstream offset up to u, so `replicated`
 * (the first offset not proven to be there) is u + 1.
 *
 * Why that is proof: MM2 emits a sync only from commitRecord, after the
 * target acknowledged record u at d; Connect's source producer keeps order
 * within a partition, and a restarted task resumes from an offset it
 * committed only once everything before it was acknowledged. Since Kafka
 * 3.6 MM2 also promotes delayed syncs at each offset commit, so the newest
 * sync reaches the end of a quiet partition within offset.flush.interval.ms.
 *
 * Records after u count as not replicated, even when the target holds more
 * records after d: after a restart MM2 replays from its last committed
 * position, so the target holds duplicates, and u + (targetEnd - d) counts
 * them as source records. Killed before its first sync of the new run, MM2
 * leaves the previous run's sync newest while the target grows with
 * replayed records: that estimate then runs ahead of the truth by as many
 * records as were replayed (the defect of issue 10: "caught up" with 50
 * records only on the source).
 *
 * The proof needs the sync's record still on the target (targetEnd > d; a
 * target truncated or recreated below it proves nothing) and the source to
 * have reached u (sourceEnd > u; otherwise it was truncated or recreated).
 */
export function syncedPosition(newest: NewestSync | undefined, sourceEnd: number, targetEnd: number): SyncedPosition {
  if (!newest) return { ok: false, gap: 'no-offset-sync', detail: 'no offset sync for the partition' };
  if (!newest.ok) return { ok: false, gap: 'undecodable-sync', detail: `its newest offset sync (offset ${newest.at} of the offset-syncs topic) cannot be decoded: ${newest.error}` };
  const { upstreamOffset: u, downstreamOffset: d } = newest.sync;
  if (targetEnd <= d) {
    return { ok: false, gap: 'target-before-sync', detail: `the copy ends at ${targetEnd}, before the record ${d} of the newest offset sync (${u} -> ${d}): it was truncated or recreated` };
  }
  if (sourceEnd <= u) {
    return { ok: false, gap: 'source-before-sync', detail: `the source ends at ${sourceEnd}, before the record ${u} of the newest offset sync (${u} -> ${d}): it was truncated or recreated` };
  }
  return { ok: true, sync: newest.sync, replicated: u + 1 };
}

export type Mm2NoTranslation =
  | 'no-checkpoint'
  | 'no-offset-sync'
  | 'committed-before-first-sync'
  | 'checkpoint-behind-commit'
  | 'checkpoint-ahead-of-commit'
  | 'beyond-replicated-data';

export type Mm2Translation =
  | { ok: true; targetOffset: number; checkpoint: CheckpointRecord; /** the commit could not be read; the checkpoint is taken as it is */ commitUnknown: boolean }
  | { ok: false; reason: Mm2NoTranslation; checkpoint?: CheckpointRecord; /** the offending offset, for beyond-replicated-data */ targetOffset?: number };

/**
 * MM2's translation of one committed offset, from its newest checkpoint.
 * `committed` undefined: the source is unreachable and the checkpoint is all
 * there is. `syncs` undefined: the syncs were not read (they only refine the
 * reason when there is no checkpoint). `targetEnd` undefined: not known.
 */
export function translateByCheckpoint(input: {
  committed?: number;
  checkpoint?: CheckpointRecord;
  syncs?: readonly Sync[] | null;
  targetEnd?: number;
}): Mm2Translation {
  const { committed, checkpoint, syncs, targetEnd } = input;
  if (!checkpoint) {
    if (syncs === null || syncs === undefined || committed === undefined) return { ok: false, reason: 'no-checkpoint' };
    const t = translateDownstream(syncs, committed);
    if (t === undefined) return { ok: false, reason: 'no-offset-sync' };
    if (t < 0) return { ok: false, reason: 'committed-before-first-sync' };
    return { ok: false, reason: 'no-checkpoint' };
  }
  // An unknown commit is taken to be the one the checkpoint translates; an unknown end bounds nothing.
  const commit = committed ?? checkpoint.upstreamOffset;
  if (checkpoint.upstreamOffset < commit) return { ok: false, reason: 'checkpoint-behind-commit', checkpoint };
  if (checkpoint.upstreamOffset > commit) return { ok: false, reason: 'checkpoint-ahead-of-commit', checkpoint };
  if (checkpoint.downstreamOffset > (targetEnd ?? Infinity)) {
    return { ok: false, reason: 'beyond-replicated-data', checkpoint, targetOffset: checkpoint.downstreamOffset };
  }
  return { ok: true, targetOffset: checkpoint.downstreamOffset, checkpoint, commitUnknown: committed === undefined };
}

export const MM2_REASON_TEXT: Record<Mm2NoTranslation, string> = {
  'no-checkpoint': 'no MirrorMaker 2 checkpoint yet',
  'no-offset-sync': 'no offset sync for the partition yet, so MirrorMaker 2 cannot checkpoint it',
  'committed-before-first-sync': 'the group committed before the first offset sync MirrorMaker 2 holds, so it declines to translate',
  'checkpoint-behind-commit': 'the newest checkpoint translates an earlier commit',
  'checkpoint-ahead-of-commit': 'the newest checkpoint translates a later position than the commit (the group rewound); using it would skip records',
  'beyond-replicated-data': 'the translated offset lies beyond the replicated data; committing it would skip records',
};

function toOffset(v: bigint | number): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new Error(`offset ${v} is beyond what failover handles exactly (2^53)`);
  return n;
}

/** Turns a decoded MM2 checkpoint and its record timestamp into a CheckpointRecord. */
export function checkpointRecord(c: Checkpoint, writtenAt: number): CheckpointRecord {
  return {
    group: c.group,
    topic: c.topic,
    partition: c.partition,
    upstreamOffset: toOffset(c.upstreamOffset),
    downstreamOffset: toOffset(c.downstreamOffset),
    metadata: c.metadata,
    writtenAt,
  };
}

export interface LoadedCheckpoints {
  topic: string;
  exists: boolean;
  records: CheckpointRecord[];
  /** records that are not checkpoints (MirrorClient skips them too) */
  undecodable: number;
}

/**
 * The checkpoints among raw records of the checkpoints topic, in log order.
 * A record that is not a checkpoint is counted and skipped, as MirrorClient
 * skips it: one bad record must not hide every group's translation.
 */
export function checkpointsFrom(raw: Iterable<Pick<RawRecord, 'key' | 'value' | 'timestamp'>>): { records: CheckpointRecord[]; undecodable: number } {
  const records: CheckpointRecord[] = [];
  let undecodable = 0;
  for (const r of raw) {
    try {
      records.push(checkpointRecord(decodeCheckpoint(r.key, r.value), r.timestamp));
    } catch {
      undecodable++;
    }
  }
  return { records, undecodable };
}

/**
 * Every checkpoint in partition 0 of the checkpoints topic, in log order,
 * read without a consumer group. `exists` false when the topic is missing.
 */
export async function loadCheckpoints(conn: KafkaConnection, topic: string, topicExists: boolean): Promise<LoadedCheckpoints> {
  if (!topicExists) return { topic, exists: false, records: [], undecodable: 0 };
  const raw = await readTopic(conn, topic, { partitions: [0] });
  return { topic, exists: true, ...checkpointsFrom(raw) };
}

export interface LoadedOffsetSyncs {
  topic: string;
  exists: boolean;
  syncs: SyncIndex;
  /** the newest sync per partition among the records read */
  newest: NewestSyncs;
  /** how many records were read, and whether older ones were left unread */
  read: number;
  truncated: boolean;
  undecodable: number;
}

/** The offset syncs among raw records of the offset-syncs topic, indexed; records that are not syncs are counted and skipped. */
export function offsetSyncsFrom(raw: Iterable<Pick<RawRecord, 'key' | 'value'>>): { syncs: SyncIndex; undecodable: number } {
  const decoded: OffsetSync[] = [];
  let undecodable = 0;
  for (const r of raw) {
    try {
      decoded.push(decodeOffsetSync(r.key, r.value));
    } catch {
      undecodable++;
    }
  }
  return { syncs: indexOffsetSyncs(decoded), undecodable };
}

/** Where to start reading a partition to get its newest `maxRecords` records, and whether older ones are left unread. */
export function newestWindow(ends: Pick<PartitionEnds, 'earliest' | 'latest'>, maxRecords: number): { from: number; truncated: boolean } {
  return { from: Math.max(ends.earliest, ends.latest - maxRecords), truncated: ends.latest - ends.earliest > maxRecords };
}

/**
 * The newest `maxRecords` offset syncs (the topic is compacted, but it can
 * still be long between cleanings). Older syncs only matter for commits far
 * behind the end of a partition, and for the lag of a partition that has
 * had no sync among them (which is then unknown).
 */
export async function loadOffsetSyncs(conn: KafkaConnection, topic: string, topicExists: boolean, maxRecords = 100_000): Promise<LoadedOffsetSyncs> {
  if (!topicExists) return { topic, exists: false, syncs: new Map(), newest: emptyNewestSyncs(), read: 0, truncated: false, undecodable: 0 };
  let truncated = false;
  const raw = await readTopic(conn, topic, {
    partitions: [0],
    from: (e) => {
      const w = newestWindow(e, maxRecords);
      truncated = w.truncated;
      return w.from;
    },
  });
  const newest = emptyNewestSyncs();
  foldNewestSyncs(newest, raw);
  return { topic, exists: true, ...offsetSyncsFrom(raw), newest, read: raw.length, truncated };
}
