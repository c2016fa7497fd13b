import { errorMessage, ExitCode, FailoverError } from '../errors.js';
import type { GateResult } from '../gates/types.js';
import { failureKind, lagMapping, measureReplicationLag, unmeasuredReport, type LagReport } from '../kafka/replicationLag.js';
import type { ActionName, Runbook } from '../runbook/schema.js';
import type { StepSpec } from '../runbook/steps.js';
import { stepModule } from '../steps/registry.js';
import type { GateRunner, StepContext } from '../steps/types.js';
import { flowNaming, producedTopics, targetTopicName } from '../steps/workload.js';
import { RunbookConnections } from './connections.js';
import { buildStepContext } from './context.js';
import { checkPhase } from './phase.js';
import { readOnlyRecords } from './records.js';
import { PairStore, type PairView } from './state.js';
import { StopCriteria, type LagMeasure } from './stopCriteria.js';
import type { ActionHooks, ActionPlan, ActionRequest, PlannedStep } from './types.js';

/** Plans each step from `from` on, in order; a step that cannot be planned says why instead of stopping the others. */
export async function planSteps(ctx: StepContext, steps: readonly StepSpec[], done: (i: number) => boolean = () => false): Promise<PlannedStep[]> {
  const out: PlannedStep[] = [];
  for (const [index, spec] of steps.entries()) {
    if (done(index)) {
      out.push({ index, type: spec.type, params: spec.params, done: true });
      continue;
    }
    try {
      const plan = await stepModule(spec.type).plan(ctx, spec.params);
      out.push({ index, type: spec.type, params: spec.params, plan });
    } catch (e) {
      out.push({ index, type: spec.type, params: spec.params, error: errorMessage(e) });
    }
  }
  return out;
}

/** Required gates when nobody supplied a way to run them: each counts as not run (score 0). */
export const gatesUnavailable: GateRunner = async (names) =>
  names.map(
    (gate): GateResult => ({ gate, score: 0, verdict: 'blocked', keyFinding: 'the gates could not be run by this caller', evidence: [], elapsedMs: 0 }),
  );

export function planFromView(req: ActionRequest, view: PairView, steps: PlannedStep[], ownRunId?: string): ActionPlan {
  const rb = req.loaded.runbook;
  const spec = rb.actions[req.action]!;
  const check = checkPhase(req.action, view.phase, ownRunId);
  return {
    runbook: { name: rb.name, file: req.loaded.file, sha256: req.loaded.contentHash },
    action: req.action,
    phase: { phase: view.phase.phase, roles: view.phase.roles, recorded: view.recorded, ...(view.phase.transcript ? { transcript: view.phase.transcript } : {}) },
    canStart: check.ok ? { ok: true } : { ok: false, reason: check.message, hint: check.hint },
    lock: view.locks.flatMap((l) => (l.holder && l.holder.runId !== ownRunId ? [{ cluster: l.cluster, holder: l.holder }] : [])),
    requires: [...spec.requires],
    ...(spec.stopWhen ? { stopWhen: spec.stopWhen } : {}),
    steps,
    unreachable: view.clusters.flatMap((c) => (c.reachable ? [] : [{ cluster: c.cluster, error: c.error ?? 'unreachable' }])),
    provisional: steps.filter((s) => !s.done).length > 1,
  };
}

/**
 * A lag measurement for stop criteria, in the direction the action moves
 * data. Lag does not apply (undefined) when the operator declared the
 * source down: what it holds is out of reach by their decision, not by an
 * error; any other failure to measure is a report the criteria act on.
 */
export function lagMeasure(req: ActionRequest, connections: RunbookConnections, roles: { primary: string; secondary: string }, declaredDown: readonly string[] = []): LagMeasure {
  const rb = req.loaded.runbook;
  const [source, target] = req.action === 'revert' ? [roles.secondary, roles.primary] : [roles.primary, roles.secondary];
  if (declaredDown.includes(source)) return async () => undefined;
  return (seconds: boolean) => flowLagReport(rb, connections, source, target, seconds);
}

/**
 * Replication lag from `source` to `target` over the workload topics that
 * exist on the source, through the link's offset mapping. A source that
 * cannot be read gives an `unmeasured` report, never an empty one.
 */
export async function flowLagReport(rb: Runbook, connections: RunbookConnections, source: string, target: string, seconds: boolean): Promise<LagReport> {
  const naming = flowNaming(rb, source, target);
  const mapping = lagMapping(naming, rb.link.kind === 'mirrormaker2' ? rb.link.offsetSyncsLocation : 'source');
  const conn = connections.get(source);
  let existing: string[];
  try {
    const admin = await conn.admin();
    existing = await conn.call('list topics', () => admin.listTopics());
  } catch (e) {
    return unmeasuredReport(mapping.kind, Date.now(), { kind: failureKind(e, 'source'), reason: `${source} cannot be read: ${errorMessage(e)}` });
  }
  const flows = producedTopics(rb, existing)
    .filter((t) => existing.includes(t))
    .map((t) => ({ source: t, target: targetTopicName(naming, t) }));
  return measureReplicationLag(conn, connections.get(target), flows, mapping, { seconds });
}

/**
 * The dry run: reads the pair (never creates or writes anything, not even
 * the state topic), and plans every step from the pair as it is now.
 */
export async function planAction(req: ActionRequest & { action: ActionName }, hooks: Pick<ActionHooks, 'gates' | 'connections'> = {}): Promise<ActionPlan> {
  const rb = req.loaded.runbook;
  const spec = rb.actions[req.action];
  if (!spec) throw new FailoverError(`runbook ${rb.name} has no ${req.action} action`, { exitCode: ExitCode.usage, hint: `add actions.${req.action} to ${req.loaded.file}` });
  const connections = hooks.connections ?? new RunbookConnections(rb);
  const store = new PairStore(rb, (c) => connections.get(c));
  try {
    const view = await store.read();
    const roles = view.phase.roles;
    const ctx = buildStepContext({
      loaded: req.loaded,
      action: req.action,
      roles,
      connections,
      records: readOnlyRecords(store),
      gates: hooks.gates ?? gatesUnavailable,
      confirm: async () => ({ yes: false, via: 'flag' }),
      progress: () => undefined,
      checkStop: () => new StopCriteria(undefined, Date.now(), async () => Promise.reject(new Error('no')), req.signal).check(),
      transcriptPath: '(dry run: no transcript)',
      env: req.env ?? process.env,
      ...(req.signal ? { signal: req.signal } : {}),
    });
    const steps = await planSteps(ctx, spec.steps);
    return planFromView(req, view, steps);
  } finally {
    await store.close();
    if (!hooks.connections) await connections.close();
  }
}
