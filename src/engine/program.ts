import { hostname } from 'node:os';
import * as z from 'zod';
import { ExitCode, FailoverError } from '../errors.js';
import type { Phase, RolesInForce } from '../gates/types.js';
import type { GateName } from '../runbook/gates.js';
import type { LoadedRunbook } from '../runbook/load.js';
import type { ActionName, StopWhen } from '../runbook/schema.js';
import { STEP_TYPES, type StepType } from '../runbook/steps.js';
import { stepModule } from '../steps/registry.js';
import type { AnyStep, RecordedStep } from '../steps/types.js';
import { readTranscript, verifyChain } from '../transcript/reader.js';
import { processAlive } from './lock.js';
import { ACTION_PHASES, UNFINISHED } from './phase.js';
import { progressOf } from './progress.js';
import type { PairView, PhaseRecord } from './state.js';

/**
 * What the engine runs: a list of steps and the phases around them. The
 * runbook's actions are programs; so are two the engine makes itself:
 *
 * - `abort`: the undo of every step an unfinished action planned, in reverse
 *   order, built from that run's transcript (never from the runbook, which
 *   may have changed since), taking the pair back to where it started;
 * - `fence`: the fences the pair records as pending, applied now that their
 *   clusters answer; the phase is not touched.
 *
 * A program is recorded in its run's first entry, so that a resume runs the
 * same program even when the runbook or the pair changed in between.
 */
export type EngineAction = ActionName | 'abort' | 'fence';

export interface ProgramStep {
  index: number;
  type: StepType;
  /** as the transcript names it: the type, or `undo <type>` */
  label: string;
  params: unknown;
  module: AnyStep;
}

export interface ActionProgram {
  action: EngineAction;
  steps: ProgramStep[];
  requires: GateName[];
  stopWhen?: StopWhen;
  /** the phase written while it runs, and where it leaves the pair; absent: the phase is left alone */
  phases?: { during: Phase; to: Phase; toRoles?: RolesInForce; aborting?: PhaseRecord['aborting'] };
  /** the phase the steps start from and lead to, for verify steps and templates */
  start: Phase;
  target: Phase;
  /** the cluster that owns writes when the program starts */
  activeCluster: string;
  /** the roles the steps act with */
  roles: RolesInForce;
  /** what to tell the operator before confirming (an undo that cannot be done, ...) */
  notes: string[];
  /** a run whose lock this one may take over once the operator confirms it is gone (abort of a left-behind lock) */
  takeOverLock?: string;
}

/** What run-started records of an engine-made program, to run it again on resume. */
export interface ProgramRecord {
  action: 'abort' | 'fence';
  steps: { index: number; type: StepType; label: string; params: unknown }[];
  phases?: ActionProgram['phases'];
  start: Phase;
  target: Phase;
  activeCluster: string;
  roles: RolesInForce;
  notes: string[];
}

export function runbookProgram(loaded: LoadedRunbook, action: ActionName, roles: RolesInForce): ActionProgram {
  const spec = loaded.runbook.actions[action];
  if (!spec) throw new FailoverError(`runbook ${loaded.runbook.name} has no ${action} action`, { exitCode: ExitCode.usage, hint: `add actions.${action} to ${loaded.file}` });
  const p = ACTION_PHASES[action];
  return {
    action,
    steps: spec.steps.map((s, index) => ({ index, type: s.type, label: s.type, params: s.params, module: stepModule(s.type) })),
    requires: [...spec.requires],
    ...(spec.stopWhen ? { stopWhen: spec.stopWhen } : {}),
    phases: { during: p.during, to: p.to },
    start: p.from,
    target: p.to,
    activeCluster: action === 'promote' ? roles.primary : roles.secondary,
    roles,
    notes: [],
  };
}

/** `failover fence`: one fence-writes per cluster whose fence is pending; refuses when none is. */
export function fenceProgram(loaded: LoadedRunbook, view: PairView, waitMs?: number): ActionProgram {
  const pending = Object.entries(view.fences).filter(([, f]) => f.pending).map(([c]) => c).sort();
  if (pending.length === 0) {
    throw new FailoverError(`no fence is pending for ${loaded.runbook.name}: nothing to apply`, { exitCode: ExitCode.usage, hint: `\`failover status ${loaded.file}\` shows the fences the pair records` });
  }
  return {
    action: 'fence',
    steps: pending.map((cluster, index) => ({ index, type: 'fence-writes', label: 'fence-writes', params: { cluster, ...(waitMs === undefined ? {} : { wait: waitMs }) }, module: stepModule('fence-writes') })),
    requires: [],
    start: view.phase.phase,
    target: view.phase.phase,
    activeCluster: view.roles.primary,
    roles: view.roles,
    notes: pending.map((c) => `the fence of ${c} is pending since ${view.fences[c]!.pending!.since}: ${view.fences[c]!.pending!.reason}`),
  };
}

function undoModule(type: StepType): AnyStep | undefined {
  const undo = stepModule(type).undo;
  if (!undo) return undefined;
  return {
    name: type,
    params: z.unknown(),
    plan: (ctx, params) => undo.plan(ctx, params as RecordedStep),
    apply: (ctx, plan) => undo.apply(ctx, plan),
    verify: (ctx, plan) => undo.verify(ctx, plan),
  };
}

/** Steps that change nothing have nothing to undo; the others without an undo are named to the operator. */
const NO_EFFECT: ReadonlySet<StepType> = new Set(['wait-replication', 'verify', 'wait', 'confirm']);

/**
 * A pair whose phase is settled and whose lock a run still holds: that run
 * ended (or died) between its last phase change and giving the lock back.
 * Nothing is left to undo; abort takes the lock over, once the operator
 * confirms the run is gone (refused while its process runs on this host),
 * and gives it back, so the pair is not locked for good by a dead process.
 */
function leftBehindLock(view: PairView): ActionProgram | undefined {
  const holder = view.locks.find((l) => l.holder)?.holder;
  if (!holder) return undefined;
  // Left behind, not in use: the run that holds it wrote the pair's last phase (it was past its steps), or its process
  // is gone from this host. A run still in its gates holds the lock under an older phase, and is left alone.
  const settledByIt = view.phase.runId === holder.runId;
  const deadHere = holder.host === hostname() && !processAlive(holder.pid);
  if (!settledByIt && !deadHere) return undefined;
  const phase = view.phase.phase;
  return {
    action: 'abort',
    steps: [],
    requires: [],
    start: phase,
    target: phase,
    activeCluster: phase === 'promoted' ? view.roles.secondary : view.roles.primary,
    roles: view.roles,
    takeOverLock: holder.runId,
    notes: [
      `the pair is ${phase}, with nothing to undo, and its lock is still held by ${holder.action} run ${holder.runId.slice(0, 12)}... of ${holder.operator} on ${holder.host} (pid ${holder.pid}, since ${holder.startedAt}; ${holder.transcript}): abort takes that lock over and gives it back`,
    ],
  };
}

/**
 * `failover abort`: the undo of the unfinished run that holds the phase,
 * from its transcript (`transcript`, else the path the phase records).
 */
export async function abortProgram(view: PairView, runbookFile: string, transcript?: string): Promise<ActionProgram> {
  const phase = view.phase;
  if (phase.phase === 'aborting') {
    throw new FailoverError(`an abort of this pair has not finished${phase.operator ? ` (${phase.operator} on ${phase.host})` : ''}`, {
      exitCode: ExitCode.usage,
      hint: phase.transcript ? `resume it: \`failover abort ${runbookFile} --resume ${phase.transcript}\`` : 'resume it with --resume <its transcript>',
    });
  }
  if (!UNFINISHED.has(phase.phase) || !phase.runId) {
    const left = leftBehindLock(view);
    if (left) return left;
    throw new FailoverError(`nothing to abort: the pair is ${phase.phase}`, { exitCode: ExitCode.usage, hint: 'abort takes back a promote, revert or continue-forward that did not finish' });
  }
  const path = transcript ?? phase.transcript;
  if (!path) throw new FailoverError(`the pair is ${phase.phase}, and its record names no transcript`, { exitCode: ExitCode.usage, hint: 'give the stuck run\'s transcript with --transcript FILE' });
  const read = await readTranscript(path);
  const chain = verifyChain(read);
  if (!chain.ok && !(read.torn && chain.firstBad?.line === read.torn.line)) {
    throw new FailoverError(`${path}:${chain.firstBad?.line}: ${chain.firstBad?.reason}; a broken transcript cannot say what to undo`, { exitCode: ExitCode.usage, hint: `\`failover transcript verify ${path}\`` });
  }
  const progress = progressOf(read.entries);
  if (!progress || progress.runId !== phase.runId) {
    throw new FailoverError(`${path} is not the run that left the pair ${phase.phase} (run ${phase.runId.slice(0, 12)}...)`, {
      exitCode: ExitCode.usage,
      hint: phase.transcript ? `its transcript is ${phase.transcript}${phase.host ? ` on ${phase.host}` : ''}; copy it here, or pass it with --transcript` : 'pass that run\'s transcript with --transcript',
    });
  }
  const stuck = progress.started.action as ActionName;
  const from = ACTION_PHASES[stuck]?.from ?? 'steady';
  const startedWith = (progress.started.phase as { roles?: RolesInForce } | undefined)?.roles ?? phase.roles;
  const steps: ProgramStep[] = [];
  const notes: string[] = [];
  for (const i of [...progress.steps.keys()].sort((a, b) => b - a)) {
    const rec = progress.steps.get(i)!;
    const type = rec.step as StepType | undefined;
    if (!type || !rec.plan || !(STEP_TYPES as readonly string[]).includes(type) || NO_EFFECT.has(type)) continue;
    const module = undoModule(type);
    if (!module) {
      if (rec.outcome) notes.push(`step ${i + 1} (${type}) was applied and cannot be undone by failover: ${rec.plan.summary}; take it back by hand if it matters`);
      continue;
    }
    steps.push({ index: steps.length, type, label: `undo ${type}`, params: { plan: rec.plan, ...(rec.outcome ? { outcome: rec.outcome } : {}) }, module });
  }
  return {
    action: 'abort',
    steps,
    requires: [],
    phases: { during: 'aborting', to: from, toRoles: startedWith, aborting: { phase: phase.phase, to: from, roles: startedWith, runId: phase.runId, transcript: path } },
    start: phase.phase,
    target: from,
    activeCluster: stuck === 'promote' ? startedWith.primary : startedWith.secondary,
    roles: startedWith,
    notes: [`abort ${stuck} run ${phase.runId.slice(0, 12)}... of ${phase.operator ?? 'unknown'} (${path}); the pair goes back to ${from}`, ...notes],
  };
}

export function programRecord(p: ActionProgram): ProgramRecord | undefined {
  if (p.action !== 'abort' && p.action !== 'fence') return undefined;
  return {
    action: p.action,
    steps: p.steps.map((s) => ({ index: s.index, type: s.type, label: s.label, params: s.params })),
    ...(p.phases ? { phases: p.phases } : {}),
    start: p.start,
    target: p.target,
    activeCluster: p.activeCluster,
    roles: p.roles,
    notes: p.notes,
  };
}

/** The program a transcript recorded, for its resume. */
export function programFromRecord(r: ProgramRecord): ActionProgram {
  return {
    ...r,
    requires: [],
    steps: r.steps.map((s) => {
      const module = s.label.startsWith('undo ') ? undoModule(s.type) : stepModule(s.type);
      if (!module) throw new FailoverError(`this version of failover cannot run ${s.label}`, { exitCode: ExitCode.usage });
      return { ...s, module };
    }),
  };
}
