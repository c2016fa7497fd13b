import type { StepType } from '../runbook/steps.js';
import { confirm } from './confirm.js';
import { fenceWrites } from './fenceWrites.js';
import { pauseLink } from './pauseLink.js';
import { resumeLink } from './resumeLink.js';
import { run } from './run.js';
import { setRoles } from './setRoles.js';
import { switchRoute } from './switchRoute.js';
import { translateOffsets } from './translateOffsets.js';
import type { AnyStep } from './types.js';
import { unfenceWrites } from './unfenceWrites.js';
import { verify } from './verify.js';
import { wait } from './wait.js';
import { waitReplication } from './waitReplication.js';

/**
 * Every step type, by name. Each module declares the narrow context it uses;
 * the engine hands each the full StepContext, which satisfies them all.
 */
export const STEPS: Record<StepType, AnyStep> = {
  'fence-writes': fenceWrites as unknown as AnyStep,
  'unfence-writes': unfenceWrites as unknown as AnyStep,
  'wait-replication': waitReplication as unknown as AnyStep,
  'translate-offsets': translateOffsets as unknown as AnyStep,
  'switch-route': switchRoute as unknown as AnyStep,
  'pause-link': pauseLink as unknown as AnyStep,
  'resume-link': resumeLink as unknown as AnyStep,
  run: run as unknown as AnyStep,
  confirm: confirm as unknown as AnyStep,
  wait: wait as unknown as AnyStep,
  verify: verify as unknown as AnyStep,
  'set-roles': setRoles as unknown as AnyStep,
};

export function stepModule(type: StepType): AnyStep {
  return STEPS[type];
}
