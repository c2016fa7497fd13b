import { dirname, resolve } from 'node:path';
import { ensureDir } from '../files.js';
import { ExitCode, FailoverError, errorMessage, type ExitCodeValue } from '../errors.js';
import type { Phase, RolesInForce } from '../gates/types.js';
import { processSecrets } from '../runbook/secrets.js';
import type { RunOutcome, TranscriptEntry } from '../transcript/entries.js';
import { readTranscript } from '../transcript/reader.js';
import { runFacts } from '../transcript/runFacts.js';
import { TRANSCRIPTS_HINT, TranscriptWriter, defaultTranscriptPath } from '../transcript/writer.js';
import { StepStopped, type ConfirmRequest, type DrillProbeWorkload, type Evidence, type OutcomeBase, type PlanBase, type StepContext, type StopSignal } from '../steps/types.js';
import { RunbookConnections } from './connections.js';
import { buildStepContext } from './context.js';
import { crashAfterApplyHook } from './crashHook.js';
import { liveGateRunner } from './gates.js';
import { acquireLock, LockHeldError, PairIncompleteError, releaseLock } from './lock.js';
import { checkPair, checkPhase } from './phase.js';
import { lagMeasure, planAction, planFromView, planSteps } from './plan.js';
import { abortProgram, fenceProgram, programFromRecord, programRecord, runbookProgram, type ActionProgram, type ProgramRecord, type ProgramStep } from './program.js';
import { isDone, progressOf, type RunProgress } from './progress.js';
import { liveRecords } from './records.js';
import { KEY, PairStore, newLineage, type DeclaredDown, type LockHolder, type PairView } from './state.js';
import { StopCriteria, type LagMeasure } from './stopCriteria.js';
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
 * Runs an action: the pair and its state, the program, the transcript, the
 * lock, the phase check, the required gates, the full plan, one
 * confirmation, then per step plan -> apply -> verify, each recorded before
 * the next begins, with stop criteria between steps and while steps wait.
 * With `resume`, it continues a transcript: completed steps are verified
 * again against the live pair, a step that was planned or applied continues
 * from its recorded plan, and the rest run as usual.
 */
export async function runAction(req: ActionRequest, hooks: ActionHooks): Promise<ActionResult> {
  const emit = (e: EngineEvent) => hooks.onEvent?.(e);
  if (req.dryRun) {
    if (req.resume) return early(emit, '--dry-run and --resume do not go together: a dry run plans from the pair as it is, a resume continues a recorded run', 'run `failover plan` for the plan, or drop --dry-run to resume');
    const plan = await planAction(req, hooks);
    emit({ type: 'plan', plan });
    emit({ type: 'finished', outcome: 'dry-run', exitCode: ExitCode.ok });
    return { outcome: 'dry-run', exitCode: ExitCode.ok, plan };
  }
  return new ActionRun(req, hooks).execute();
}

function early(emit: (e: EngineEvent) => void, message: string, hint: string, exitCode: ExitCodeValue = ExitCode.usage): ActionResult {
  emit({ type: 'finished', outcome: 'failed', exitCode, message, hint });
  return { outcome: 'failed', exitCode, message, hint };
}

class ActionRun {
  private readonly rb;
  private readonly emit: (e: EngineEvent) => void;
  private readonly connections: RunbookConnections;
  private readonly facts;
  private readonly startedAt = Date.now();
  private store: PairStore | undefined;
  private writer: TranscriptWriter | undefined;
  private me: LockHolder | undefined;
  private locked = false;
  /** once true, the pair may differ from how the run found it: any failure is a finding (exit 1), not a usage error */
  private changed = false;
  private progress: RunProgress | undefined;
  private program!: ActionProgram;
  private declared: DeclaredDown[] = [];
  private probe: DrillProbeWorkload | undefined;
  private firstHash: string | undefined;

  constructor(
    private readonly req: ActionRequest,
    private readonly hooks: ActionHooks,
  ) {
    this.rb = req.loaded.runbook;
    this.probe = req.probe;
    this.emit = (e) => hooks.onEvent?.(e);
    this.connections = hooks.connections ?? new RunbookConnections(this.rb);
    this.facts = runFacts(req.env ?? process.env);
  }

  async execute(): Promise<ActionResult> {
    try {
      // Where the transcript goes is checked before any cluster is asked: a folder that cannot be written ends the command at once.
      if (this.req.resume) await this.readResumed();
      else ensureDir(dirname(this.transcriptPath()), 'the transcripts folder', TRANSCRIPTS_HINT);
      const view = await this.openPair();
      await this.declareDown(view);
      this.program = await this.buildProgram(view);
      this.openTranscript(view);
      await this.lock();
      const roles = await this.checkUnderLock();
      const ctx = this.stepContext(roles);
      await this.preflight(roles);
      await this.planAndConfirm(ctx);
      await this.enterPhase();
      await this.runSteps(ctx);
      await this.leavePhase();
      return await this.finish('ok', ExitCode.ok, this.doneMessage());
    } catch (e) {
      return await this.fail(e);
    } finally {
      await this.unlock();
      await this.store?.close();
      if (!this.hooks.connections) await this.connections.close();
      this.writer?.close();
    }
  }

  // -- before the transcript: nothing changes, and a refusal is a usage error --

  private async readResumed(): Promise<void> {
    const read = await readTranscript(this.req.resume!);
    this.progress = progressOf(read.entries);
    const refuse = resumeProblem(this.progress, this.req);
    if (refuse) throw new RunEnd('failed', ExitCode.usage, refuse.message, refuse.hint);
    const decl = (this.progress!.started as { declaredDown?: DeclaredDown[] }).declaredDown;
    if (decl) this.declared = decl;
    // A drill's action moves the probe group again when resumed by hand.
    this.probe = (this.progress!.started as { probe?: DrillProbeWorkload }).probe;
  }

  private async openPair(): Promise<PairView> {
    this.store = await PairStore.open(this.rb, (c) => this.connections.get(c), this.req.knownIds);
    const view = await this.store.read();
    const pair = checkPair(view, this.req.loaded.file);
    if (!pair.ok) throw new RunEnd('failed', ExitCode.usage, pair.message, pair.hint);
    return view;
  }

  /** Each declared cluster is in the pair, really silent, and confirmed (typed on a terminal). */
  private async declareDown(view: PairView): Promise<void> {
    // A resumed run's declarations hold only while their clusters stay silent: one that is back takes part again.
    this.declared = this.declared.filter((d) => view.identity.reach[d.cluster]?.ok !== true);
    for (const d of this.req.declaredDown ?? []) {
      const reach = view.identity.reach[d.cluster];
      if (!reach) throw new RunEnd('failed', ExitCode.usage, `--declare-down ${d.cluster}: not a cluster of this pair`, `one of ${view.identity.clusters.join(', ')}`);
      if (reach.ok) {
        if (d.ifSilent) continue;
        throw new RunEnd('failed', ExitCode.usage, `--declare-down ${d.cluster}: ${d.cluster} answers (cluster id ${reach.clusterId}); it is not down`, `drop --declare-down ${d.cluster}; the action takes its lock like any other`);
      }
      if (d.reason.trim() === '') throw new RunEnd('failed', ExitCode.usage, `--declare-down ${d.cluster} needs --declare-reason "..."`, 'say why the cluster is down; the transcript and the clusters record it');
      const answer = await this.hooks.confirm({
        kind: 'declare-down',
        message: `${d.cluster} does not answer (${reach.error}). Acting without its lock means nobody can stop a second operator who sees only ${d.cluster}. Declare ${d.cluster} down?`,
        typed: d.cluster,
      });
      if (!answer.yes) throw new RunEnd('stopped', ExitCode.stopped, `${d.cluster} was not declared down; nothing was changed`, undefined, { kind: 'refused', reason: 'declaration refused' });
      if (this.declared.some((x) => x.cluster === d.cluster)) continue;
      this.declared.push({
        cluster: d.cluster,
        ...(view.identity.ids[d.cluster] ? { clusterId: view.identity.ids[d.cluster] } : {}),
        reason: d.reason,
        error: reach.error,
        operator: this.facts.operator,
        host: this.facts.host,
        time: new Date().toISOString(),
      });
    }
  }

  private async buildProgram(view: PairView): Promise<ActionProgram> {
    const recorded = (this.progress?.started as { program?: ProgramRecord } | undefined)?.program;
    if (recorded) return programFromRecord(recorded);
    if (this.req.action === 'abort') return abortProgram(view, this.req.loaded.file, this.req.abortTranscript);
    if (this.req.action === 'fence') return fenceProgram(this.req.loaded, view, this.req.waitMs);
    return runbookProgram(this.req.loaded, this.req.action, view.roles);
  }

  // -- the transcript comes first: whatever happens next is recorded --

  private path: string | undefined;
  private transcriptPath(): string {
    this.path ??= this.req.transcriptPath ?? defaultTranscriptPath(this.rb.name, this.req.action, new Date(this.startedAt), this.req.transcriptsDir ?? 'transcripts');
    return this.path;
  }

  private openTranscript(view: PairView): void {
    const redact = (t: string) => processSecrets.redact(this.req.loaded.secrets.redact(t));
    if (this.progress) {
      this.writer = TranscriptWriter.resume(this.req.resume!, { redact });
      this.writer.append({ type: 'note', text: `resumed by ${this.facts.operator} on ${this.facts.host} (pid ${this.facts.pid})`, data: { argv: this.req.argv ?? [], declaredDown: this.declared } });
    } else {
      this.writer = TranscriptWriter.create(this.transcriptPath(), { redact });
      const record = programRecord(this.program);
      this.firstHash = this.writer.append({
        type: 'run-started',
        runbook: { path: this.req.loaded.file, name: this.rb.name, sha256: this.req.loaded.contentHash },
        action: this.req.action,
        toolVersion: this.facts.toolVersion,
        operator: this.facts.operator,
        host: this.facts.host,
        pid: this.facts.pid,
        argv: this.req.argv ?? [],
        phase: { phase: view.phase.phase, roles: view.roles, recorded: view.recorded },
        pair: { topic: view.topic, ids: view.identity.ids },
        ...(this.declared.length ? { declaredDown: this.declared } : {}),
        ...(this.probe ? { probe: this.probe } : {}),
        ...(record ? { program: record } : {}),
      }).hash;
    }
    for (const d of this.declared) this.writer.append({ type: 'note', text: `${d.cluster} declared down by ${d.operator} on ${d.host}: ${d.reason} (it did not answer: ${d.error})`, data: { declaredDown: d } });
    const runId = this.progress?.runId ?? this.firstHash!;
    this.me = {
      runId,
      action: this.req.action,
      runbook: this.rb.name,
      operator: this.facts.operator,
      host: this.facts.host,
      pid: this.facts.pid,
      startedAt: new Date(this.startedAt).toISOString(),
      transcript: resolve(this.writer.path),
    };
    this.emit({ type: 'started', transcript: this.writer.path, runId, resumed: Boolean(this.progress) });
  }

  private async lock(): Promise<void> {
    const store = this.store!;
    const writer = this.writer!;
    writer.append({ type: 'note', text: `taking the lock of the pair on ${store.clusters.filter((c) => !this.isDeclared(c)).join(', ')} (state topic ${store.topic})` });
    const takeOver = this.program.phases?.aborting?.runId ?? this.program.takeOverLock;
    try {
      const lock = await acquireLock(store, this.me!, new Set(this.declared.map((d) => d.cluster)), takeOver ? { runId: takeOver, confirm: (h) => this.confirmTakeOver(h) } : undefined);
      this.locked = true;
      writer.append({ type: 'note', text: `lock taken on ${lock.held.join(', ')}${lock.declaredDown.length ? `; declared down: ${lock.declaredDown.join(', ')}` : ''}`, data: lock });
      this.emit({ type: 'locked', clusters: lock.held, declaredDown: lock.declaredDown });
    } catch (e) {
      if (e instanceof LockHeldError || e instanceof PairIncompleteError) {
        writer.append({ type: 'note', text: e.message, data: e instanceof LockHeldError ? { holder: e.holder, cluster: e.cluster } : { unreachable: e.unreachable } });
        throw new RunEnd('failed', ExitCode.usage, e.message, e.hint);
      }
      throw e;
    }
  }

  private async confirmTakeOver(h: LockHolder): Promise<boolean> {
    const message = `the lock is held by ${this.program.takeOverLock ? 'a run that did not give it back' : 'the run being aborted'}: ${h.operator} on ${h.host} (pid ${h.pid}), ${h.action} since ${h.startedAt}. Take it over (make sure that process is not running)?`;
    const answer = await this.hooks.confirm({ kind: 'take-over', message });
    if (answer.yes) this.writer!.append({ type: 'confirmed', message, via: answer.via });
    return answer.yes;
  }

  /** The phase, read again under the lock; returns the roles the steps act with. */
  private async checkUnderLock(): Promise<RolesInForce> {
    const view = await this.store!.read();
    const pair = checkPair(view, this.req.loaded.file);
    const fail = (message: string, hint: string) => {
      this.writer!.append({ type: 'note', text: `refused: ${message}`, data: { phase: view.phase } });
      return new RunEnd('failed', ExitCode.usage, message, hint);
    };
    if (!pair.ok) throw fail(pair.message, pair.hint);
    const a = this.req.action;
    if (a === 'promote' || a === 'revert' || a === 'continue-forward') {
      const check = checkPhase(a, view.phase, this.progress ? this.me!.runId : undefined, this.req.loaded.file);
      if (!check.ok) throw fail(check.message, check.hint);
      return view.roles;
    }
    if (a === 'abort' && this.program.takeOverLock) {
      // A left-behind lock: the phase must still be the settled one the abort was planned from.
      if (view.phase.phase !== this.program.start) throw fail(`the pair moved on since the abort was planned: it is ${view.phase.phase}`, '`failover status` shows where it stands');
      return this.program.roles;
    }
    if (a === 'abort') {
      const ours = view.phase.phase === 'aborting' && view.phase.runId === this.me!.runId;
      const stuck = this.program.phases!.aborting!;
      const still = view.phase.runId === stuck.runId && view.phase.phase === stuck.phase;
      const done = ours || (view.phase.runId === this.me!.runId && view.phase.phase === stuck.to);
      if (!ours && !still && !done) throw fail(`the pair moved on since the abort was planned: it is ${view.phase.phase}`, '`failover status` shows where it stands');
    }
    return this.program.roles;
  }

  private stepContext(roles: RolesInForce): StepContext {
    const stop = this.stopCriteria(roles);
    let current = -1;
    const writer = this.writer!;
    const ctx = buildStepContext({
      loaded: this.req.loaded,
      action: this.req.action,
      phases: { start: this.program.start, target: this.program.target },
      activeCluster: this.program.activeCluster,
      roles,
      declaredDown: this.declared.map((d) => d.cluster),
      connections: this.connections,
      records: liveRecords(this.store!, this.me!),
      gates: this.gates(),
      confirm: async (r: ConfirmRequest) => {
        const ask = { ...r, ...(current >= 0 ? { index: current } : {}) };
        const answer = await this.hooks.confirm(ask);
        if (answer.yes) writer.append({ type: 'confirmed', ...(ask.index === undefined ? {} : { index: ask.index }), message: ask.message, via: answer.via });
        return answer;
      },
      progress: (p) => this.emit({ type: 'progress', index: current, step: this.program.steps[Math.max(0, current)]?.type ?? 'wait', ...p }),
      checkStop: () => stop.check(),
      transcriptPath: resolve(writer.path),
      env: this.req.env ?? process.env,
      ...(this.req.signal ? { signal: this.req.signal } : {}),
      ...(this.probe ? { probe: this.probe } : {}),
    });
    this.setCurrent = (i) => (current = i);
    this.stop = stop;
    return ctx;
  }

  private setCurrent: (i: number) => void = () => undefined;
  private stop!: StopCriteria;

  private gates() {
    const base = this.hooks.gates ?? liveGateRunner(this.req.loaded, this.connections, this.req.transcriptsDir ? { transcriptsDir: this.req.transcriptsDir } : {});
    const down = this.declared.map((d) => d.cluster);
    // A cluster the operator declared down is expected not to answer: the gates report it, and do not score the pair 0 for it.
    return down.length === 0 ? base : (names: Parameters<typeof base>[0], c: Parameters<typeof base>[1]) => base(names, { ...c, expectedDown: [...(c.expectedDown ?? []), ...down] });
  }

  private stopCriteria(roles: RolesInForce): StopCriteria {
    const measure = lagMeasure(this.req, this.connections, roles);
    const source = this.req.action === 'revert' ? roles.secondary : roles.primary;
    // Lag from a cluster declared down cannot be measured, by declaration: the operator accepted what it did not replicate.
    const lag: LagMeasure = this.isDeclared(source) ? async () => undefined : measure;
    return new StopCriteria(this.program.stopWhen, this.startedAt, lag, this.req.signal);
  }

  private isDeclared(cluster: string): boolean {
    return this.declared.some((d) => d.cluster === cluster);
  }

  /** Required gates, once per run (a resumed run was checked when it began). */
  private async preflight(roles: RolesInForce): Promise<void> {
    if (this.progress?.confirmed || this.program.requires.length === 0) return;
    const writer = this.writer!;
    const results = await this.gates()(this.program.requires, { phase: this.program.start, roles });
    const overrides = new Map((this.req.overrides ?? []).map((o) => [o.gate, o.reason]));
    const blocking: string[] = [];
    for (const gate of this.program.requires) {
      const r = results.find((x) => x.gate === gate) ?? { gate, score: 0 as const, verdict: 'blocked' as const, keyFinding: 'the gate did not run', evidence: [], elapsedMs: 0 };
      writer.append({ type: 'gate', gate, score: r.score, blocking: true, summary: r.keyFinding });
      for (const ev of r.evidence) writer.append({ type: 'check', gate, check: ev.check, status: ev.status, finding: ev.finding, ...(ev.data === undefined ? {} : { data: ev.data }) });
      const reason = overrides.get(gate);
      if (r.score === 0 && reason !== undefined) writer.append({ type: 'override', gate, reason, score: r.score });
      this.emit({ type: 'gate', result: r, ...(r.score === 0 && reason !== undefined ? { overridden: reason } : {}) });
      if (r.score === 0 && reason === undefined) blocking.push(`${gate}: ${r.keyFinding}`);
    }
    if (blocking.length > 0) {
      throw new RunEnd('failed', ExitCode.findings, `required gate(s) score 0, so ${this.req.action} does not start: ${blocking.join('; ')}`, 'fix the findings, or pass --override GATE --reason "..." (recorded in the transcript)');
    }
  }

  /** The full plan, shown before anything happens, then one confirmation for the run. */
  private async planAndConfirm(ctx: StepContext): Promise<void> {
    const writer = this.writer!;
    const done = (i: number) => isDone(this.progress?.steps.get(i));
    for (const n of this.program.notes) {
      writer.append({ type: 'note', text: n });
      this.emit({ type: 'note', text: n });
    }
    const steps = await planSteps(ctx, this.program.steps, done);
    const view = await this.store!.current();
    const plan = planFromView(this.req, view, steps, this.program, this.me!.runId);
    writer.append({ type: 'note', text: 'the plan shown to the operator', data: { steps: steps.map((s) => ({ index: s.index, type: s.label ?? s.type, done: s.done ?? false, summary: s.plan?.summary, details: s.plan?.details, blocked: s.plan?.blocked, error: s.error })) } });
    this.emit({ type: 'plan', plan });
    const firstPending = steps.find((s) => !s.done);
    const recordedFirst = firstPending ? this.progress?.steps.get(firstPending.index)?.plan : undefined;
    const firstProblem = firstPending && !recordedFirst ? (firstPending.error ?? firstPending.plan?.blocked) : undefined;
    if (firstPending && firstProblem !== undefined) {
      throw new RunEnd('failed', ExitCode.findings, `step ${firstPending.index + 1} (${firstPending.label ?? firstPending.type}) cannot run: ${firstProblem}`, 'nothing was changed; fix what the plan names and run the action again');
    }
    const pending = steps.filter((s) => !s.done).length;
    const roles = this.program.roles;
    const question = `${this.progress ? 'Continue' : 'Run'} ${this.req.action} of ${this.rb.name}: ${pending} step(s) on ${roles.primary} and ${roles.secondary}?`;
    const answer = await this.hooks.confirm({ kind: 'run', message: question });
    if (!answer.yes) throw new RunEnd('stopped', ExitCode.stopped, 'the operator did not confirm; nothing was changed', undefined, { kind: 'refused', reason: 'confirmation refused' });
    writer.append({ type: 'confirmed', message: question, via: answer.via });
  }

  // -- from here on the pair may change --

  private async enterPhase(): Promise<void> {
    this.changed = true;
    const p = this.program.phases;
    if (!p) return;
    const view = await this.store!.current();
    if (view.phase.phase !== p.during && view.phase.phase !== p.to) await this.setPhase(p.during, this.program.roles);
  }

  private async runSteps(ctx: StepContext): Promise<void> {
    for (const s of this.program.steps) {
      this.setCurrent(s.index);
      const rec = this.progress?.steps.get(s.index);
      if (isDone(rec)) {
        await this.reverify(ctx, s, rec!.plan!, rec!.outcome);
        continue;
      }
      const halt = await this.stop.check();
      if (halt) throw stopped(halt, s.index);
      let plan: PlanBase;
      if (rec?.plan && !rec.plan.blocked) {
        plan = rec.plan;
        this.writer!.append({ type: 'note', text: `step ${s.index + 1} (${s.label}) continues from its recorded plan` });
      } else {
        plan = await s.module.plan(ctx, s.params);
        this.writer!.append({ type: 'step-planned', index: s.index, step: s.label, summary: plan.summary, plan });
      }
      this.emit({ type: 'step', index: s.index, step: s.type, stage: 'planned', summary: plan.summary, details: plan.details });
      if (rec?.outcome) {
        // Applied before the interruption: verify against the live pair first, apply again only if it does not hold.
        const ev = await this.verifyStep(ctx, s, plan, rec.outcome);
        if (ev.status !== 'fail') continue;
      }
      await this.hooks.beforeApply?.({ index: s.index, type: s.type });
      await this.applyAndVerify(ctx, s, plan);
    }
  }

  /** A completed step of a resumed run is verified again, live; one that no longer holds is applied again from its recorded plan. */
  private async reverify(ctx: StepContext, s: ProgramStep, plan: PlanBase, outcome: OutcomeBase | undefined): Promise<void> {
    const ev = await safeVerify(ctx, s, plan, outcome);
    this.writer!.append({ type: 'step-verified', index: s.index, step: s.label, status: ev.status, finding: ev.finding, data: { reverified: true, evidence: ev.data } });
    this.emit({ type: 'step', index: s.index, step: s.type, stage: 'reverified', summary: ev.finding, evidence: ev });
    if (ev.status === 'fail') await this.applyAndVerify(ctx, s, plan);
  }

  private async verifyStep(ctx: StepContext, s: ProgramStep, plan: PlanBase, outcome: OutcomeBase): Promise<Evidence> {
    const ev = await safeVerify(ctx, s, plan, outcome);
    this.writer!.append({ type: 'step-verified', index: s.index, step: s.label, status: ev.status, finding: ev.finding, ...(ev.data === undefined ? {} : { data: ev.data }) });
    this.emit({ type: 'step', index: s.index, step: s.type, stage: 'verified', summary: ev.finding, evidence: ev });
    return ev;
  }

  private async applyAndVerify(ctx: StepContext, s: ProgramStep, plan: PlanBase): Promise<void> {
    const writer = this.writer!;
    if (plan.blocked) throw new RunEnd('failed', ExitCode.findings, `step ${s.index + 1} (${s.label}) cannot be applied: ${plan.blocked}`, 'nothing was applied for this step; fix the cause and resume');
    const t0 = Date.now();
    let outcome: OutcomeBase;
    try {
      outcome = await s.module.apply(ctx, plan);
    } catch (e) {
      if (e instanceof StepStopped) throw stopped(e.signal, s.index);
      throw new RunEnd('failed', ExitCode.findings, `step ${s.index + 1} (${s.label}) failed: ${errorMessage(e)}`, this.resumeHint());
    }
    writer.append({ type: 'step-applied', index: s.index, step: s.label, summary: outcome.summary, outcome, durationMs: Date.now() - t0 });
    this.emit({ type: 'step', index: s.index, step: s.type, stage: 'applied', summary: outcome.summary });
    crashAfterApplyHook(s.index, this.req.env ?? process.env);
    const ev = await this.verifyStep(ctx, s, plan, outcome);
    if (ev.status === 'fail') throw new RunEnd('failed', ExitCode.findings, `step ${s.index + 1} (${s.label}) did not verify: ${ev.finding}`, this.resumeHint());
    // Ctrl-C during the apply: stop here, with this step recorded as done.
    if (this.req.signal?.aborted) throw stopped({ kind: 'interrupt', reason: 'interrupted (Ctrl-C)' }, s.index + 1);
  }

  private resumeHint(): string {
    const file = this.req.loaded.file;
    const abort = this.program.phases && this.req.action !== 'abort' ? `, or take the pair back with \`failover abort ${file}\`` : '';
    return `fix the cause and resume with --resume ${this.writer!.path}${abort}`;
  }

  private async leavePhase(): Promise<void> {
    const p = this.program.phases;
    // The roles as the steps left them (continue-forward's set-roles), unless the program restores others (abort).
    if (p) await this.setPhase(p.to, p.toRoles ?? (await this.store!.current()).roles);
  }

  /** Announced in the transcript, then written on the clusters with the chain head that pins the transcript so far. */
  private async setPhase(phase: Phase, roles: RolesInForce): Promise<void> {
    const store = this.store!;
    const me = this.me!;
    const prior = (await store.current()).phase;
    const entry = this.writer!.append({ type: 'note', text: `phase -> ${phase}`, data: { phase, roles } });
    const aborting = phase === 'aborting' ? this.program.phases?.aborting : undefined;
    await store.write(me, [
      {
        key: KEY.phase,
        value: {
          phase,
          roles,
          runbook: this.rb.name,
          action: this.req.action,
          runId: me.runId,
          transcript: me.transcript,
          operator: me.operator,
          host: me.host,
          ...(aborting ? { aborting } : {}),
          ...(this.declared.length ? { declaredDown: this.declared } : {}),
          chainHead: { runId: me.runId, seq: entry.seq, hash: entry.hash, finished: false, transcript: me.transcript },
          lineage: newLineage(prior),
        },
      },
      { key: KEY.anchor(me.runId), value: { runId: me.runId, seq: entry.seq, hash: entry.hash, finished: false, transcript: me.transcript } },
    ]);
    this.emit({ type: 'phase', phase, roles });
  }

  private doneMessage(): string {
    const p = this.program.phases;
    if (this.req.action === 'abort' && this.program.takeOverLock) return `abort done: the lock the ${this.program.start} pair was left with is free again`;
    if (this.req.action === 'abort') return `abort done: the pair is back to ${p?.to}, as before the ${p?.aborting?.phase ?? ''} run`;
    if (!p) return `${this.req.action} of ${this.rb.name} done`;
    return `${this.req.action} of ${this.rb.name} done: the pair is ${p.to}`;
  }

  // -- the end --

  /** The lock goes back before run-finished is written: a crash in between leaves an unfinished transcript whose --resume can still take the lock. */
  private async unlock(): Promise<void> {
    if (!this.locked || !this.me) return;
    this.locked = false;
    await releaseLock(this.store!, this.me.runId).catch((e: unknown) => this.writer?.append({ type: 'note', text: `could not give the lock back: ${errorMessage(e)}` }));
  }

  private async finish(outcome: RunOutcome, exitCode: ExitCodeValue, message?: string, hint?: string): Promise<ActionResult> {
    const wasLocked = this.locked;
    await this.unlock();
    const last = this.writer?.append({ type: 'run-finished', outcome, exitCode, ...(message ? { summary: message } : {}), durationMs: Date.now() - this.startedAt });
    if (last && wasLocked && this.me) {
      // The closing entry's hash, on the clusters: a transcript cut short after it no longer verifies.
      await this.store!.anchor(this.me, { runId: this.me.runId, seq: last.seq, hash: last.hash, finished: true, transcript: this.me.transcript }).catch(() => undefined);
    }
    const transcript = this.writer?.path;
    this.emit({ type: 'finished', outcome, exitCode, ...(message ? { message } : {}), ...(hint ? { hint } : {}), ...(transcript ? { transcript } : {}) });
    return { outcome, exitCode, ...(transcript ? { transcript } : {}), ...(this.me ? { runId: this.me.runId } : {}), ...(message ? { message } : {}), ...(hint ? { hint } : {}) };
  }

  private async fail(e: unknown): Promise<ActionResult> {
    const writer = this.writer;
    if (e instanceof RunEnd) {
      if (e.stop && writer) writer.append({ type: 'stopped', reason: e.stop.reason, ...(e.stop.criterion ? { criterion: e.stop.criterion } : {}), ...(e.stop.index === undefined ? {} : { index: e.stop.index }), resumable: true, ...(e.stop.data === undefined ? {} : { data: e.stop.data }) });
      if (!writer) return early(this.emit, e.message, e.hint ?? '', e.exitCode);
      const hint = e.hint ?? (e.outcome !== 'failed' ? `resume with --resume ${writer.path}${this.changed && this.req.action !== 'abort' ? `, or take the pair back with \`failover abort ${this.req.loaded.file}\`` : ''}` : undefined);
      return this.finish(e.outcome, e.exitCode, e.message, hint);
    }
    const message = errorMessage(e);
    const exitCode = e instanceof FailoverError && !this.changed ? e.exitCode : ExitCode.findings;
    if (!writer) {
      if (e instanceof FailoverError) return early(this.emit, message, e.hint ?? '', e.exitCode);
      throw e;
    }
    writer.append({ type: 'note', text: `failed: ${message}` });
    return this.finish('failed', exitCode, message, e instanceof FailoverError && e.hint ? e.hint : this.resumeHint());
  }
}

async function safeVerify(ctx: StepContext, s: ProgramStep, plan: PlanBase, outcome: OutcomeBase | undefined): Promise<Evidence> {
  try {
    return await s.module.verify(ctx, plan, outcome);
  } catch (e) {
    return { check: s.label, status: 'fail', finding: `verification could not run: ${errorMessage(e)}` };
  }
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
  // An engine-made program (abort, fence) is recorded in the transcript: a changed runbook cannot trap it.
  const ownProgram = (s as { program?: unknown }).program !== undefined;
  if (!ownProgram && s.runbook.sha256 !== req.loaded.contentHash) {
    return {
      message: `${req.loaded.file} changed since ${req.resume} began (sha256 ${s.runbook.sha256.slice(0, 12)}... then, ${req.loaded.contentHash.slice(0, 12)}... now)`,
      hint: `resume with the runbook as it was (its recorded plans belong to that version), or take the pair back with \`failover abort ${req.loaded.file}\`, which works from the transcript alone`,
    };
  }
  if (progress.lastOutcome === 'ok') return { message: `the run in ${req.resume} already finished`, hint: 'nothing to resume' };
  return undefined;
}

export type { TranscriptEntry };
