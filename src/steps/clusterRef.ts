import { FailoverError } from '../errors.js';
import type { RolesInForce } from '../gates/types.js';
import type { Runbook } from '../runbook/schema.js';

/**
 * `primary` and `secondary` in a step mean the roles in force: the home
 * roles of the runbook until continue-forward records new ones on the
 * clusters. A cluster may also be named directly.
 */
export function resolveCluster(ctx: { runbook: Pick<Runbook, 'clusters'>; roles: RolesInForce }, ref: string): string {
  if (ref === 'primary') return ctx.roles.primary;
  if (ref === 'secondary') return ctx.roles.secondary;
  if (Object.hasOwn(ctx.runbook.clusters, ref)) return ref;
  throw new FailoverError(`no cluster "${ref}" in the runbook`, { hint: `use primary, secondary or one of ${Object.keys(ctx.runbook.clusters).join(', ')}` });
}
