import { resolve } from 'node:path';
import { ExitCode, FailoverError, errorMessage, type ExitCodeValue } from '../errors.js';
import type { Phase } from '../gates/types.js';
import { processSecrets } from '../runbook/secrets.js';
import type { StepSpec } from '../runbook/steps.js';
import type { RunOutcome, TranscriptEntry } from '../transcript/entries.js';
import { readTranscript } from '../transcript/reader.js';
import { runFacts } from '../transcript/runFacts.js';
import { TranscriptWriter, defaultTranscriptPath } from '../transcript/writer.js';
import { stepModule } from '../steps/registry.js';
import { StepStopped, type GateRunner, type ConfirmRequest, type Evidence, type OutcomeBase, type PlanBase, type StepContext, type StopSignal } from '../steps/types.js';
import { RunbookConnections } from './connections.js';
import { buildStepContext } from './context.js';
import { crashAfterApplyHook } from './crashHook.js';
import { acquireLock, LockHeldError, releaseLock } from './lock.js';
import { ACTION_PHASES, checkPhase } from './phase.js';
import { lagMeasure, planAction, planFromView, planSteps } from './plan.js';
import { liveGateRunner } from './gates.js';
import { isDone, progressOf, type RunProgress } from './progress.js';
import { liveRecords } from './records.js';
import { KEY, PairStore, type LockHolder } from './state.js';
import { StopCriteria } from './stopCriteria.js';
import type { ActionHooks, ActionRequest, ActionResult, EngineEvent } from './types.js';

/** Ends the run early with an outcome; caught by runAction, which records it. */
class RunEnd extends Error {
  constructor(
    readonly outcome: RunOutcome,
    readonly exitCode: ExitCodeValue,
    message: string,
    readonly hint?: string,
    readonly stop?: StopSignal & { index?: number },
  ) {
    super(message);
  }
}

/**
 * Runs an action: transcript, lock, phase check, required gates, the full
 * plan, one confirmation, then per step plan -> apply -> verify, each
 * recorded before the next begins, with stop criteria between steps and
 * while steps wait. With `resume`, it continues a transcript: completed
 * steps are verified again, a step that was planned or applied continues
 * from its recorded plan, and the rest run as usual.
 */
export async function runAction(req: ActionRequest, hooks: ActionHooks): Promise<ActionResult> {
  const rb = req.loaded.runbook;
  const spec = rb.actions[req.action];
  const emit = (e: EngineEvent) => hooks.onEvent?.(e);
  if (!spec) {
    const message = `runbook ${rb.name} has no ${req.action} action`;
    emit({ type: 'finished', outcome: 'failed', exitCode: ExitCode.usage, message });
    return { outcome: 'failed', exitCode: ExitCode.usage, message, hint: `add actions.${req.action} to ${req.loaded.file}` };
  }
  if (req.dryRun) {
    const plan = await planAction(req, hooks);
    emit({ type: 'plan', plan });
    emit({ type: 'finished', outcome: 'dry-run', exitCode: ExitCode.ok });
    return { outcome: 'dry-run', exitCode: ExitCode.ok, plan };
  }

  const connections = hooks.connections ?? new RunbookConnections(rb);
  const store = new PairStore(rb, (c) => connections.get(c));
  const gates = hooks.gates ?? liveGateRunner(req.loaded, connections, req.transcriptsDir ? { transcriptsDir: req.transcriptsDir } : {});
  const facts = runFacts(req.env ?? process.env);
  const redact = (t: string) => processSecrets.redact(req.loaded.secrets.redact(t));
  const startedAt = Date.now();
  let writer: TranscriptWriter | undefined;
  let me: LockHolder | undefined;
  let locked = false;
  // Once true, the pair may differ from how the run found it: any failure is a finding (exit 1), not a usage error.
  let changed = false;

  // The lock goes back before run-finished is written: a crash in between leaves an unfinished transcript
  // whose --resume can still take the lock, rather than a finished run holding it for ever.
  const unlock = async () => {
    if (!locked || !me) return;
    locked = false;
    await releaseLock(store, me.runId).catch((e: unknown) => writer?.append({ type: 'note', text: `could not give the lock back: ${errorMessage(e)}` }));
  };
  const finish = async (outcome: RunOutcome, exitCode: ExitCodeValue, message?: string, hint?: string): Promise<ActionResult> => {
    await unlock();
    writer?.append({ type: 'run-finished', outcome, exitCode, ...(message ? { summary: message } : {}), durationMs: Date.now() - startedAt });
    const transcript = writer?.path;
    emit({ type: 'finished', outcome, exitCode, ...(message ? { message } : {}), ...(hint ? { hint } : {}), ...(transcript ? { transcript } : {}) });
    return { outcome, exitCode, ...(transcript ? { transcript } : {}), ...(me ? { runId: me.runId } : {}), ...(message ? { message } : {}), ...(hint ? { hint } : {}) };
  };

  try {
    // 1. The transcript comes first: whatever happens next is recorded.
    let progress: RunProgress | undefined;
    if (req.resume) {
      const read = await readTranscript(req.resume);
      progress = progressOf(read.entries);
      const refuse = resumeProblem(progress, req);
      if (refuse) return finishEarly(emit, refuse.message, refuse.hint);
      writer = TranscriptWriter.resume(req.resume, { redact });
      writer.append({ type: 'note', text: `resumed by ${facts.operator} on ${facts.host} (pid ${facts.pid})`, data: { argv: req.argv ?? [] } });
    } else {
      const path = req.transcriptPath ?? defaultTranscriptPath(rb.name, req.action, new Date(), req.transcriptsDir ?? 'transcripts');
      writer = TranscriptWriter.create(path, { redact });
    }
    const before = await store.read();
    let runId: string;
    if (progress) {
      runId = progress.runId;
    } else {
      const first = writer.append({
        type: 'run-started',
        runbook: { path: req.loaded.file, name: rb.name, sha256: req.loaded.contentHash },
        action: req.action,
        toolVersion: facts.toolVersion,
        operator: facts.operator,
        host: facts.host,
        pid: facts.pid,
        argv: req.argv ?? [],
        phase: { phase: before.phase.phase, roles: before.phase.roles, recorded: before.recorded },
      });
      runId = first.hash;
    }
    me = { runId, action: req.action, operator: facts.operator, host: facts.host, pid: facts.pid, startedAt: new Date(startedAt).toISOString(), transcript: resolve(writer.path) };
    emit({ type: 'started', transcript: writer.path, runId, resumed: Boolean(progress) });

    // 2. The lock (creating the state topic where it is missing).
    writer.append({ type: 'note', text: `taking the lock of ${rb.name} on ${store.clusters.join(', ')} (state topic ${store.topic})` });
    try {
      const lock = await acquireLock(store, me);
      locked = true;
      writer.append({ type: 'note', text: `lock taken on ${lock.held.join(', ')}`, data: lock });
      emit({ type: 'locked', clusters: lock.held, unreachable: lock.unreachable });
    } catch (e) {
      if (e instanceof LockHeldError) {
        writer.append({ type: 'note', text: e.message, data: { holder: e.holder, cluster: e.cluster } });
        throw new RunEnd('failed', ExitCode.usage, e.message, e.hint);
      }
      throw e;
    }

    // 3. The phase, read again under the lock.
    const view = await store.read();
    const check = checkPhase(req.action, view.phase, progress ? runId : undefined);
    if (!check.ok) {
      writer.append({ type: 'note', text: `refused: ${check.message}`, data: { phase: view.phase } });
      throw new RunEnd('failed', ExitCode.usage, check.message, check.hint);
    }
    const roles = view.phase.roles;
    const phases = ACTION_PHASES[req.action];
    const stop = new StopCriteria(spec.stopWhen, startedAt, lagMeasure(req, connections, roles), req.signal);
    let current: { index: number; step: StepSpec['type'] } = { index: -1, step: spec.steps[0]!.type };

    const ctx: StepContext = buildStepContext({
      loaded: req.loaded,
      action: req.action,
      roles,
      connections,
      records: liveRecords(store, me),
      gates,
      confirm: async (r: ConfirmRequest) => {
        const ask = { ...r, ...(current.index >= 0 ? { index: current.index } : {}) };
        const answer = await hooks.confirm(ask);
        if (answer.yes) writer!.append({ type: 'confirmed', ...(ask.index === undefined ? {} : { index: ask.index }), message: ask.message, via: answer.via });
        return answer;
      },
      progress: (p) => emit({ type: 'progress', index: current.index, step: current.step, ...p }),
      checkStop: () => stop.check(),
      transcriptPath: resolve(writer.path),
      env: req.env ?? process.env,
      ...(req.signal ? { signal: req.signal } : {}),
    });

    // 4. Required gates, once per run (a resumed run was checked when it began).
    if (!progress?.confirmed && spec.requires.length > 0) await preflight(req, gates, writer, emit, view.phase.phase, roles);

    // 5. The full plan, shown before anything happens.
    const done = (i: number) => isDone(progress?.steps.get(i));
    const steps = await planSteps(ctx, spec.steps, done);
    const plan = planFromView(req, view, steps, runId);
    writer.append({ type: 'note', text: 'the plan shown to the operator', data: { steps: steps.map((s) => ({ index: s.index, type: s.type, done: s.done ?? false, summary: s.plan?.summary, details: s.plan?.details, blocked: s.plan?.blocked, error: s.error })) } });
    emit({ type: 'plan', plan });
    const firstPending = steps.find((s) => !s.done);
    const recordedFirst = firstPending ? progress?.steps.get(firstPending.index)?.plan : undefined;
    const firstProblem = firstPending && !recordedFirst ? (firstPending.error ?? firstPending.plan?.blocked) : undefined;
    if (firstPending && firstProblem !== undefined) {
      throw new RunEnd('failed', ExitCode.findings, `step ${firstPending.index + 1} (${firstPending.type}) cannot run: ${firstProblem}`, 'nothing was changed; fix what the plan names and run the action again');
    }

    // 6. One confirmation for the run.
    const pending = steps.filter((s) => !s.done).length;
    const question = `${progress ? 'Continue' : 'Run'} ${req.action} of ${rb.name}: ${pending} step(s) on ${roles.primary} and ${roles.secondary}?`;
    const answer = await hooks.confirm({ kind: 'run', message: question });
    if (!answer.yes) {
      throw new RunEnd('stopped', ExitCode.stopped, 'the operator did not confirm; nothing was changed', undefined, { kind: 'refused', reason: 'confirmation refused' });
    }
    writer.append({ type: 'confirmed', message: question, via: answer.via });

    // 7. The phase the action runs in, announced before it is written.
    changed = true;
    if (view.phase.phase !== phases.during && view.phase.phase !== phases.to) await setPhase(store, me, writer, emit, phases.during, req.action);

    // 8. The steps.
    for (const [index, s] of spec.steps.entries()) {
      current = { index, step: s.type };
      const mod = stepModule(s.type);
      const rec = progress?.steps.get(index);
      if (isDone(rec)) {
        const ev = await mod.verify(ctx, rec!.plan!, rec!.outcome);
        writer.append({ type: 'step-verified', index, step: s.type, status: ev.status, finding: ev.finding, data: { reverified: true, evidence: ev.data } });
        emit({ type: 'step', index, step: s.type, stage: 'reverified', summary: ev.finding, evidence: ev });
        if (ev.status !== 'fail') continue;
        // A completed step that no longer holds is applied again from its recorded plan (apply is idempotent).
        await applyAndVerify(ctx, writer, emit, index, s, rec!.plan!, req);
        continue;
      }
      const halt = await stop.check();
      if (halt) throw stopped(halt, index);
      let plan: PlanBase;
      if (rec?.plan && !rec.plan.blocked) {
        plan = rec.plan;
        writer.append({ type: 'note', text: `step ${index + 1} (${s.type}) continues from its recorded plan` });
      } else {
        plan = await mod.plan(ctx, s.params);
        writer.append({ type: 'step-planned', index, step: s.type, summary: plan.summary, plan });
      }
      emit({ type: 'step', index, step: s.type, stage: 'planned', summary: plan.summary, details: plan.details });
      if (rec?.outcome) {
        // Applied before the interruption: verify first, apply again only if it does not hold.
        const ev = await mod.verify(ctx, plan, rec.outcome);
        writer.append({ type: 'step-verified', index, step: s.type, status: ev.status, finding: ev.finding, ...(ev.data === undefined ? {} : { data: ev.data }) });
        emit({ type: 'step', index, step: s.type, stage: 'verified', summary: ev.finding, evidence: ev });
        if (ev.status !== 'fail') continue;
      }
      await applyAndVerify(ctx, writer, emit, index, s, plan, req);
    }

    // 9. Where the action leaves the pair.
    await setPhase(store, me, writer, emit, phases.to, req.action);
    return await finish('ok', ExitCode.ok, `${req.action} of ${rb.name} done: the pair is ${phases.to}`);
  } catch (e) {
    if (e instanceof RunEnd) {
      if (e.stop && writer) writer.append({ type: 'stopped', reason: e.stop.reason, ...(e.stop.criterion ? { criterion: e.stop.criterion } : {}), ...(e.stop.index === undefined ? {} : { index: e.stop.index }), resumable: true, ...(e.stop.data === undefined ? {} : { data: e.stop.data }) });
      return await finish(e.outcome, e.exitCode, e.message, e.hint ?? (writer && e.outcome !== 'failed' ? `resume with --resume ${writer.path}` : undefined));
    }
    const message = errorMessage(e);
    const exitCode = e instanceof FailoverError && !changed ? e.exitCode : ExitCode.findings;
    if (!writer) throw e;
    writer.append({ type: 'note', text: `failed: ${message}` });
    return await finish('failed', exitCode, message, e instanceof FailoverError && e.hint ? e.hint : `fix the cause and resume with --resume ${writer.path}`);
  } finally {
    await unlock();
    await store.close();
    if (!hooks.connections) await connections.close();
    writer?.close();
  }
}

function finishEarly(emit: (e: EngineEvent) => void, message: string, hint: string): ActionResult {
  emit({ type: 'finished', outcome: 'failed', exitCode: ExitCode.usage, message, hint });
  return { outcome: 'failed', exitCode: ExitCode.usage, message, hint };
}

function stopped(signal: StopSignal, index: number): RunEnd {
  if (signal.kind === 'interrupt') return new RunEnd('interrupted', ExitCode.interrupted, `interrupted before step ${index + 1}`, undefined, { ...signal, index });
  return new RunEnd('stopped', ExitCode.stopped, `stopped before step ${index + 1}: ${signal.reason}`, undefined, { ...signal, index });
}

/** Why a transcript cannot be resumed by this request, if it cannot. */
function resumeProblem(progress: RunProgress | undefined, req: ActionRequest): { message: string; hint: string } | undefined {
  const rb = req.loaded.runbook;
  if (!progress) return { message: `${req.resume} does not start with a run-started entry`, hint: 'give the transcript of the run to continue' };
  const s = progress.started;
  if (s.action !== req.action) return { message: `${req.resume} is a ${s.action} run, not ${req.action}`, hint: `run \`failover ${s.action} ${req.loaded.file} --resume ${req.resume}\`` };
  if (s.runbook.name !== rb.name) return { message: `${req.resume} ran runbook ${s.runbook.name}, not ${rb.name}`, hint: 'give the runbook that run used' };
  if (s.runbook.sha256 !== req.loaded.contentHash) {
    return {
      message: `${req.loaded.file} changed since ${req.resume} began (sha256 ${s.runbook.sha256.slice(0, 12)}... then, ${req.loaded.contentHash.slice(0, 12)}... now)`,
      hint: 'resume with the runbook as it was; its recorded plans belong to that version',
    };
  }
  if (progress.lastOutcome === 'ok') return { message: `the run in ${req.resume} already finished`, hint: 'nothing to resume' };
  return undefined;
}

async function setPhase(store: PairStore, me: LockHolder, writer: TranscriptWriter, emit: (e: EngineEvent) => void, phase: Phase, action: string): Promise<void> {
  const view = await store.current();
  writer.append({ type: 'note', text: `phase -> ${phase}`, data: { phase, roles: view.phase.roles } });
  await store.write(me.runId, me, [
    { key: KEY.phase, value: { phase, roles: view.phase.roles, action, runId: me.runId, transcript: me.transcript, operator: me.operator, host: me.host } },
  ]);
  emit({ type: 'phase', phase, roles: view.phase.roles });
}

async function applyAndVerify(
  ctx: StepContext,
  writer: TranscriptWriter,
  emit: (e: EngineEvent) => void,
  index: number,
  s: StepSpec,
  plan: PlanBase,
  req: ActionRequest,
): Promise<void> {
  const mod = stepModule(s.type);
  if (plan.blocked) throw new RunEnd('failed', ExitCode.findings, `step ${index + 1} (${s.type}) cannot be applied: ${plan.blocked}`, 'nothing was applied for this step; fix the cause and resume');
  const t0 = Date.now();
  let outcome: OutcomeBase;
  try {
    outcome = await mod.apply(ctx, plan);
  } catch (e) {
    if (e instanceof StepStopped) throw stopped(e.signal, index);
    throw new RunEnd('failed', ExitCode.findings, `step ${index + 1} (${s.type}) failed: ${errorMessage(e)}`, `fix the cause and resume with --resume ${writer.path}`);
  }
  writer.append({ type: 'step-applied', index, step: s.type, summary: outcome.summary, outcome, durationMs: Date.now() - t0 });
  emit({ type: 'step', index, step: s.type, stage: 'applied', summary: outcome.summary });
  crashAfterApplyHook(index, req.env ?? process.env);
  let ev: Evidence;
  try {
    ev = await mod.verify(ctx, plan, outcome);
  } catch (e) {
    ev = { check: s.type, status: 'fail', finding: `verification could not run: ${errorMessage(e)}` };
  }
  writer.append({ type: 'step-verified', index, step: s.type, status: ev.status, finding: ev.finding, ...(ev.data === undefined ? {} : { data: ev.data }) });
  emit({ type: 'step', index, step: s.type, stage: 'verified', summary: ev.finding, evidence: ev });
  if (ev.status === 'fail') {
    throw new RunEnd('failed', ExitCode.findings, `step ${index + 1} (${s.type}) did not verify: ${ev.finding}`, `fix the cause and resume with --resume ${writer.path}`);
  }
  // Ctrl-C during the apply: stop here, with this step recorded as done.
  if (req.signal?.aborted) throw stopped({ kind: 'interrupt', reason: 'interrupted (Ctrl-C)' }, index + 1);
}

/** Runs the required gates, records each with its checks and any override, and refuses to start while one scores 0. */
async function preflight(req: ActionRequest, gates: GateRunner, writer: TranscriptWriter, emit: (e: EngineEvent) => void, phase: Phase, roles: { primary: string; secondary: string }): Promise<void> {
  const spec = req.loaded.runbook.actions[req.action]!;
  const results = await gates(spec.requires, { phase, roles });
  const overrides = new Map((req.overrides ?? []).map((o) => [o.gate, o.reason]));
  const blocking: string[] = [];
  for (const gate of spec.requires) {
    const r = results.find((x) => x.gate === gate) ?? { gate, score: 0 as const, verdict: 'blocked' as const, keyFinding: 'the gate did not run', evidence: [], elapsedMs: 0 };
    writer.append({ type: 'gate', gate, score: r.score, blocking: true, summary: r.keyFinding });
    for (const ev of r.evidence) writer.append({ type: 'check', gate, check: ev.check, status: ev.status, finding: ev.finding, ...(ev.data === undefined ? {} : { data: ev.data }) });
    const reason = overrides.get(gate);
    if (r.score === 0 && reason !== undefined) writer.append({ type: 'override', gate, reason, score: r.score });
    emit({ type: 'gate', result: r, ...(r.score === 0 && reason !== undefined ? { overridden: reason } : {}) });
    if (r.score === 0 && reason === undefined) blocking.push(`${gate}: ${r.keyFinding}`);
  }
  if (blocking.length > 0) {
    throw new RunEnd('failed', ExitCode.findings, `required gate(s) score 0, so ${req.action} does not start: ${blocking.join('; ')}`, 'fix the findings, or pass --override GATE --reason "..." (recorded in the transcript)');
  }
}

export type { TranscriptEntry };
