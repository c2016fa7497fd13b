import type { Phase, RolesInForce } from '../gates/types.js';
import type { KafkaConnection } from '../kafka/connection.js';
import type { Runbook } from '../runbook/schema.js';
import { RunbookConnections } from './connections.js';
import { pairHazards } from './phase.js';
import { PairStore } from './state.js';

export interface PairPhase {
  phase: Phase;
  /** the roles recorded on the clusters (the home roles until continue-forward) */
  roles: RolesInForce;
  /** false when no cluster holds a phase yet */
  recorded: boolean;
  /** clusters whose state could not be read */
  unreachable: string[];
  /** what must be put right before the pair can be trusted: a pending fence on a cluster that answers, copies that disagree */
  hazards: { severity: 'fail' | 'warn'; text: string }[];
  /** clusters whose fence this runbook recorded as pending */
  pendingFences: string[];
}

/**
 * The phase and roles as the clusters hold them, from whichever clusters of
 * the pair answer; undefined when none does. Opens its own connections
 * unless given some.
 */
export async function readPairPhase(runbook: Runbook, connections?: RunbookConnections | ((cluster: string) => KafkaConnection), runbookFile = '<runbook>'): Promise<PairPhase | undefined> {
  const conns = connections ?? new RunbookConnections(runbook);
  const store = await PairStore.open(runbook, typeof conns === 'function' ? conns : (c) => conns.get(c));
  try {
    const view = await store.read();
    if (view.clusters.every((c) => !c.reachable)) return undefined;
    const hazards = pairHazards(view, runbookFile).map((text) => ({ severity: /NOT fenced|disagree|cannot be located|^the pair is .* by runbook/.test(text) ? ('fail' as const) : ('warn' as const), text }));
    // Another runbook's unfinished action holds the pair: this runbook's workload is still where its own roles say.
    const phase = view.heldByRunbook ? 'steady' : view.phase.phase;
    const pendingFences = Object.entries(view.fences).flatMap(([c, f]) => (f.pending ? [c] : []));
    return { phase, roles: view.roles, recorded: view.recorded, unreachable: view.clusters.filter((c) => !c.reachable).map((c) => c.cluster), hazards, pendingFences };
  } finally {
    await store.close();
    if (!connections && conns instanceof RunbookConnections) await conns.close();
  }
}
