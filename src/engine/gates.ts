import { checkRunbook } from '../gates/scorecard.js';
import type { LoadedRunbook } from '../runbook/load.js';
import type { GateRunner } from '../steps/types.js';
import type { RunbookConnections } from './connections.js';
import { gateRoles } from './phase.js';

/**
 * The gates as the engine runs them (requires preflight, verify steps): the
 * same scorecard as `failover check`, over the action's own connections, in
 * the phase the caller names.
 */
export function liveGateRunner(loaded: LoadedRunbook, connections: RunbookConnections, opts: { transcriptsDir?: string } = {}): GateRunner {
  const rb = loaded.runbook;
  return async (names, context) => {
    const conns = Object.fromEntries(Object.keys(rb.clusters).map((c) => [c, connections.get(c)]));
    const { result } = await checkRunbook({
      runbook: rb,
      runbookPath: loaded.file,
      baseDir: loaded.baseDir,
      contentHash: loaded.contentHash,
      connections: conns,
      gates: names,
      phase: { phase: context.phase, roles: gateRoles(context.phase, context.roles) },
      ...(opts.transcriptsDir ? { transcriptsDir: opts.transcriptsDir } : {}),
    });
    return result.gates;
  };
}
