import type { ActionName } from './actions.js';
import { suggestion } from './didYouMean.js';
import type { Finding, PathSegment } from './problems.js';
import { clusterRefChoices, resolveClusterRef } from './roles.js';
import { rollbackFindings } from './rollback.js';
import type { Runbook } from './schema.js';
import { checkDrill, checkPolicy } from './semanticsDrill.js';
import type { StepSpec } from './steps.js';

export { analyseRollback, rollbackFindings, type RollbackAnalysis, type RollbackEffect } from './rollback.js';

/**
 * Checks that need the whole runbook but no network: references resolve,
 * the roles make a pair, revert undoes promote, the drill makes sense.
 * Errors make the runbook invalid; warnings point at choices that are
 * probably mistakes.
 */
export function checkSemantics(rb: Runbook): Finding[] {
  const out: Finding[] = [];
  checkRoles(rb, out);
  // Everything below reads the roles; with broken roles it would only add noise.
  if (out.length > 0) return out;
  checkClusters(rb, out);
  checkLink(rb, out);
  for (const name of ['promote', 'revert', 'continue-forward'] as const) checkAction(rb, name, out);
  checkDrill(rb, out);
  checkPolicy(rb, out);
  // These read the steps as a whole; over a broken reference they guess.
  if (out.some((f) => f.severity === 'error')) return out;
  checkOrdering(rb, out);
  out.push(...rollbackFindings(rb));
  checkContinueForward(rb, out);
  return out;
}

const error = (path: PathSegment[], message: string, expected?: string, at?: 'key'): Finding => ({
  severity: 'error',
  path,
  message,
  ...(expected === undefined ? {} : { expected }),
  ...(at === undefined ? {} : { at }),
});
const warning = (path: PathSegment[], message: string, expected?: string, at?: 'key'): Finding => ({ ...error(path, message, expected, at), severity: 'warning' });

function clusterList(rb: Runbook): string {
  return Object.keys(rb.clusters).join(', ');
}

function checkRoles(rb: Runbook, out: Finding[]): void {
  const names = Object.keys(rb.clusters);
  for (const role of ['primary', 'secondary'] as const) {
    const name = rb.roles[role];
    if (!Object.hasOwn(rb.clusters, name)) out.push(error(['roles', role], `cluster "${name}" is not defined${suggestion(name, names)}`, `one of ${clusterList(rb)}`));
  }
  if (rb.roles.primary === rb.roles.secondary) {
    out.push(error(['roles', 'secondary'], `"${rb.roles.primary}" is both primary and secondary`, 'two different clusters'));
  }
}

function checkClusters(rb: Runbook, out: Finding[]): void {
  const owner = new Map<string, string>();
  for (const [name, c] of Object.entries(rb.clusters)) {
    c.bootstrap.forEach((addr, i) => {
      const other = owner.get(addr.toLowerCase());
      if (other !== undefined && other !== name) {
        out.push(error(['clusters', name, 'bootstrap', i], `${addr} is also a bootstrap server of "${other}"; both would be the same cluster`, 'each cluster reached at its own addresses'));
      }
      owner.set(addr.toLowerCase(), name);
    });
    if (name !== rb.roles.primary && name !== rb.roles.secondary) {
      out.push(warning(['clusters', name], `cluster "${name}" has no role; no action will use it except by name`, undefined, 'key'));
    }
  }
}

function checkLink(rb: Runbook, out: Finding[]): void {
  const link = rb.link;
  if (link.kind !== 'mirrormaker2') return;
  const names = Object.keys(rb.clusters);
  const seen = new Map<string, string>();
  for (const [name, alias] of Object.entries(link.aliases)) {
    if (!Object.hasOwn(rb.clusters, name)) {
      out.push(error(['link', 'aliases', name], `cluster "${name}" is not defined${suggestion(name, names)}`, `one of ${clusterList(rb)}`, 'key'));
    }
    const other = seen.get(alias);
    if (other !== undefined) out.push(error(['link', 'aliases', name], `alias "${alias}" is also the alias of "${other}"`, 'one alias per cluster'));
    seen.set(alias, name);
    if (alias.includes(link.separator)) {
      out.push(warning(['link', 'aliases', name], `alias "${alias}" contains the separator "${link.separator}"; remote topic names become ambiguous`, 'an alias without the separator'));
    }
  }
  if (link.replicationPolicy === 'identity') {
    rb.workload.topics.forEach((t, i) => {
      // IdentityReplicationPolicy hands heartbeat-like names to the default rule (ReplicationPolicy.looksLikeHeartbeat).
      if (!t.startsWith('/') && t.endsWith('heartbeats')) {
        const alias = link.aliases[rb.roles.primary] ?? rb.roles.primary;
        out.push(
          warning(['workload', 'topics', i], `"${t}" ends in "heartbeats": IdentityReplicationPolicy names its copy ${alias}${link.separator}${t}, not ${t}`, 'a workload topic whose name does not end in "heartbeats"'),
        );
      }
    });
  }
  for (const role of ['primary', 'secondary'] as const) {
    const name = rb.roles[role];
    if (Object.hasOwn(rb.clusters, name) && !Object.hasOwn(link.aliases, name)) {
      out.push(error(['link', 'aliases'], `the ${role} "${name}" has no MirrorMaker 2 alias`, `${name}: <alias> under link.aliases`, 'key'));
    }
  }
}

function stepPath(action: ActionName, i: number, s: StepSpec, ...rest: PathSegment[]): PathSegment[] {
  return ['actions', action, 'steps', i, s.type, ...rest];
}

function checkClusterRef(rb: Runbook, ref: string, path: PathSegment[], out: Finding[]): void {
  if (resolveClusterRef(rb, ref) !== undefined) return;
  const choices = clusterRefChoices(rb);
  out.push(error(path, `"${ref}" is neither a role nor a defined cluster${suggestion(ref, choices)}`, `one of ${choices.join(', ')}`));
}

function checkAction(rb: Runbook, name: ActionName, out: Finding[]): void {
  const action = rb.actions[name];
  if (!action) return;
  const link = rb.link;
  const canControlLink = (link.kind === 'mirrormaker2' && link.connect !== undefined) || link.commands !== undefined;
  const workloadGroups = new Set(rb.workload.groups);
  action.steps.forEach((s, i) => {
    switch (s.type) {
      case 'fence-writes':
      case 'unfence-writes':
        checkClusterRef(rb, s.params.cluster, stepPath(name, i, s, 'cluster'), out);
        if (rb.workload.producers.length === 0) {
          out.push(warning(stepPath(name, i, s), `${s.type} has no principals to act on`, 'workload.producers, e.g. [User:orders-svc]', 'key'));
        }
        break;
      case 'switch-route':
        checkClusterRef(rb, s.params.to, stepPath(name, i, s, 'to'), out);
        if (!rb.routing) out.push(error(stepPath(name, i, s), 'switch-route needs routing, and the runbook has none', 'routing: { alias, switch }', 'key'));
        break;
      case 'set-roles':
        checkClusterRef(rb, s.params.primary, stepPath(name, i, s, 'primary'), out);
        checkClusterRef(rb, s.params.secondary, stepPath(name, i, s, 'secondary'), out);
        if (resolveClusterRef(rb, s.params.primary) !== undefined && resolveClusterRef(rb, s.params.primary) === resolveClusterRef(rb, s.params.secondary)) {
          out.push(error(stepPath(name, i, s, 'secondary'), 'set-roles names the same cluster twice', 'two different clusters'));
        }
        break;
      case 'pause-link':
      case 'resume-link':
        if (!canControlLink) {
          out.push(error(stepPath(name, i, s), `${s.type} has no way to reach the link`, link.kind === 'mirrormaker2' ? 'link.connect (Connect REST) or link.commands' : 'link.commands { pause, resume }', 'key'));
        }
        if (s.params.direction === 'reverse' && !link.reverse) out.push(error(stepPath(name, i, s, 'direction'), 'the link has no reverse flow', 'link.reverse: true'));
        if (s.type === 'resume-link' && s.params.direction === undefined && link.kind === 'mirrormaker2' && link.replicationPolicy === 'identity' && link.reverse) {
          out.push(
            error(
              stepPath(name, i, s),
              'resume-link without a direction resumes both flows; under identity naming each would copy the other\'s copies back',
              'direction: forward or direction: reverse (and pause-link of the other direction before it)',
              'key',
            ),
          );
        }
        break;
      case 'wait-replication':
      case 'translate-offsets':
        if (s.params.direction === 'reverse' && !link.reverse) {
          out.push(error(stepPath(name, i, s, 'direction'), 'the link has no reverse flow (secondary to primary)', 'link.reverse: true'));
        }
        if (s.type === 'translate-offsets') {
          s.params.groups?.forEach((g, gi) => {
            if (!workloadGroups.has(g)) out.push(warning(stepPath(name, i, s, 'groups', gi), `group "${g}" is not in workload.groups; no gate checks its offsets`, 'a workload group'));
          });
        }
        break;
      default:
        break;
    }
  });
  if (name === 'promote' && action.requires.length === 0) {
    out.push(warning(['actions', 'promote', 'requires'], 'promote requires no gate; it starts even when every gate fails', 'e.g. [compatibility, offsets, routing, rollback]', 'key'));
  }
}

/** Switching clients before the primary is fenced lets both clusters take writes. */
function checkOrdering(rb: Runbook, out: Finding[]): void {
  const steps = rb.actions.promote.steps;
  const primary = rb.roles.primary;
  const fence = steps.findIndex((s) => s.type === 'fence-writes' && resolveClusterRef(rb, s.params.cluster) === primary);
  const route = steps.findIndex((s) => s.type === 'switch-route');
  const s = steps[route];
  if (s && fence < 0) {
    out.push(warning(['actions', 'promote', 'steps', route, s.type], 'promote switches the route without fencing writes on the primary; producers still connected to it keep writing', 'fence-writes: { cluster: primary } before switch-route', 'key'));
  } else if (s && fence > route) {
    out.push(warning(['actions', 'promote', 'steps', route, s.type], 'the route moves before the primary is fenced; for a moment both clusters take writes', 'fence-writes before switch-route', 'key'));
  }
}

function checkContinueForward(rb: Runbook, out: Finding[]): void {
  const cf = rb.actions['continue-forward'];
  if (!cf) return;
  const i = cf.steps.findIndex((s) => s.type === 'set-roles');
  const s = cf.steps[i];
  if (!s || s.type !== 'set-roles') {
    out.push(warning(['actions', 'continue-forward'], 'continue-forward never records the new roles', `set-roles: { primary: ${rb.roles.secondary}, secondary: ${rb.roles.primary} }`, 'key'));
    return;
  }
  const p = resolveClusterRef(rb, s.params.primary);
  const q = resolveClusterRef(rb, s.params.secondary);
  if (p !== undefined && q !== undefined && (p !== rb.roles.secondary || q !== rb.roles.primary)) {
    out.push(warning(['actions', 'continue-forward', 'steps', i, 'set-roles'], 'set-roles does not swap the home roles', `primary: ${rb.roles.secondary}, secondary: ${rb.roles.primary}`, 'key'));
  }
}
