import { GATE_NAMES, type GateName } from '../runbook/gates.js';
import { compatibilityGate } from './compatibility.js';
import type { GateContext, Need } from './context.js';
import { costGate } from './cost.js';
import { governanceGate } from './governance.js';
import { observabilityGate } from './observability.js';
import { offsetsGate } from './offsets.js';
import { rollbackGate } from './rollback.js';
import { routingGate } from './routing.js';
import { gateError, gateResult } from './score.js';
import type { Evidence, GateResult } from './types.js';

/** A gate: the snapshot parts it reads, and its checks. */
export interface GateDefinition {
  name: GateName;
  /** one line for --help and reports */
  question: string;
  needs: readonly Need[];
  run(ctx: GateContext): Promise<Evidence[]>;
}

export const GATES: Readonly<Record<GateName, GateDefinition>> = {
  compatibility: { name: 'compatibility', question: 'can the secondary serve the workload as the primary does?', needs: ['configs'], run: compatibilityGate },
  offsets: {
    name: 'offsets',
    question: 'will consumers resume near where they stopped, and what would a switch now lose?',
    needs: ['ends', 'newest', 'groups', 'checkpoints', 'offsetSyncs', 'heartbeats'],
    run: offsetsGate,
  },
  routing: { name: 'routing', question: 'can clients be moved, and will they follow?', needs: [], run: routingGate },
  governance: { name: 'governance', question: 'does the secondary enforce the same access rules and policy?', needs: ['acls', 'brokerConfigs'], run: governanceGate },
  rollback: { name: 'rollback', question: 'can the switch be undone, and has it been?', needs: ['reverseHeartbeats', 'heartbeats'], run: rollbackGate },
  observability: { name: 'observability', question: 'can the switch be watched?', needs: ['heartbeats', 'ends', 'groups', 'checkpoints', 'offsetSyncs'], run: observabilityGate },
  cost: { name: 'cost', question: 'what do replication and a failback cost? (reported, never blocking)', needs: ['ends', 'newestPrimary', 'groups', 'checkpoints', 'offsetSyncs'], run: costGate },
};

/** Gate names in the canonical order, without duplicates. */
export function orderGates(names: readonly GateName[]): GateName[] {
  return GATE_NAMES.filter((g) => names.includes(g));
}

export function needsOf(names: readonly GateName[]): Set<Need> {
  return new Set(names.flatMap((n) => GATES[n].needs));
}

/** Runs one gate; a gate that throws scores 0 (it could not run). */
export async function runGate(ctx: GateContext, name: GateName): Promise<GateResult> {
  const t0 = Date.now();
  try {
    const evidence = await GATES[name].run(ctx);
    // When every check passes, the first check's finding (the headline one) explains the score.
    return gateResult(name, evidence, Date.now() - t0, evidence[0]?.finding);
  } catch (e) {
    return gateError(name, e, Date.now() - t0);
  }
}

/** Runs the named gates concurrently over one context; results in canonical order. */
export async function runGates(ctx: GateContext, names: readonly GateName[] = GATE_NAMES): Promise<GateResult[]> {
  return Promise.all(orderGates(names).map((n) => runGate(ctx, n)));
}
