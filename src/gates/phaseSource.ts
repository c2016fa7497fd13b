import { gateRoles } from '../engine/phase.js';
import { readPairPhase } from '../engine/phaseRead.js';
import type { KafkaConnection } from '../kafka/connection.js';
import type { Runbook } from '../runbook/schema.js';
import type { Phase, RolesInForce } from './types.js';

/**
 * Where the pair stands, as the gates see it. The phase and the roles in
 * force live on the clusters (the engine's state topic); until the engine
 * reads them, this is the one place that says where they come from.
 */
export interface PhaseInfo {
  phase: Phase;
  roles: RolesInForce;
  /** `home`: the runbook's home roles, assumed steady; `given`: passed in by the caller (engine, tests) */
  source: 'home' | 'given' | 'clusters';
  /** what the pair's state says is wrong (a pending fence on a cluster that answers is a `fail`: check is not ready) */
  hazards?: { severity: 'fail' | 'warn'; text: string }[];
  /** clusters expected not to answer (declared down by the operator): reported, not scored against the pair */
  expectedDown?: string[];
}

/** The runbook's home roles, in the steady phase. */
export function homePhase(runbook: Pick<Runbook, 'roles'>): PhaseInfo {
  return { phase: 'steady', roles: { primary: runbook.roles.primary, secondary: runbook.roles.secondary }, source: 'home' };
}

/**
 * The phase and roles in force: what the caller gives, else what the
 * engine's state topic on the clusters holds (src/engine/phaseRead.ts),
 * else the home roles in the steady phase.
 */
export async function readPhase(
  runbook: Pick<Runbook, 'roles'>,
  given?: { phase?: Phase; roles?: RolesInForce; expectedDown?: readonly string[] },
  connect?: (cluster: string) => KafkaConnection,
  runbookFile?: string,
): Promise<PhaseInfo> {
  const down = given?.expectedDown?.length ? { expectedDown: [...given.expectedDown] } : {};
  if (given && (given.phase !== undefined || given.roles !== undefined)) {
    const home = homePhase(runbook);
    return { phase: given.phase ?? home.phase, roles: given.roles ?? home.roles, source: 'given', ...down };
  }
  // The engine keeps the phase in a state topic on each cluster; a runbook without clusters (a fragment) has none to read.
  if (!('clusters' in runbook)) return { ...homePhase(runbook), ...down };
  const read = await readPairPhase(runbook as Runbook, connect, runbookFile).catch(() => undefined);
  const hazards = read?.hazards.length ? { hazards: read.hazards } : {};
  if (!read || !read.recorded) return { ...homePhase(runbook), ...hazards, ...down };
  // "primary" for a gate is the cluster that owns writes in that phase (the recorded secondary while promoted).
  return { phase: read.phase, roles: gateRoles(read.phase, read.roles), source: 'clusters', ...hazards, ...down };
}
