import { stepParams } from '../runbook/steps.js';
import { StepStopped, type OutcomeBase, type PlanBase, type StepContext, type StepModule } from './types.js';

type Ctx = Pick<StepContext, 'confirm'>;

export interface ConfirmPlan extends PlanBase {
  message: string;
}

export interface ConfirmOutcome extends OutcomeBase {
  via: 'prompt' | 'flag';
}

/** confirm: asks the operator; a refusal stops the action (exit 3, resumable). */
export const confirm: StepModule<'confirm', ConfirmPlan, ConfirmOutcome, Ctx> = {
  name: 'confirm',
  params: stepParams.confirm,

  async plan(_ctx, params) {
    return { message: params.message, summary: `ask: ${params.message}`, details: [] };
  },

  async apply(ctx, plan) {
    const answer = await ctx.confirm({ kind: 'step', message: plan.message });
    if (!answer.yes) throw new StepStopped({ kind: 'refused', reason: `the operator answered no to "${plan.message}"` });
    return { via: answer.via, summary: answer.via === 'flag' ? 'confirmed by --yes' : 'confirmed' };
  },

  async verify(_ctx, plan) {
    return { check: 'confirm', status: 'pass', finding: `confirmed: ${plan.message}` };
  },
};
