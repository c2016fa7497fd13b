import { sourceTopicName, targetTopicName, type FlowNaming } from '../kafka/naming.js';
import { isTopicRegex, topicMatches } from '../runbook/fields.js';
import type { Runbook } from '../runbook/schema.js';

/**
 * The workload as steps need it. Producers write the workload topics under
 * their own names on whichever cluster is primary (`orders` on east, and on
 * west after a promote); consumers of a promoted pair also read the copies
 * the link made (`east.orders` on west).
 */

/** How the link names a topic of `source` on `target`. */
export function flowNaming(runbook: Pick<Runbook, 'link'>, source: string, target: string): FlowNaming {
  const link = runbook.link;
  if (link.kind === 'mirrormaker2') {
    return { kind: 'mirrormaker2', sourceAlias: link.aliases[source] ?? source, targetAlias: link.aliases[target] ?? target, separator: link.separator, ...(link.replicationPolicy === 'identity' ? { identity: true } : {}) };
  }
  return { kind: 'offset-preserving', prefix: link.naming === 'identical' ? '' : link.naming.prefix };
}

export function isWorkloadTopic(runbook: Pick<Runbook, 'workload'>, topic: string): boolean {
  return runbook.workload.topics.some((sel) => topicMatches(sel, topic));
}

/**
 * The workload topics producers write on a cluster: every literal name
 * (a missing topic is still fenced, so that nothing can create and fill
 * it) and every existing topic a /regex/ selects.
 */
export function producedTopics(runbook: Pick<Runbook, 'workload'>, existing: readonly string[]): string[] {
  const out = new Set<string>();
  for (const sel of runbook.workload.topics) {
    if (!isTopicRegex(sel)) out.add(sel);
    else for (const t of existing) if (topicMatches(sel, t) && !t.startsWith('__')) out.add(t);
  }
  return [...out].sort();
}

/**
 * Does a topic a group committed on `source` belong to the workload? Either
 * a workload topic under its own name, or the link's copy of one that came
 * from `target` (`east.orders` on west, on the way back to east).
 */
export function isWorkloadCommit(runbook: Pick<Runbook, 'workload'>, naming: FlowNaming, topic: string): boolean {
  if (isWorkloadTopic(runbook, topic)) return true;
  const back: FlowNaming =
    naming.kind === 'mirrormaker2' ? { ...naming, sourceAlias: naming.targetAlias, targetAlias: naming.sourceAlias } : naming;
  const original = sourceTopicName(back, topic);
  return original !== undefined && original !== topic && isWorkloadTopic(runbook, original);
}

export { targetTopicName };
