import type { KafkaConnection } from './connection.js';
import { routeWhileLeadersMove, type BrokerRound, type PartitionItem } from './leaderRetry.js';
import { clusterMetadata, leaderIndex, type LeaderIndex } from './metadata.js';

/**
 * Requests routed to partition leaders on `conn`, one per broker, asked
 * again (per partition, with fresh Metadata of their topics) while leaders
 * move: routeWhileLeadersMove with this cluster's Metadata.
 */
export function routeToLeaders<Q extends PartitionItem, A>(
  conn: KafkaConnection,
  leaders: LeaderIndex,
  items: readonly Q[],
  ask: (nodeId: number, items: Q[]) => Promise<BrokerRound<Q, A>>,
): Promise<A[]> {
  return routeWhileLeadersMove({
    leaders,
    items,
    ask,
    cluster: conn.name,
    refresh: async (topics) => leaderIndex(await clusterMetadata(conn, topics)),
  });
}

/** Splits a broker's answers into those that stand and the items whose leader it is not (any more). */
export function splitMoved<Q extends PartitionItem, A extends PartitionItem & { errorCode: number }>(
  items: readonly Q[],
  answers: readonly A[],
  stale: ReadonlySet<number>,
): { kept: A[]; moved: Q[] } {
  const movedKeys = new Set(answers.filter((a) => stale.has(a.errorCode)).map((a) => `${a.topic}\u0000${a.partition}`));
  return {
    kept: answers.filter((a) => !stale.has(a.errorCode)),
    moved: items.filter((q) => movedKeys.has(`${q.topic}\u0000${q.partition}`)),
  };
}
