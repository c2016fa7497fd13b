import { formatDuration } from '../runbook/duration.js';
import { renderArgv } from '../runbook/templates.js';
import { stepParams } from '../runbook/steps.js';
import { describeResult, runCommand, type CommandResult } from './runCommand.js';
import type { OutcomeBase, PlanBase, StepContext, StepModule } from './types.js';

type Ctx = Pick<StepContext, 'baseDir' | 'templates' | 'action' | 'env'>;

export interface RunPlan extends PlanBase {
  argv: string[];
  cwd: string;
  timeoutMs: number;
  expectExit: number;
}

export interface RunOutcome extends OutcomeBase {
  result: CommandResult;
}

/**
 * run: a command, without a shell, in the runbook folder, with a deadline
 * and an expected exit code; its output goes into the transcript (the
 * writer redacts secrets). In revert, `{{source.*}}` is the secondary and
 * `{{target.*}}` the primary: the direction the action moves the pair.
 */
export const run: StepModule<'run', RunPlan, RunOutcome, Ctx> = {
  name: 'run',
  params: stepParams.run,

  async plan(ctx, params) {
    const argv = renderArgv(params.command, ctx.templates(ctx.action === 'revert' ? 'reverse' : 'forward'));
    return {
      argv,
      cwd: ctx.baseDir,
      timeoutMs: params.timeout,
      expectExit: params.expectExit,
      summary: `run ${argv.join(' ')} (expect exit ${params.expectExit}, at most ${formatDuration(params.timeout)})`,
      details: [`in ${ctx.baseDir}: ${argv.join(' ')}`],
    };
  },

  async apply(ctx, plan) {
    const result = await runCommand(plan.argv, { cwd: plan.cwd, timeoutMs: plan.timeoutMs, env: ctx.env });
    return { result, summary: `${plan.argv[0]}: ${describeResult(result)}` };
  },

  async verify(_ctx, plan, outcome) {
    const r = outcome?.result;
    if (!r) return { check: 'run', status: 'fail', finding: `no result of ${plan.argv[0]} on record` };
    if (r.exitCode === plan.expectExit && !r.timedOut && !r.error) {
      return { check: 'run', status: 'pass', finding: `${plan.argv[0]}: ${describeResult(r)}` };
    }
    return { check: 'run', status: 'fail', finding: `${plan.argv[0]}: ${describeResult(r)}, expected exit ${plan.expectExit}`, data: { output: r.output.slice(-2000) } };
  },
};
