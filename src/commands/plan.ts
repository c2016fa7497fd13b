import { resolve } from 'node:path';
import { planAction } from '../engine/plan.js';
import { FailoverError, type ExitCodeValue } from '../errors.js';
import { loadRunbookOrThrow } from '../runbook/load.js';
import { ACTION_NAMES, type ActionName } from '../runbook/actions.js';
import { printJson } from '../ui/report.js';
import { planExit, renderPlan } from './actionRender.js';

export interface PlanOptions {
  runbook: string;
  action: string;
  json?: boolean;
  verbose?: boolean;
  cwd: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * `failover plan <runbook> <action>`: every step's concrete plan, computed
 * from the live pair, and nothing changed (not even the state topic).
 * Exit 1 when a step cannot be planned or is blocked, or the pair's phase
 * would refuse the action.
 */
export async function plan(opts: PlanOptions): Promise<ExitCodeValue> {
  if (!(ACTION_NAMES as readonly string[]).includes(opts.action)) {
    throw new FailoverError(`unknown action "${opts.action}"`, { hint: `one of ${ACTION_NAMES.join(', ')}` });
  }
  const action = opts.action as ActionName;
  const env = opts.env ?? process.env;
  const loaded = await loadRunbookOrThrow(resolve(opts.cwd, opts.runbook), { env, displayPath: opts.runbook });
  const result = await planAction({ loaded, action, env });
  if (opts.json) printJson(result);
  else renderPlan(result, (line) => process.stdout.write(line + '\n'), { verbose: Boolean(opts.verbose) });
  return planExit(result);
}
