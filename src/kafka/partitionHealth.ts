import type { RawTopicMetadata } from './metadata.js';

/**
 * Which partitions a Metadata answer shows degraded, and how:
 * - `offline`: no leader. Nothing can be written to or read from it until a
 *   replica in its ISR comes back (or an unclean election loses records).
 * - `under-min-isr`: a leader, but fewer in-sync replicas than the topic's
 *   min.insync.replicas, so a producer with acks=all is refused
 *   (NOT_ENOUGH_REPLICAS) while reads go on.
 * - `under-replicated`: a leader and enough in-sync replicas for acks=all,
 *   but not all of them: it serves as usual, with less margin for the
 *   next loss.
 */
export type DegradedKind = 'offline' | 'under-min-isr' | 'under-replicated';

export interface DegradedPartition {
  topic: string;
  partition: number;
  kind: DegradedKind;
  leader: number;
  replicas: number[];
  isr: number[];
  /** replicas not in sync */
  outOfSync: number[];
}

/**
 * The degraded partitions of `topics`, in topic and partition order.
 * `minIsr(topic)` is the topic's min.insync.replicas when known; without it
 * a partition with a leader is at most under-replicated.
 */
export function degradedPartitions(topics: readonly RawTopicMetadata[], minIsr: (topic: string) => number | undefined = () => undefined): DegradedPartition[] {
  const out: DegradedPartition[] = [];
  for (const t of [...topics].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0))) {
    for (const p of [...t.partitionMetadata].sort((a, b) => a.partitionId - b.partitionId)) {
      const outOfSync = p.replicas.filter((r) => !p.isr.includes(r));
      const kind = kindOf(p.leader, p.isr.length, outOfSync.length, minIsr(t.topic));
      if (kind) out.push({ topic: t.topic, partition: p.partitionId, kind, leader: p.leader, replicas: [...p.replicas], isr: [...p.isr], outOfSync });
    }
  }
  return out;
}

function kindOf(leader: number, inSync: number, outOfSync: number, minIsr: number | undefined): DegradedKind | undefined {
  if (leader < 0) return 'offline';
  if (minIsr !== undefined && inSync < minIsr) return 'under-min-isr';
  if (outOfSync > 0) return 'under-replicated';
  return undefined;
}
