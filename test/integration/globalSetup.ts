import { labPaths, processNames } from '../../src/lab/labConfig.js';
import { readState } from '../../src/lab/labState.js';
import { procState } from '../../src/lab/processes.js';
import { cli, labUpArgs, sharedLabs, type TestLab } from './labHarness.js';

function isRunning(lab: TestLab): boolean {
  const state = readState(labPaths(lab.dir).state);
  return state !== undefined && processNames(state.settings).every((n) => procState(state.processes[n]) === 'running');
}

/**
 * Starts the integration labs once for the whole run, reusing those that
 * already run, and stops at the end only what it started.
 */
export default async function setup(): Promise<() => Promise<void>> {
  // FAILOVER_TEST_LABS=default runs only the plaintext lab (for a single file that needs no other).
  const labs = sharedLabs();
  const started: TestLab[] = [];
  for (const lab of labs) {
    const running = isRunning(lab);
    const t0 = Date.now();
    const up = await cli(labUpArgs(lab), { timeoutMs: 600_000 });
    if (up.exitCode !== 0) {
      for (const l of started) await cli(['lab', 'down', '--dir', l.dir]);
      throw new Error(`failover ${labUpArgs(lab).join(' ')} failed (exit ${up.exitCode}):\n${up.all}`);
    }
    if (!running) started.push(lab);
    process.stderr.write(`[integration] lab ${lab.dir} ${running ? 'reused' : `started in ${((Date.now() - t0) / 1000).toFixed(1)} s`}\n`);
  }
  return async () => {
    if (process.env.FAILOVER_KEEP_LAB) return;
    for (const lab of started) await cli(['lab', 'down', '--dir', lab.dir]);
  };
}
