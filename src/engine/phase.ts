import type { Phase, RolesInForce } from '../gates/types.js';
import type { ActionName } from '../runbook/schema.js';
import type { PairView, PhaseRecord } from './state.js';

/**
 * Where each action may start, what it records while it runs, and where it
 * leaves the pair. The phase lives on the clusters (state.ts); the runbook
 * file is never edited.
 */
export const ACTION_PHASES: Record<ActionName, { from: Phase; during: Phase; to: Phase }> = {
  promote: { from: 'steady', during: 'promoting', to: 'promoted' },
  revert: { from: 'promoted', during: 'reverting', to: 'steady' },
  'continue-forward': { from: 'promoted', during: 'continuing', to: 'steady' },
};

export type PhaseCheck = { ok: true } | { ok: false; message: string; hint: string };

/**
 * May `action` start (or, with `runId`, resume) from this phase? A run that
 * resumes finds the phase it left: the one it started from, the one it
 * records while running, or the one it reached just before it died.
 */
export function checkPhase(action: ActionName, phase: PhaseRecord, runId?: string): PhaseCheck {
  const p = ACTION_PHASES[action];
  if (phase.phase === p.from) return { ok: true };
  const ours = runId !== undefined && phase.runId === runId;
  if (ours && (phase.phase === p.during || phase.phase === p.to)) return { ok: true };
  const by = phase.operator ? ` by ${phase.operator}${phase.host ? ` on ${phase.host}` : ''}${phase.time ? ` at ${phase.time}` : ''}` : '';
  const inProgress = Object.entries(ACTION_PHASES).find(([, v]) => v.during === phase.phase);
  if (inProgress) {
    return {
      ok: false,
      message: `the pair is ${phase.phase}: a ${inProgress[0]}${by} has not finished`,
      hint: phase.transcript ? `resume it with --resume ${phase.transcript}` : 'resume that run with --resume <its transcript>',
    };
  }
  return {
    ok: false,
    message: `${action} needs the pair ${p.from}, and it is ${phase.phase}${by}`,
    hint: action === 'promote' ? 'revert or continue-forward first' : 'promote first; revert and continue-forward undo or settle a promote',
  };
}

/** The cluster that owns writes in a phase: the secondary from the moment a promote completes until a revert or continue-forward settles. */
export function writerIn(phase: Phase, roles: RolesInForce): string {
  return phase === 'promoted' || phase === 'reverting' || phase === 'continuing' ? roles.secondary : roles.primary;
}

/**
 * The roles as the gates read them: "primary" is the cluster that owns
 * writes in that phase. While promoted, that is the recorded secondary, and
 * the gates then judge the way back (what a revert would need).
 */
export function gateRoles(phase: Phase, roles: RolesInForce): RolesInForce {
  return writerIn(phase, roles) === roles.primary ? roles : { primary: roles.secondary, secondary: roles.primary };
}

/** A phase, roles and run as one line for status and plans. */
export function describePhase(view: PairView): string {
  const r = view.phase.roles;
  return `${view.phase.phase}: ${r.primary} primary, ${r.secondary} secondary${view.recorded ? '' : ' (nothing recorded on the clusters yet: the runbook roles)'}`;
}
