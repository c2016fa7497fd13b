import type { ActionPlan, EngineEvent } from '../engine/types.js';
import { ExitCode, type ExitCodeValue } from '../errors.js';
import { redact } from '../runbook/secrets.js';
import { formatDuration } from '../runbook/duration.js';
import { errColours } from '../ui/colour.js';

/**
 * Human rendering of plans and of an action as it runs. Everything passes
 * through the process-wide redactor: a secret the runbook brought in never
 * reaches the terminal, whatever a command printed.
 */
type Write = (line: string) => void;

const DETAIL_LINES = 40;

export function renderPlan(plan: ActionPlan, write: Write, opts: { verbose?: boolean } = {}): void {
  const c = errColours();
  const w = (s: string) => write(redact(s));
  const r = plan.phase.roles;
  w(c.bold(`${plan.action} of ${plan.runbook.name}`) + c.dim(` (${plan.runbook.file})`));
  w(`phase: ${plan.phase.phase}, ${r.primary} primary, ${r.secondary} secondary${plan.phase.recorded ? '' : c.dim(' (nothing on the clusters yet: the runbook roles)')}`);
  for (const u of plan.unreachable) w(c.yellow(`unreachable: ${u.cluster}: ${u.error}`));
  for (const l of plan.lock) w(c.yellow(`locked on ${l.cluster} by ${l.holder.operator}@${l.holder.host} (${l.holder.action} since ${l.holder.startedAt})`));
  if (!plan.canStart.ok) w(c.red(`would not start: ${plan.canStart.reason}`) + (plan.canStart.hint ? c.dim(` (${plan.canStart.hint})`) : ''));
  if (plan.requires.length) w(`requires: ${plan.requires.join(', ')} (checked when the action starts)`);
  const stop = plan.stopWhen;
  if (stop) {
    const parts = [
      stop.lagSecondsAbove !== undefined ? `lag above ${stop.lagSecondsAbove} s` : '',
      stop.lagRecordsAbove !== undefined ? `lag above ${stop.lagRecordsAbove} records` : '',
      stop.maxDuration !== undefined ? `after ${formatDuration(stop.maxDuration)}` : '',
    ].filter(Boolean);
    if (parts.length) w(`stops when: ${parts.join(', ')}`);
  }
  const n = plan.steps.length;
  for (const s of plan.steps) {
    const head = `${s.index + 1}/${n} ${s.type}`;
    if (s.done) {
      w(`${c.green('done')} ${head}`);
      continue;
    }
    if (s.error !== undefined) {
      w(`${c.red('!!')} ${head}: cannot be planned: ${s.error}`);
      continue;
    }
    const p = s.plan!;
    w(`${p.blocked ? c.red('!!') : p.noop ? c.dim('--') : c.cyan('->')} ${head}: ${p.summary}`);
    if (p.blocked) w(c.red(`     blocked: ${p.blocked}`));
    const details = opts.verbose ? p.details : p.details.slice(0, DETAIL_LINES);
    for (const d of details) w(`     ${d}`);
    if (details.length < p.details.length) w(c.dim(`     ... ${p.details.length - details.length} more (--json shows all)`));
  }
  if (plan.provisional) w(c.dim('later steps are planned from the pair as it is now; each is planned again just before it runs'));
}

/** An event sink for a running action, writing to stderr. Progress lines are rate-limited off a terminal. */
export function eventPrinter(write: Write, opts: { tty: boolean }): (e: EngineEvent) => void {
  const c = errColours();
  const w = (s: string) => write(redact(s));
  let lastProgress = 0;
  return (e) => {
    switch (e.type) {
      case 'started':
        w(c.dim(`${e.resumed ? 'resuming' : 'transcript'}: ${e.transcript}`));
        break;
      case 'locked':
        w(c.dim(`lock taken on ${e.clusters.join(', ')}`) + (e.declaredDown.length ? c.yellow(`; declared down: ${e.declaredDown.join(', ')}`) : ''));
        break;
      case 'gate': {
        const colour = e.result.score === 0 ? c.red : e.result.score === 1 ? c.yellow : c.green;
        w(`gate ${e.result.gate}: ${colour(`score ${e.result.score}`)} ${e.result.keyFinding}${e.overridden !== undefined ? c.yellow(` (overridden: ${e.overridden})`) : ''}`);
        break;
      }
      case 'plan':
        renderPlan(e.plan, write);
        break;
      case 'phase':
        w(c.dim(`phase -> ${e.phase}`));
        break;
      case 'step': {
        const head = `${e.index + 1}. ${e.step}`;
        if (e.stage === 'planned') {
          w(`${c.cyan('->')} ${head}: ${e.summary}`);
        } else if (e.stage === 'applied') {
          w(`   applied: ${e.summary}`);
        } else {
          const st = e.evidence?.status ?? 'pass';
          const mark = st === 'fail' ? c.red('FAIL') : st === 'warn' ? c.yellow('warn') : c.green('ok');
          w(`   ${e.stage === 'reverified' ? 'still holds' : 'verified'}: ${mark} ${e.summary}`);
        }
        break;
      }
      case 'progress': {
        const now = Date.now();
        if (!opts.tty && now - lastProgress < 2000) break;
        lastProgress = now;
        w(c.dim(`   ${e.message}`));
        break;
      }
      case 'note':
        w(c.dim(e.text));
        break;
      case 'finished':
        if (e.outcome === 'ok') w(c.green(e.message ?? 'done'));
        else if (e.outcome !== 'dry-run') {
          w(`${e.outcome === 'failed' ? c.red('error:') : c.yellow(`${e.outcome}:`)} ${e.message ?? e.outcome}`);
          if (e.hint) w(`${c.dim('hint:')} ${e.hint}`);
        }
        if (e.transcript) w(c.dim(`transcript: ${e.transcript}`));
        break;
    }
  };
}

/** A plan's exit code: 1 when the phase refuses the action or a step cannot be planned or is blocked. */
export function planExit(plan: { canStart: { ok: boolean }; steps: { error?: string; plan?: { blocked?: string } }[] }): ExitCodeValue {
  if (!plan.canStart.ok) return ExitCode.findings;
  return plan.steps.some((s) => s.error !== undefined || s.plan?.blocked !== undefined) ? ExitCode.findings : ExitCode.ok;
}
