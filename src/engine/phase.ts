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

/** The phases an unfinished action leaves, which `failover abort` takes back to where that action started. */
export const UNFINISHED: ReadonlySet<Phase> = new Set(['promoting', 'reverting', 'continuing']);

export type PhaseCheck = { ok: true } | { ok: false; message: string; hint: string };

function by(phase: PhaseRecord): string {
  return phase.operator ? ` by ${phase.operator}${phase.host ? ` on ${phase.host}` : ''}${phase.time ? ` at ${phase.time}` : ''}` : '';
}

/**
 * What every action checks first, whatever it is: the pair's state can be
 * found, its copies agree, and no other runbook's action is half done.
 */
export function checkPair(view: PairView, runbookFile: string): PhaseCheck {
  if (!view.located) {
    const p = view.identity.problem;
    return { ok: false, message: p?.message ?? 'the pair cannot be located', hint: p?.hint ?? 'check the runbook' };
  }
  if (view.conflict) {
    const copies = view.conflict.copies.map((c) => `${c.cluster} says ${c.record.phase} (${c.record.action ?? 'no action'}${c.record.runbook ? ` of ${c.record.runbook}` : ''}${by(c.record)})`);
    return {
      ok: false,
      message: `the clusters disagree about the pair: ${copies.join('; ')}; both were written while the other side could not be reached`,
      hint: `decide which side is true, then run \`failover resolve ${runbookFile} --keep <cluster> --reason "..."\`; nothing else runs until then`,
    };
  }
  if (view.heldByRunbook) {
    return {
      ok: false,
      message: `the pair is ${view.phase.phase} by runbook ${view.heldByRunbook} (${view.phase.action ?? 'an action'}${by(view.phase)}); one runbook acts on a pair at a time`,
      hint: `finish or abort it with runbook ${view.heldByRunbook} first${view.phase.transcript ? ` (its transcript: ${view.phase.transcript})` : ''}`,
    };
  }
  return { ok: true };
}

/**
 * May `action` start (or, with `runId`, resume) from this phase? A run that
 * resumes finds the phase it left: the one it started from, the one it
 * records while running, or the one it reached just before it died.
 */
export function checkPhase(action: ActionName, phase: PhaseRecord, runId?: string, runbookFile = '<runbook>'): PhaseCheck {
  const p = ACTION_PHASES[action];
  if (phase.phase === p.from) return { ok: true };
  const ours = runId !== undefined && phase.runId === runId;
  if (ours && (phase.phase === p.during || phase.phase === p.to)) return { ok: true };
  if (phase.phase === 'aborting') {
    return {
      ok: false,
      message: `the pair is aborting${by(phase)}: an abort of a ${phase.aborting?.phase ?? 'run'} has not finished`,
      hint: phase.transcript ? `resume it with \`failover abort ${runbookFile} --resume ${phase.transcript}\`` : 'resume that abort with --resume <its transcript>',
    };
  }
  const inProgress = Object.entries(ACTION_PHASES).find(([, v]) => v.during === phase.phase);
  if (inProgress) {
    return {
      ok: false,
      message: `the pair is ${phase.phase}: a ${inProgress[0]}${by(phase)} has not finished`,
      hint: `${phase.transcript ? `resume it with --resume ${phase.transcript}, or ` : ''}take the pair back to where it started with \`failover abort ${runbookFile}\``,
    };
  }
  return {
    ok: false,
    message: `${action} needs the pair ${p.from}, and it is ${phase.phase}${by(phase)}`,
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
  const r = view.roles;
  return `${view.phase.phase}: ${r.primary} primary, ${r.secondary} secondary${view.recorded ? '' : ' (nothing recorded on the clusters yet: the runbook roles)'}`;
}

/** What the operator must know about the pair before anything runs: a fence left pending, copies that disagree. */
export function pairHazards(view: PairView, runbookFile: string): string[] {
  const out: string[] = [];
  for (const [cluster, f] of Object.entries(view.fences)) {
    if (!f.pending) continue;
    const answers = view.identity.reach[cluster]?.ok === true;
    out.push(
      answers
        ? `${cluster} answers again and is NOT fenced: its fence is pending since ${f.pending.since} (${f.pending.reason}); apply it now: failover fence ${runbookFile}`
        : `the fence of ${cluster} is pending since ${f.pending.since}: ${cluster} does not answer; apply it the moment it returns: failover fence ${runbookFile}`,
    );
  }
  const pair = checkPair(view, runbookFile);
  if (!pair.ok) out.push(`${pair.message} (${pair.hint})`);
  return out;
}
