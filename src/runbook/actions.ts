import * as z from 'zod';
import { duration } from './duration.js';
import { expecting } from './expecting.js';
import { count, seconds, text } from './fields.js';
import { blockingGateName } from './gates.js';
import { stepSpec } from './steps.js';

export const ACTION_NAMES = ['promote', 'revert', 'continue-forward'] as const;
export type ActionName = (typeof ACTION_NAMES)[number];

/**
 * Stop criteria are the ones the engine can measure between steps and while
 * waiting: replication lag (seconds, records) and the time the action has run.
 */
const stopWhen = z
  .strictObject({
    lagSecondsAbove: seconds('stop when replication lag of a workload partition exceeds this many seconds').optional(),
    lagRecordsAbove: count('stop when replication lag of a workload partition exceeds this many records').optional(),
    maxDuration: duration().optional().meta({ description: 'stop when the action has run this long' }),
  })
  .meta({ description: 'stop criteria, checked between steps and while waiting; a stop leaves a resumable transcript' });

export const actionSpec = z
  .strictObject({
    description: text().optional(),
    requires: z
      .array(blockingGateName())
      .default(() => [])
      .meta({ description: 'gates that must not score 0 before the action starts (override: --override GATE --reason ...)' }),
    stopWhen: stopWhen.optional(),
    steps: z.array(stepSpec).min(1, { error: expecting('no steps', 'at least one step') }),
  })
  .meta({ description: 'an ordered list of steps, the gates it requires, and when to stop' });

export const actionsSpec = z
  .strictObject({
    promote: actionSpec.meta({ description: 'make the secondary the primary' }),
    revert: actionSpec.optional().meta({ description: 'undo promote: back to the home primary' }),
    'continue-forward': actionSpec.optional().meta({ description: 'keep the promoted cluster as the primary for good' }),
  })
  .meta({ description: 'promote, revert and continue-forward' });

export type ActionSpec = z.output<typeof actionSpec>;
export type ActionsSpec = z.output<typeof actionsSpec>;
export type StopWhen = NonNullable<ActionSpec['stopWhen']>;
