import { FailoverError } from '../errors.js';
import type { LoadedRunbook } from '../runbook/load.js';
import type { ActionRunner } from './runDrill.js';

export interface EngineActionOptions {
  loaded: LoadedRunbook;
  runbookPath: string;
  cwd: string;
  transcriptsDir: string;
  env?: NodeJS.ProcessEnv;
}

/** Runs a drill's action through the promote/revert engine. */
export function engineActionRunner(_opts: EngineActionOptions): ActionRunner {
  return async (action) => {
    throw new FailoverError(`${action}: the action engine is not part of this build yet`, { hint: 'update failover' });
  };
}
