import { stepParams } from '../runbook/steps.js';
import { applyLink, planLink, verifyLink, type LinkCtx, type LinkOutcome, type LinkPlan } from './linkControl.js';
import type { StepModule } from './types.js';

/** pause-link: pauses replication (MirrorMaker 2 connectors over Kafka Connect REST, or link.commands.pause). */
export const pauseLink: StepModule<'pause-link', LinkPlan, LinkOutcome, LinkCtx> = {
  name: 'pause-link',
  params: stepParams['pause-link'],
  plan: (ctx, params) => planLink(ctx, 'pause', params.direction),
  apply: applyLink,
  verify: verifyLink,
};
