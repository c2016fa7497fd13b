import { randomBytes } from 'node:crypto';
import type { PhaseRecord, StateConflict } from './state.js';

/**
 * Which copy of the pair's phase stands. Every phase write carries its
 * lineage: its own id last, after the ids of the writes it replaced. A copy
 * that missed writes (its cluster was down) is an ancestor of the other's,
 * and the newer stands. Two copies of which neither descends from the other
 * were written on both sides of a partition: that is a conflict, named, and
 * never settled by revision, because which side is "newer" says nothing
 * about which side clients followed. Copies without lineage (written by
 * an older failover) order by revision.
 */
export function conflictOf(copies: { cluster: string; record: PhaseRecord & { rev?: number } }[]): { winner?: { cluster: string; record: PhaseRecord }; conflict?: StateConflict } {
  const sorted = [...copies].sort((a, b) => (b.record.rev ?? 0) - (a.record.rev ?? 0));
  const top = sorted[0];
  if (!top) return {};
  const topLineage = top.record.lineage ?? [];
  const topId = topLineage.at(-1);
  const unrelated = sorted.some((other) => {
    const lineage = other.record.lineage ?? [];
    const id = lineage.at(-1);
    // Without lineage on either side, the revision alone orders them.
    if (id === undefined || topId === undefined) return false;
    return !topLineage.includes(id) && !lineage.includes(topId);
  });
  if (unrelated) return { conflict: { key: 'phase', copies: copies.map((c) => ({ cluster: c.cluster, record: c.record })) } };
  return { winner: top };
}

/** The lineage of a phase write that replaces `prior`: a fresh id after prior's, the newest 32 kept. */
export function newLineage(prior: PhaseRecord | undefined): string[] {
  return [...(prior?.lineage ?? []), randomBytes(6).toString('hex')].slice(-32);
}
