import { resolveClusterRef } from './roles.js';
import type { Finding } from './problems.js';
import type { Runbook } from './schema.js';
import type { StepSpec, StepType } from './steps.js';

/**
 * Does revert undo what promote does? A static answer from the runbook alone:
 * the rollback gate reports it as evidence, and validate warns with it.
 *
 * Promote is replayed over a small model of the pair (fenced clusters, where
 * the route points, paused link directions, where offsets were translated);
 * every change it leaves behind is an effect that revert must undo.
 */
export type RollbackEffectKind = 'fence' | 'unfence' | 'route' | 'pause-link' | 'resume-link' | 'translate-offsets';

export interface RollbackEffect {
  kind: RollbackEffectKind;
  /** index of the promote step that causes it */
  step: number;
  stepType: StepType;
  /** the cluster (fences, route) or the link direction (`forward`, `reverse`, `all`) */
  subject: string;
  /** the revert step that would undo it, as it would be written */
  undo: { type: StepType; params: Record<string, string> };
  /** index of the revert step that undoes it */
  undoneBy?: number;
  /** one line for reports: `fence-writes east` */
  description: string;
}

export interface RollbackAnalysis {
  hasRevert: boolean;
  effects: RollbackEffect[];
  notUndone: RollbackEffect[];
  /** revert exists and undoes every effect of promote */
  complete: boolean;
}

type Dir = 'forward' | 'reverse' | 'all';

function dirOf(d: string | undefined): Dir {
  return d === 'forward' || d === 'reverse' ? d : 'all';
}

function cluster(rb: Runbook, ref: string): string {
  return resolveClusterRef(rb, ref) ?? ref;
}

function effect(kind: RollbackEffectKind, step: number, stepType: StepType, subject: string, undo: RollbackEffect['undo'], description: string): RollbackEffect {
  return { kind, step, stepType, subject, undo, description };
}

const linkParams = (d: Dir): Record<string, string> => (d === 'all' ? {} : { direction: d });

// Each effect is keyed by kind and subject, so a later opposite step cancels it in O(1).
function promoteEffects(rb: Runbook): RollbackEffect[] {
  const effects = new Map<string, RollbackEffect>();
  const key = (kind: RollbackEffectKind, subject: string) => `${kind}\u0000${subject}`;
  const cancel = (kind: RollbackEffectKind, subject: string): boolean => effects.delete(key(kind, subject));
  const add = (e: RollbackEffect) => {
    if (!effects.has(key(e.kind, e.subject))) effects.set(key(e.kind, e.subject), e);
  };
  const home = rb.roles.primary;
  let route: { index: number; to: string } | undefined;
  rb.actions.promote.steps.forEach((s: StepSpec, i) => {
    switch (s.type) {
      case 'fence-writes': {
        const c = cluster(rb, s.params.cluster);
        if (!cancel('unfence', c)) add(effect('fence', i, s.type, c, { type: 'unfence-writes', params: { cluster: c } }, `fence-writes ${c}`));
        break;
      }
      case 'unfence-writes': {
        const c = cluster(rb, s.params.cluster);
        if (!cancel('fence', c)) add(effect('unfence', i, s.type, c, { type: 'fence-writes', params: { cluster: c } }, `unfence-writes ${c}`));
        break;
      }
      case 'switch-route':
        route = { index: i, to: cluster(rb, s.params.to) };
        break;
      case 'pause-link': {
        const d = dirOf(s.params.direction);
        if (!cancel('resume-link', d)) add(effect('pause-link', i, s.type, d, { type: 'resume-link', params: linkParams(d) }, `pause-link ${d}`));
        break;
      }
      case 'resume-link': {
        const d = dirOf(s.params.direction);
        if (!cancel('pause-link', d)) add(effect('resume-link', i, s.type, d, { type: 'pause-link', params: linkParams(d) }, `resume-link ${d}`));
        break;
      }
      case 'translate-offsets':
        if (s.params.direction === 'forward') add(effect('translate-offsets', i, s.type, 'forward', { type: 'translate-offsets', params: { direction: 'reverse' } }, 'translate-offsets forward'));
        break;
      default:
        break;
    }
  });
  const out = [...effects.values()];
  if (route && route.to !== home) {
    out.push(effect('route', route.index, 'switch-route', route.to, { type: 'switch-route', params: { to: home } }, `switch-route to ${route.to}`));
  }
  return out.sort((a, b) => a.step - b.step);
}

/** Where revert undoes each kind of effect: the first step that does, by kind and subject. */
function revertIndex(rb: Runbook, steps: readonly StepSpec[]): Map<string, number> {
  const index = new Map<string, number>();
  const note = (k: string, i: number) => {
    if (!index.has(k)) index.set(k, i);
  };
  steps.forEach((s, i) => {
    switch (s.type) {
      case 'unfence-writes':
        note(`fence:${cluster(rb, s.params.cluster)}`, i);
        break;
      case 'fence-writes':
        note(`unfence:${cluster(rb, s.params.cluster)}`, i);
        break;
      case 'resume-link':
        note(`pause-link:${dirOf(s.params.direction)}`, i);
        break;
      case 'pause-link':
        note(`resume-link:${dirOf(s.params.direction)}`, i);
        break;
      case 'translate-offsets':
        if (s.params.direction === 'reverse') note('translate-offsets:forward', i);
        break;
      case 'switch-route':
        // What counts is where revert leaves the route: its last switch.
        index.set('route', cluster(rb, s.params.to) === rb.roles.primary ? i : -1);
        break;
      default:
        break;
    }
  });
  return index;
}

function undoneBy(effect: RollbackEffect, index: Map<string, number>): number | undefined {
  if (effect.kind === 'route') {
    const i = index.get('route');
    return i === undefined || i < 0 ? undefined : i;
  }
  // A link step without a direction acts on every flow, so it undoes either one.
  const link = effect.kind === 'pause-link' || effect.kind === 'resume-link';
  return index.get(`${effect.kind}:${effect.subject}`) ?? (link ? index.get(`${effect.kind}:all`) : undefined);
}

export function analyseRollback(rb: Runbook): RollbackAnalysis {
  const revert = rb.actions.revert;
  const index = revert ? revertIndex(rb, revert.steps) : new Map<string, number>();
  const effects = promoteEffects(rb).map((e) => {
    const by = revert ? undoneBy(e, index) : undefined;
    return by === undefined ? e : { ...e, undoneBy: by };
  });
  const notUndone = effects.filter((e) => e.undoneBy === undefined);
  return { hasRevert: revert !== undefined, effects, notUndone, complete: revert !== undefined && notUndone.length === 0 };
}

function written(undo: RollbackEffect['undo']): string {
  const params = Object.entries(undo.params).map(([k, v]) => `${k}: ${v}`).join(', ');
  return `${undo.type}: { ${params} }`;
}

/** The analysis as validate's warnings, placed on the promote steps. */
export function rollbackFindings(rb: Runbook, analysis = analyseRollback(rb)): Finding[] {
  if (!analysis.hasRevert) {
    if (analysis.effects.length === 0) return [];
    return [
      {
        severity: 'warning',
        path: ['actions', 'promote'],
        at: 'key',
        message: `no revert action; nothing undoes promote's ${analysis.effects.map((e) => e.description).join(', ')}`,
        expected: 'actions.revert with steps that undo promote',
      },
    ];
  }
  return analysis.notUndone.map((e) => ({
    severity: 'warning' as const,
    path: ['actions', 'promote', 'steps', e.step, e.stepType],
    at: 'key' as const,
    message: `revert does not undo ${e.description}`,
    expected: `${written(e.undo)} in actions.revert`,
  }));
}
