import type { OffsetToCommit } from '../kafka/commitOffsets.js';
import { tpKey } from '../kafka/metadata.js';
import type { GroupTranslation } from './offsetTranslation.js';

/** One group's commits on the target, as translate-offsets plans them. */
export interface GroupCommitPlan {
  group: string;
  targetState: string;
  /** per partition: the source commit, the translated offset, the replay it implies */
  partitions: {
    sourceTopic: string;
    targetTopic: string;
    partition: number;
    committed?: number;
    translated?: number;
    /** the group's offset on the target before this step */
    current?: number;
    replay?: number;
    method: string;
    note?: string;
    /** the translation is behind the group's commit on the target, and the group did not move past it on the source: the commit stays */
    kept?: boolean;
    /** the commit moves backwards by this many records (read again) */
    rewind?: number;
  }[];
  commits: OffsetToCommit[];
  replay?: number;
}

/**
 * One group's plan, honest about backward moves: a translation behind the
 * group's current commit on the target would move it back and re-deliver
 * what the group already processed there. When the group did not move past
 * its position on the source since failover last translated it there (it
 * consumed nothing on the other side), the target's commit stays. Otherwise
 * the backward move is made, counted as replay, and the plan is blocked
 * beyond the runbook's replay bound. Never silently.
 */
export function toPlan(g: GroupTranslation, lastSent: Map<string, number> | undefined): GroupCommitPlan {
  const partitions = g.partitions.map((p): GroupCommitPlan['partitions'][number] => {
    // A partition without a translation (or without a commit on either side) is never behind: the missing side compares false.
    const translated = p.status === 'translated' ? p.targetOffset : undefined;
    const behind = (translated ?? Infinity) < (p.current ?? -Infinity);
    const sent = lastSent?.get(tpKey(p.sourceTopic, p.partition));
    const stayed = behind && (p.committed ?? Infinity) <= (sent ?? -Infinity);
    const rewind = behind && !stayed ? p.current! - translated! : undefined;
    const why = p.note ?? p.reason;
    const out: GroupCommitPlan['partitions'][number] = { sourceTopic: p.sourceTopic, targetTopic: p.targetTopic, partition: p.partition, method: p.method };
    if (p.committed !== undefined) out.committed = p.committed;
    if (translated !== undefined) out.translated = translated;
    if (p.current !== undefined) out.current = p.current;
    if (stayed) {
      out.replay = 0;
      out.kept = true;
      out.note = `keeps the commit ${p.current}: the translation (${translated}) is behind it, and the group did not move past ${sent} on the source`;
    } else if (rewind !== undefined) {
      out.replay = Math.max(rewind, p.replay ?? 0);
      out.rewind = rewind;
      out.note = `moves the commit back from ${p.current} to ${translated}: ${rewind} record(s) read again${why ? `; ${why}` : ''}`;
    } else {
      if (p.replay !== undefined) out.replay = p.replay;
      if (why) out.note = why;
    }
    return out;
  });
  const replays = partitions.map((p) => p.replay);
  const known = replays.filter((r): r is number => r !== undefined);
  return {
    group: g.group,
    targetState: g.targetState,
    partitions,
    commits: partitions.flatMap((p) => (p.translated !== undefined && !p.kept ? [{ topic: p.targetTopic, partition: p.partition, offset: p.translated }] : [])),
    ...(known.length === replays.length ? { replay: known.reduce((s, r) => s + r, 0) } : {}),
  };
}
