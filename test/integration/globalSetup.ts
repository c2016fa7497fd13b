import { labPaths, PROCESSES } from '../../src/lab/labConfig.js';
import { readState } from '../../src/lab/labState.js';
import { procState } from '../../src/lab/processes.js';
import { TEST_LAB, cli, labUpArgs } from './labHarness.js';

/**
 * Starts the integration lab once for the whole run, reusing one that
 * already runs, and stops at the end only what it started.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const state = readState(labPaths(TEST_LAB.dir).state);
  const running = state !== undefined && PROCESSES.every((n) => procState(state.processes[n]) === 'running');
  const t0 = Date.now();
  const up = await cli(labUpArgs(TEST_LAB), { timeoutMs: 600_000 });
  if (up.exitCode !== 0) throw new Error(`failover lab up failed (exit ${up.exitCode}):\n${up.all}`);
  process.stderr.write(`[integration] lab ${running ? 'reused' : `started in ${((Date.now() - t0) / 1000).toFixed(1)} s`} (${TEST_LAB.dir})\n`);
  return async () => {
    if (running || process.env.FAILOVER_KEEP_LAB) return;
    await cli(['lab', 'down', '--dir', TEST_LAB.dir]);
  };
}
