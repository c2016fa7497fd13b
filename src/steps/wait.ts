import { formatDuration } from '../runbook/duration.js';
import { stepParams } from '../runbook/steps.js';
import { StepStopped, type OutcomeBase, type PlanBase, type StepContext, type StepModule } from './types.js';

type Ctx = Pick<StepContext, 'checkStop' | 'now' | 'sleep' | 'progress'>;

export interface WaitPlan extends PlanBase {
  durationMs: number;
}

/** wait: a fixed pause (clients to notice a switch, caches to expire), stop criteria checked throughout. */
export const wait: StepModule<'wait', WaitPlan, OutcomeBase, Ctx> = {
  name: 'wait',
  params: stepParams.wait,

  async plan(_ctx, params) {
    return { durationMs: params.duration, summary: `wait ${formatDuration(params.duration)}`, details: [] };
  },

  async apply(ctx, plan) {
    const until = ctx.now() + plan.durationMs;
    for (;;) {
      const left = until - ctx.now();
      if (left <= 0) break;
      const stop = await ctx.checkStop();
      if (stop) throw new StepStopped(stop);
      ctx.progress({ message: `${Math.ceil(left / 1000)} s left` });
      await ctx.sleep(Math.min(left, 1000));
    }
    return { summary: `waited ${formatDuration(plan.durationMs)}` };
  },

  async verify() {
    return { check: 'wait', status: 'pass', finding: 'waited' };
  },
};
