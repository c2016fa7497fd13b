import { sourceTopicName, targetTopicName, type FlowNaming } from '../kafka/naming.js';
import { isTopicRegex, topicMatches } from '../runbook/fields.js';
import type { Runbook } from '../runbook/schema.js';
import type { RolesInForce } from './types.js';

/**
 * The workload as the gates see it: each workload topic (named, in the
 * runbook, as on the home primary) with its name on the primary and on the
 * secondary in force, and the flows between them.
 */
export interface TopicPair {
  /** the name on the home primary, as the runbook means it */
  home: string;
  onPrimary: string;
  onSecondary: string;
}

export interface Flow {
  source: string;
  target: string;
  naming: FlowNaming;
}

/** Naming of the flow from `source` to `target` under the runbook's link. */
export function flowNaming(runbook: Pick<Runbook, 'link'>, source: string, target: string): FlowNaming {
  const link = runbook.link;
  if (link.kind === 'mirrormaker2') {
    return { kind: 'mirrormaker2', sourceAlias: link.aliases[source] ?? source, targetAlias: link.aliases[target] ?? target, separator: link.separator, ...(link.replicationPolicy === 'identity' ? { identity: true } : {}) };
  }
  // An offset-preserving link names the destination with the prefix one way; back, it strips it.
  const prefix = link.naming === 'identical' ? '' : link.naming.prefix;
  return { kind: 'offset-preserving', prefix };
}

function homeToOther(runbook: Pick<Runbook, 'link' | 'roles'>): FlowNaming {
  return flowNaming(runbook, runbook.roles.primary, runbook.roles.secondary);
}

/** The name of a home topic on `cluster`. */
export function nameOn(runbook: Pick<Runbook, 'link' | 'roles'>, cluster: string, home: string): string {
  return cluster === runbook.roles.primary ? home : targetTopicName(homeToOther(runbook), home);
}

/** The home name of a topic found on `cluster`, when it is one of the workload's. */
export function homeNameOf(runbook: Pick<Runbook, 'link' | 'roles' | 'workload'>, cluster: string, topic: string): string | undefined {
  const home = cluster === runbook.roles.primary ? topic : sourceTopicName(homeToOther(runbook), topic);
  if (home === undefined) return undefined;
  return runbook.workload.topics.some((sel) => topicMatches(sel, home)) ? home : undefined;
}

/** The workload topics among a cluster's topics, by their names there. */
export function selectWorkloadTopics(runbook: Pick<Runbook, 'link' | 'roles' | 'workload'>, cluster: string, all: readonly string[]): string[] {
  return all.filter((t) => homeNameOf(runbook, cluster, t) !== undefined);
}

export interface WorkloadMap {
  topics: TopicPair[];
  /** selectors (regexes) that matched no topic on either cluster */
  unmatched: string[];
  groups: string[];
  /** primary -> secondary in force */
  forward: Flow;
  /** secondary -> primary in force */
  reverse: Flow;
}

/**
 * Resolves the workload against the topics each cluster has (either may be
 * unknown when its cluster is down). Literal topic names are always part of
 * the workload, found or not, so that a missing one is reported by name.
 */
export function workloadMap(
  runbook: Pick<Runbook, 'link' | 'roles' | 'workload'>,
  roles: RolesInForce,
  topicsOn: { primary?: readonly string[]; secondary?: readonly string[] },
): WorkloadMap {
  const homes = new Set<string>();
  const unmatched: string[] = [];
  const found = (cluster: string, list: readonly string[] | undefined) =>
    (list ?? []).flatMap((t) => {
      const h = homeNameOf(runbook, cluster, t);
      return h === undefined ? [] : [h];
    });
  const seen = [...found(roles.primary, topicsOn.primary), ...found(roles.secondary, topicsOn.secondary)];
  for (const sel of runbook.workload.topics) {
    if (!isTopicRegex(sel)) {
      homes.add(sel);
      continue;
    }
    const hits = seen.filter((h) => topicMatches(sel, h));
    if (hits.length === 0) unmatched.push(sel);
    for (const h of hits) homes.add(h);
  }
  const topics = [...homes].sort().map((home) => ({ home, onPrimary: nameOn(runbook, roles.primary, home), onSecondary: nameOn(runbook, roles.secondary, home) }));
  return {
    topics,
    unmatched,
    groups: [...runbook.workload.groups],
    forward: { source: roles.primary, target: roles.secondary, naming: flowNaming(runbook, roles.primary, roles.secondary) },
    reverse: { source: roles.secondary, target: roles.primary, naming: flowNaming(runbook, roles.secondary, roles.primary) },
  };
}
