import type { RolesInForce } from '../gates/types.js';
import { stepParams } from '../runbook/steps.js';
import { resolveCluster } from './clusterRef.js';
import type { OutcomeBase, PlanBase, StepContext, StepModule } from './types.js';

type Ctx = Pick<StepContext, 'runbook' | 'roles' | 'records'>;

export interface SetRolesPlan extends PlanBase {
  from: RolesInForce;
  to: RolesInForce;
}

/**
 * set-roles: records new roles on the clusters (continue-forward makes the
 * promoted cluster the primary for good). The runbook file is never edited;
 * its roles stay the home roles, and `failover status` shows both.
 */
export const setRoles: StepModule<'set-roles', SetRolesPlan, OutcomeBase, Ctx> = {
  name: 'set-roles',
  params: stepParams['set-roles'],

  async plan(ctx, params) {
    const from = await ctx.records.roles();
    const to = { primary: resolveCluster(ctx, params.primary), secondary: resolveCluster(ctx, params.secondary) };
    const noop = from.primary === to.primary && from.secondary === to.secondary;
    return {
      from,
      to,
      summary: noop ? `roles already ${to.primary} primary, ${to.secondary} secondary` : `record roles: primary ${from.primary} -> ${to.primary}, secondary ${from.secondary} -> ${to.secondary}`,
      details: [],
      noop,
      ...(to.primary === to.secondary ? { blocked: `${to.primary} cannot be both primary and secondary` } : {}),
    };
  },

  async apply(ctx, plan) {
    await ctx.records.setRoles(plan.to);
    return { summary: `roles recorded: ${plan.to.primary} primary, ${plan.to.secondary} secondary` };
  },

  async verify(ctx, plan) {
    const now = await ctx.records.roles();
    return now.primary === plan.to.primary && now.secondary === plan.to.secondary
      ? { check: 'set-roles', status: 'pass', finding: `the clusters record ${now.primary} as primary, ${now.secondary} as secondary` }
      : { check: 'set-roles', status: 'fail', finding: `the clusters record ${now.primary} as primary, expected ${plan.to.primary}` };
  },
};
