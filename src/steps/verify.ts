import { stepParams } from '../runbook/steps.js';
import type { OutcomeBase, PlanBase, StepContext, StepModule } from './types.js';

type Ctx = Pick<StepContext, 'gates' | 'roles' | 'startPhase' | 'targetPhase'>;

export interface VerifyPlan extends PlanBase {
  gates: string[];
}

/**
 * verify: re-runs gates against the pair as the action leaves it: routing
 * in the phase the action is about to record, the gates about data on the
 * flow the action used (see GateRunner). The step fails when one scores 0.
 */
export const verify: StepModule<'verify', VerifyPlan, OutcomeBase, Ctx> = {
  name: 'verify',
  params: stepParams.verify,

  async plan(_ctx, params) {
    return { gates: [...params.gates], summary: `re-run gates ${params.gates.join(', ')}; stop on a score of 0`, details: [], noop: true };
  },

  async apply() {
    return { summary: 'nothing to change; the gates run at verification' };
  },

  async verify(ctx, plan) {
    const results = await ctx.gates(plan.gates as Parameters<StepContext['gates']>[0], { phase: ctx.targetPhase, roles: ctx.roles, dataPhase: ctx.startPhase });
    const data = results.map((r) => ({
      gate: r.gate,
      score: r.score,
      keyFinding: r.keyFinding,
      failing: r.evidence.filter((e) => e.status === 'fail').map((e) => ({ check: e.check, finding: e.finding })),
    }));
    const zero = results.filter((r) => r.score === 0);
    const missing = plan.gates.filter((g) => !results.some((r) => r.gate === g));
    if (zero.length || missing.length) {
      return {
        check: 'verify',
        status: 'fail',
        finding: [...zero.map((r) => `${r.gate} scores 0: ${r.keyFinding}`), ...missing.map((g) => `${g} did not run`)].join('; '),
        data,
      };
    }
    return { check: 'verify', status: 'pass', finding: results.map((r) => `${r.gate} ${r.score}`).join(', '), data };
  },
};
