import type { PartitionEnds } from './readTopic.js';
import { MM2_REASON_TEXT, estimatedTargetPosition, translateByCheckpoint, type CheckpointRecord, type Mm2NoTranslation, type Sync } from './mm2Translation.js';

/**
 * Where a consumer group resumes on the other cluster, by one of three
 * strategies, as pure functions over data the loaders gathered:
 *
 * - `checkpoint`: MirrorMaker 2's checkpoints (see mm2Translation.ts);
 * - `identical`: an offset-preserving link keeps offsets, so the commit
 *   carries over as it is, but never past the target's end: records not yet
 *   replicated will arrive at those same offsets, and a commit beyond the end
 *   would skip whatever the target receives first after a switch;
 * - `timestamp`: the fallback for any link: the timestamp of the record the
 *   group would read next on the source, turned into the earliest target
 *   offset with that timestamp or later (ListOffsets by timestamp). Equal
 *   timestamps are read again rather than risked, so it replays, never skips.
 */
export type TranslationMethod = 'checkpoint' | 'identical' | 'timestamp';

export type NoTranslationReason =
  | Mm2NoTranslation
  | 'source-unreachable'
  | 'no-target-partition'
  | 'source-record-gone'
  | 'target-lookup-failed';

export interface PartitionTranslation {
  group: string;
  sourceTopic: string;
  targetTopic: string;
  partition: number;
  /** the group's committed offset on the source; absent when the source could not be read */
  committed?: number;
  method: TranslationMethod;
  status: 'translated' | 'none';
  /** the offset to commit on the target (for beyond-replicated-data: the offending one) */
  targetOffset?: number;
  reason?: NoTranslationReason;
  /** one line for people */
  note?: string;
  /** records the group would read again after resuming at targetOffset, when that can be estimated */
  replay?: number;
  checkpoint?: { upstreamOffset: number; downstreamOffset: number; writtenAt: number };
}

interface Where {
  group: string;
  sourceTopic: string;
  targetTopic: string;
  partition: number;
  committed?: number;
}

function base(w: Where, method: TranslationMethod): Omit<PartitionTranslation, 'status'> {
  return {
    group: w.group,
    sourceTopic: w.sourceTopic,
    targetTopic: w.targetTopic,
    partition: w.partition,
    ...(w.committed === undefined ? {} : { committed: w.committed }),
    method,
  };
}

const REASON_TEXT: Record<NoTranslationReason, string> = {
  ...MM2_REASON_TEXT,
  'source-unreachable': 'the source cluster could not be read',
  'no-target-partition': 'the partition does not exist on the target',
  'source-record-gone': 'the record at the committed offset is no longer on the source (retention), so its timestamp is unknown',
  'target-lookup-failed': 'the target could not look up an offset for the timestamp',
};

export function reasonText(reason: NoTranslationReason): string {
  return REASON_TEXT[reason];
}

/** MirrorMaker 2 checkpoint strategy, with the replay it implies when offset syncs are known. */
export function translateCheckpointed(
  w: Where,
  facts: { checkpoint?: CheckpointRecord; syncs?: readonly Sync[] | null; target?: PartitionEnds },
): PartitionTranslation {
  if (!facts.target) return { ...base(w, 'checkpoint'), status: 'none', reason: 'no-target-partition', note: reasonText('no-target-partition') };
  const t = translateByCheckpoint({ committed: w.committed, checkpoint: facts.checkpoint, syncs: facts.syncs, targetEnd: facts.target.latest });
  const cp = t.checkpoint;
  const checkpoint = cp ? { upstreamOffset: cp.upstreamOffset, downstreamOffset: cp.downstreamOffset, writtenAt: cp.writtenAt } : undefined;
  if (!t.ok) {
    return {
      ...base(w, 'checkpoint'),
      status: 'none',
      reason: t.reason,
      note: reasonText(t.reason),
      ...(t.targetOffset === undefined ? {} : { targetOffset: t.targetOffset }),
      ...(checkpoint ? { checkpoint } : {}),
    };
  }
  // A translated known commit is the checkpoint's upstream offset; replay is estimated only then.
  const exact = t.commitUnknown ? undefined : estimatedTargetPosition(facts.syncs, t.checkpoint.upstreamOffset, facts.target.latest);
  return {
    ...base(w, 'checkpoint'),
    status: 'translated',
    targetOffset: t.targetOffset,
    ...(exact === undefined ? {} : { replay: Math.max(0, exact - t.targetOffset) }),
    ...(t.commitUnknown ? { note: 'the commit on the source could not be read; the newest checkpoint is taken as it is' } : {}),
    ...(checkpoint ? { checkpoint } : {}),
  };
}

/** Offset-preserving links: the same offset, at most the target's end. */
export function translateIdentical(w: Where & { committed: number }, target: PartitionEnds | undefined): PartitionTranslation {
  if (!target) return { ...base(w, 'identical'), status: 'none', reason: 'no-target-partition', note: reasonText('no-target-partition') };
  if (w.committed > target.latest) {
    return {
      ...base(w, 'identical'),
      status: 'translated',
      targetOffset: target.latest,
      replay: w.committed - target.latest,
      note: `the commit (${w.committed}) is beyond the target's end (${target.latest}); resuming at the end re-reads the ${w.committed - target.latest} records still to arrive`,
    };
  }
  if (w.committed < target.earliest) {
    return {
      ...base(w, 'identical'),
      status: 'translated',
      targetOffset: target.earliest,
      replay: 0,
      note: `the commit (${w.committed}) is before the target's retained data (${target.earliest}); ${target.earliest - w.committed} records are gone there`,
    };
  }
  return { ...base(w, 'identical'), status: 'translated', targetOffset: w.committed, replay: 0 };
}

/**
 * Timestamp fallback. `sourceRecord`: the record at (or first after) the
 * committed offset on the source; absent when the group is at the end of
 * the partition, in which case the last record before the commit is used
 * (`previousRecord`) and read once more on the target. `lookup`: the target's
 * answer to ListOffsets for that timestamp (-1: no record that new yet).
 */
export function translateByTimestamp(
  w: Where & { committed: number },
  facts: {
    target?: PartitionEnds;
    sourceRecord?: { offset: number; timestamp: number };
    previousRecord?: { offset: number; timestamp: number };
    lookup?: { offset: number };
    /** the exact position when offset syncs allow estimating it */
    exactTarget?: number;
  },
): PartitionTranslation {
  if (!facts.target) return { ...base(w, 'timestamp'), status: 'none', reason: 'no-target-partition', note: reasonText('no-target-partition') };
  const record = facts.sourceRecord ?? facts.previousRecord;
  if (!record) return { ...base(w, 'timestamp'), status: 'none', reason: 'source-record-gone', note: reasonText('source-record-gone') };
  if (!facts.lookup) return { ...base(w, 'timestamp'), status: 'none', reason: 'target-lookup-failed', note: reasonText('target-lookup-failed') };
  const targetOffset = facts.lookup.offset < 0 ? facts.target.latest : Math.min(facts.lookup.offset, facts.target.latest);
  return {
    ...base(w, 'timestamp'),
    status: 'translated',
    targetOffset,
    ...(facts.exactTarget === undefined ? {} : { replay: Math.max(0, facts.exactTarget - targetOffset) }),
    note: `by timestamp ${new Date(record.timestamp).toISOString()} of source offset ${record.offset}`,
  };
}
