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

function promoteEffects(rb: Runbook): RollbackEffect[] {
  const effects: RollbackEffect[] = [];
  const home = rb.roles.primary;
  let route = home;
  let routeStep: { index: number; to: string } | undefined;
  const cancel = (kind: RollbackEffectKind, subject: string): boolean => {
    const i = effects.findIndex((e) => e.kind === kind && e.subject === subject);
    if (i >= 0) effects.splice(i, 1);
    return i >= 0;
  };
  rb.actions.promote.steps.forEach((s: StepSpec, index) => {
    switch (s.type) {
      case 'fence-writes': {
        const c = cluster(rb, s.params.cluster);
        if (!cancel('unfence', c)) {
          effects.push({ kind: 'fence', step: index, stepType: s.type, subject: c, undo: { type: 'unfence-writes', params: { cluster: c } }, description: `fence-writes ${c}` });
        }
        break;
      }
      case 'unfence-writes': {
        const c = cluster(rb, s.params.cluster);
        if (!cancel('fence', c)) {
          effects.push({ kind: 'unfence', step: index, stepType: s.type, subject: c, undo: { type: 'fence-writes', params: { cluster: c } }, description: `unfence-writes ${c}` });
        }
        break;
      }
      case 'switch-route':
        route = cluster(rb, s.params.to);
        routeStep = { index, to: route };
        break;
      case 'pause-link': {
        const d = dirOf(s.params.direction);
        if (!cancel('resume-link', d)) {
          effects.push({ kind: 'pause-link', step: index, stepType: s.type, subject: d, undo: { type: 'resume-link', params: d === 'all' ? {} : { direction: d } }, description: `pause-link ${d}` });
        }
        break;
      }
      case 'resume-link': {
        const d = dirOf(s.params.direction);
        if (!cancel('pause-link', d)) {
          effects.push({ kind: 'resume-link', step: index, stepType: s.type, subject: d, undo: { type: 'pause-link', params: d === 'all' ? {} : { direction: d } }, description: `resume-link ${d}` });
        }
        break;
      }
      case 'translate-offsets':
        if (s.params.direction === 'forward' && !effects.some((e) => e.kind === 'translate-offsets')) {
          effects.push({ kind: 'translate-offsets', step: index, stepType: s.type, subject: 'forward', undo: { type: 'translate-offsets', params: { direction: 'reverse' } }, description: 'translate-offsets forward' });
        }
        break;
      default:
        break;
    }
  });
  if (routeStep && route !== home) {
    effects.push({ kind: 'route', step: routeStep.index, stepType: 'switch-route', subject: route, undo: { type: 'switch-route', params: { to: home } }, description: `switch-route to ${route}` });
  }
  return effects.sort((a, b) => a.step - b.step);
}

function undoneBy(rb: Runbook, effect: RollbackEffect, steps: readonly StepSpec[]): number | undefined {
  if (effect.kind === 'route') {
    // What counts is where revert leaves the route: its last switch.
    let last: number | undefined;
    steps.forEach((s, i) => {
      if (s.type === 'switch-route') last = i;
    });
    const s = last === undefined ? undefined : steps[last];
    return s?.type === 'switch-route' && cluster(rb, s.params.to) === rb.roles.primary ? last : undefined;
  }
  const i = steps.findIndex((s) => {
    switch (effect.kind) {
      case 'fence':
        return s.type === 'unfence-writes' && cluster(rb, s.params.cluster) === effect.subject;
      case 'unfence':
        return s.type === 'fence-writes' && cluster(rb, s.params.cluster) === effect.subject;
      case 'pause-link':
        return s.type === 'resume-link' && (dirOf(s.params.direction) === 'all' || dirOf(s.params.direction) === effect.subject);
      case 'resume-link':
        return s.type === 'pause-link' && (dirOf(s.params.direction) === 'all' || dirOf(s.params.direction) === effect.subject);
      case 'translate-offsets':
        return s.type === 'translate-offsets' && s.params.direction === 'reverse';
      default:
        return false;
    }
  });
  return i >= 0 ? i : undefined;
}

export function analyseRollback(rb: Runbook): RollbackAnalysis {
  const revert = rb.actions.revert;
  const effects = promoteEffects(rb).map((e) => {
    const by = revert ? undoneBy(rb, e, revert.steps) : undefined;
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
