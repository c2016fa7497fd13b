import { checkRunbook } from '../gates/scorecard.js';
import type { LoadedRunbook } from '../runbook/load.js';
import type { GateResult, Phase, RolesInForce } from '../gates/types.js';
import type { GateName } from '../runbook/gates.js';
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
  const conns = () => Object.fromEntries(Object.keys(rb.clusters).map((c) => [c, connections.get(c)]));
  const run = async (names: readonly GateName[], phase: Phase, roles: RolesInForce, expectedDown?: readonly string[]): Promise<GateResult[]> => {
    if (names.length === 0) return [];
    const { result } = await checkRunbook({
      runbook: rb,
      runbookPath: loaded.file,
      baseDir: loaded.baseDir,
      contentHash: loaded.contentHash,
      connections: conns(),
      gates: names,
      phase: { phase, roles: gateRoles(phase, roles), ...(expectedDown?.length ? { expectedDown } : {}) },
      ...(opts.transcriptsDir ? { transcriptsDir: opts.transcriptsDir } : {}),
    });
    return result.gates;
  };
  return async (names, context) => {
    const down = context.expectedDown;
    if (context.dataPhase === undefined || context.dataPhase === context.phase) return run(names, context.phase, context.roles, down);
    const routing = names.filter((n) => n === 'routing');
    const data = names.filter((n) => n !== 'routing');
    const [a, b] = await Promise.all([run(routing, context.phase, context.roles, down), run(data, context.dataPhase, context.roles, down)]);
    return [...a, ...b];
  };
}
