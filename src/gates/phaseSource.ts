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
}

/** The runbook's home roles, in the steady phase. */
export function homePhase(runbook: Pick<Runbook, 'roles'>): PhaseInfo {
  return { phase: 'steady', roles: { primary: runbook.roles.primary, secondary: runbook.roles.secondary }, source: 'home' };
}

/**
 * The phase and roles in force. Today: what the caller gives, else the home
 * roles in the steady phase. The engine replaces this with a read of the
 * state topic on the clusters (src/engine/), keeping the signature.
 */
export async function readPhase(runbook: Pick<Runbook, 'roles'>, given?: { phase?: Phase; roles?: RolesInForce }): Promise<PhaseInfo> {
  if (!given || (given.phase === undefined && given.roles === undefined)) return homePhase(runbook);
  const home = homePhase(runbook);
  return { phase: given.phase ?? home.phase, roles: given.roles ?? home.roles, source: 'given' };
}
