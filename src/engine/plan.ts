import { errorMessage } from '../errors.js';
import type { GateResult } from '../gates/types.js';
import { measureReplicationLag } from '../kafka/measureReplicationLag.js';
import { failureKind, lagMapping, unmeasuredReport, type LagReport } from '../kafka/replicationLag.js';
import type { Runbook } from '../runbook/schema.js';
import type { GateRunner, StepContext } from '../steps/types.js';
import { flowNaming, producedTopics, targetTopicName } from '../steps/workload.js';
import { RunbookConnections } from './connections.js';
import { buildStepContext } from './context.js';
import { checkPair, checkPhase, pairHazards } from './phase.js';
import { abortProgram, fenceProgram, runbookProgram, type ActionProgram, type ProgramStep } from './program.js';
import { readOnlyRecords } from './records.js';
import { PairStore, type PairView } from './state.js';
import type { LagMeasure } from './stopCriteria.js';
import type { ActionHooks, ActionPlan, ActionRequest, PlannedStep } from './types.js';

/** Plans each step in order; a step that cannot be planned says why instead of stopping the others. */
export async function planSteps(ctx: StepContext, steps: readonly ProgramStep[], done: (i: number) => boolean = () => false): Promise<PlannedStep[]> {
  const out: PlannedStep[] = [];
  for (const s of steps) {
    const label = s.label === s.type ? {} : { label: s.label };
    if (done(s.index)) {
      out.push({ index: s.index, type: s.type, ...label, params: s.params, done: true });
      continue;
    }
    try {
      const plan = await s.module.plan(ctx, s.params);
      out.push({ index: s.index, type: s.type, ...label, params: s.params, plan });
    } catch (e) {
      out.push({ index: s.index, type: s.type, ...label, params: s.params, error: errorMessage(e) });
    }
  }
  return out;
}

/** Required gates when nobody supplied a way to run them: each counts as not run (score 0). */
export const gatesUnavailable: GateRunner = async (names) =>
  names.map(
    (gate): GateResult => ({ gate, score: 0, verdict: 'blocked', keyFinding: 'the gates could not be run by this caller', evidence: [], elapsedMs: 0 }),
  );

export function planFromView(req: ActionRequest, view: PairView, steps: PlannedStep[], program: ActionProgram, ownRunId?: string): ActionPlan {
  const rb = req.loaded.runbook;
  const a = req.action;
  const pair = checkPair(view, req.loaded.file);
  const check = !pair.ok ? pair : a === 'promote' || a === 'revert' || a === 'continue-forward' ? checkPhase(a, view.phase, ownRunId, req.loaded.file) : { ok: true as const };
  return {
    runbook: { name: rb.name, file: req.loaded.file, sha256: req.loaded.contentHash },
    action: a,
    phase: { phase: view.phase.phase, roles: view.roles, recorded: view.recorded, ...(view.phase.transcript ? { transcript: view.phase.transcript } : {}) },
    canStart: check.ok ? { ok: true } : { ok: false, reason: check.message, hint: check.hint },
    lock: view.locks.flatMap((l) => (l.holder && l.holder.runId !== ownRunId ? [{ cluster: l.cluster, holder: l.holder }] : [])),
    requires: [...program.requires],
    ...(program.stopWhen ? { stopWhen: program.stopWhen } : {}),
    steps,
    unreachable: view.clusters.flatMap((c) => (c.reachable ? [] : [{ cluster: c.cluster, error: c.error ?? 'unreachable' }])),
    hazards: pairHazards(view, req.loaded.file),
    provisional: steps.filter((s) => !s.done).length > 1,
  };
}

/**
 * A lag measurement for stop criteria, in the direction the action moves
 * data. A failure to measure is a report the criteria act on, never
 * undefined (which means lag does not apply, for a source declared down).
 */
export function lagMeasure(req: ActionRequest, connections: RunbookConnections, roles: { primary: string; secondary: string }): LagMeasure {
  const rb = req.loaded.runbook;
  const [source, target] = req.action === 'revert' ? [roles.secondary, roles.primary] : [roles.primary, roles.secondary];
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
    existing = await conn.topicNames();
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
export async function planAction(req: ActionRequest, hooks: Pick<ActionHooks, 'gates' | 'connections'> = {}): Promise<ActionPlan> {
  const connections = hooks.connections ?? new RunbookConnections(req.loaded.runbook);
  const store = await PairStore.open(req.loaded.runbook, (c) => connections.get(c), req.knownIds);
  try {
    const view = await store.read();
    const program =
      req.action === 'abort'
        ? await abortProgram(view, req.loaded.file, req.abortTranscript)
        : req.action === 'fence'
          ? fenceProgram(req.loaded, view, req.waitMs)
          : runbookProgram(req.loaded, req.action, view.roles);
    const ctx = buildStepContext({
      loaded: req.loaded,
      action: req.action,
      phases: { start: program.start, target: program.target },
      activeCluster: program.activeCluster,
      roles: program.roles,
      declaredDown: (req.declaredDown ?? []).map((d) => d.cluster),
      connections,
      records: readOnlyRecords(store),
      gates: hooks.gates ?? gatesUnavailable,
      confirm: async () => ({ yes: false, via: 'flag' }),
      progress: () => undefined,
      checkStop: async () => undefined,
      transcriptPath: '(dry run: no transcript)',
      env: req.env ?? process.env,
      ...(req.signal ? { signal: req.signal } : {}),
    });
    const steps = await planSteps(ctx, program.steps);
    return planFromView(req, view, steps, program);
  } finally {
    await store.close();
    if (!hooks.connections) await connections.close();
  }
}
