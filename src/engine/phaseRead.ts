import type { Phase, RolesInForce } from '../gates/types.js';
import type { KafkaConnection } from '../kafka/connection.js';
import type { Runbook } from '../runbook/schema.js';
import { RunbookConnections } from './connections.js';
import { PairStore } from './state.js';

export interface PairPhase {
  phase: Phase;
  /** the roles recorded on the clusters (the home roles until continue-forward) */
  roles: RolesInForce;
  /** false when no cluster holds a phase yet */
  recorded: boolean;
  /** clusters whose state could not be read */
  unreachable: string[];
}

/**
 * The phase and roles as the clusters hold them, from whichever clusters of
 * the pair answer; undefined when none does. Opens its own connections
 * unless given some.
 */
export async function readPairPhase(runbook: Runbook, connections?: RunbookConnections | ((cluster: string) => KafkaConnection)): Promise<PairPhase | undefined> {
  const conns = connections ?? new RunbookConnections(runbook);
  const store = new PairStore(runbook, typeof conns === 'function' ? conns : (c) => conns.get(c));
  try {
    const view = await store.read();
    if (view.clusters.every((c) => !c.reachable)) return undefined;
    return { phase: view.phase.phase, roles: view.phase.roles, recorded: view.recorded, unreachable: view.clusters.filter((c) => !c.reachable).map((c) => c.cluster) };
  } finally {
    await store.close();
    if (!connections && conns instanceof RunbookConnections) await conns.close();
  }
}
