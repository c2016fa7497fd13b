import type { KafkaConnection } from '../kafka/connection.js';
import { BLOCKING_GATE_NAMES, GATE_NAMES, type GateName } from '../runbook/gates.js';
import type { Runbook } from '../runbook/schema.js';
import { buildGateContext, type GateContext } from './context.js';
import type { PhaseInfo } from './phaseSource.js';
import { needsOf, orderGates, runGates } from './registry.js';
import type { GateResult, Phase, RolesInForce } from './types.js';

/**
 * The result of `failover check`: one object that the table, --json,
 * --junit and --markdown all render. Versioned; schema/check-result.schema.json
 * describes it.
 */
export const CHECK_RESULT_VERSION = 1;

/** Gates whose score 0 makes the pair not ready to switch. */
export const READINESS_GATES: readonly GateName[] = ['compatibility', 'offsets', 'routing', 'rollback'];

export interface ClusterSummary {
  name: string;
  role: 'primary' | 'secondary';
  bootstrap: string[];
  reachable: boolean;
  clusterId?: string;
  brokers?: number;
  error?: string;
  /** milliseconds per snapshot part */
  timings: Record<string, number>;
}

export interface Readiness {
  ready: boolean;
  /** the gates that must not score 0 */
  required: GateName[];
  /** required gates that scored 0 */
  blockedBy: GateName[];
  /** what the pair's state says is unsafe now (a pending fence on a cluster that answers, a conflict) */
  dangers?: string[];
  statement: string;
}

export interface CheckResult {
  version: typeof CHECK_RESULT_VERSION;
  runbook: { name: string; file: string; sha256?: string };
  checkedAt: string;
  elapsedMs: number;
  phase: PhaseInfo;
  clusters: ClusterSummary[];
  gates: GateResult[];
  readiness: Readiness;
}

/**
 * Ready when none of the readiness gates (and none of the gates asked for
 * by name, cost aside) scores 0. Gates not run do not count either way.
 */
export function readinessOf(gates: readonly GateResult[], asked?: readonly GateName[], hazards: readonly { severity: string; text: string }[] = []): Readiness {
  const required = orderGates([...READINESS_GATES, ...(asked ?? []).filter((g) => (BLOCKING_GATE_NAMES as readonly string[]).includes(g))]);
  const run = gates.filter((g) => required.includes(g.gate));
  const blocked = run.filter((g) => g.score === 0);
  const blockedBy = blocked.map((g) => g.gate);
  // The pair's own state can make it unsafe whatever the gates say: a returned primary that is not fenced.
  const dangers = hazards.filter((h) => h.severity === 'fail').map((h) => h.text);
  const ready = blockedBy.length === 0 && dangers.length === 0;
  const rule = `${required.join(', ')} must not score 0`;
  const statement = ready
    ? `ready: ${rule}, and ${run.length === required.length ? 'none does' : `none of those checked (${run.map((g) => g.gate).join(', ') || 'none'}) does`}`
    : `not ready: ${[...(blocked.length ? [`${rule}; ${blocked.map((g) => `${g.gate} scores 0 (${g.keyFinding})`).join('; ')}`] : []), ...dangers].join('; ')}`;
  return { ready, required, blockedBy, ...(dangers.length ? { dangers } : {}), statement };
}

export interface CheckOptions {
  runbook: Runbook;
  runbookPath: string;
  baseDir: string;
  contentHash?: string;
  connections: Readonly<Record<string, KafkaConnection>>;
  /** gates to run (default: all) */
  gates?: readonly GateName[];
  phase?: { phase?: Phase; roles?: RolesInForce; expectedDown?: readonly string[] };
  transcriptsDir?: string;
  now?: () => number;
}

function clusterSummary(ctx: Pick<GateContext, 'primary' | 'secondary'>, role: 'primary' | 'secondary'): ClusterSummary {
  const s = ctx[role];
  return {
    name: s.name,
    role,
    bootstrap: s.bootstrap,
    reachable: s.reachable,
    ...(s.clusterId === undefined ? {} : { clusterId: s.clusterId }),
    ...(s.reachable ? { brokers: s.brokers.length } : {}),
    ...(s.error === undefined ? {} : { error: s.error }),
    timings: s.timings,
  };
}

/** The gates a check runs: those asked for, else all of them, in the registry's order. */
export function gatesToRun(asked?: readonly GateName[]): GateName[] {
  return orderGates(asked && asked.length ? asked : GATE_NAMES);
}

/** The result of a check from the context it built and what the gates found. Pure. */
export function checkResult(
  opts: Pick<CheckOptions, 'runbook' | 'runbookPath' | 'contentHash' | 'gates'>,
  ctx: Pick<GateContext, 'now' | 'phase' | 'primary' | 'secondary'>,
  gates: GateResult[],
  elapsedMs: number,
): CheckResult {
  return {
    version: CHECK_RESULT_VERSION,
    runbook: { name: opts.runbook.name, file: opts.runbookPath, ...(opts.contentHash ? { sha256: opts.contentHash } : {}) },
    checkedAt: new Date(ctx.now).toISOString(),
    elapsedMs,
    phase: ctx.phase,
    clusters: [clusterSummary(ctx, 'primary'), clusterSummary(ctx, 'secondary')],
    gates,
    readiness: readinessOf(gates, opts.gates, ctx.phase.hazards),
  };
}

/** Builds the context (both snapshots), runs the gates, and judges readiness. */
export async function checkRunbook(opts: CheckOptions): Promise<{ result: CheckResult; context: GateContext }> {
  const t0 = Date.now();
  const names = gatesToRun(opts.gates);
  const ctx = await buildGateContext({
    runbook: opts.runbook,
    runbookPath: opts.runbookPath,
    baseDir: opts.baseDir,
    connections: opts.connections,
    needs: needsOf(names),
    ...(opts.phase ? { phase: opts.phase } : {}),
    ...(opts.transcriptsDir ? { transcriptsDir: opts.transcriptsDir } : {}),
    ...(opts.now ? { now: opts.now } : {}),
  });
  const gates = await runGates(ctx, names);
  return { result: checkResult(opts, ctx, gates, Date.now() - t0), context: ctx };
}
