import { stepParams } from '../runbook/steps.js';
import { applyLink, planLink, verifyLink, type LinkCtx, type LinkOutcome, type LinkPlan } from './linkControl.js';
import type { StepModule } from './types.js';

/** resume-link: resumes replication that pause-link paused. */
export const resumeLink: StepModule<'resume-link', LinkPlan, LinkOutcome, LinkCtx> = {
  name: 'resume-link',
  params: stepParams['resume-link'],
  plan: (ctx, params) => planLink(ctx, 'resume', params.direction),
  apply: applyLink,
  verify: verifyLink,
};
