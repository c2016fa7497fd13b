import type { Runbook } from './schema.js';
import { ROLE_NAMES, type RoleName } from './fields.js';

/**
 * Steps name clusters by home role (`primary`, `secondary`) or by name; this
 * is the one place that turns either into a cluster name.
 */
export function resolveClusterRef(runbook: Pick<Runbook, 'roles' | 'clusters'>, ref: string): string | undefined {
  if (ref === 'primary') return runbook.roles.primary;
  if (ref === 'secondary') return runbook.roles.secondary;
  return Object.hasOwn(runbook.clusters, ref) ? ref : undefined;
}

export function isRoleName(ref: string): ref is RoleName {
  return (ROLE_NAMES as readonly string[]).includes(ref);
}

/** The names a cluster reference may take in this runbook, for messages. */
export function clusterRefChoices(runbook: Pick<Runbook, 'clusters'>): string[] {
  return [...ROLE_NAMES, ...Object.keys(runbook.clusters)];
}
