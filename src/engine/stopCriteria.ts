import { errorMessage } from '../errors.js';
import { lagVerdict, type LagReport, type LagUnknown, type LagVerdict, type UnknownLag } from '../kafka/replicationLag.js';
import type { StopWhen } from '../runbook/schema.js';
import type { StopSignal } from '../steps/types.js';

/**
 * The action's stop criteria, checked between steps and while steps wait.
 * Lag is measured at most every `everyMs` (a wait loop polls faster than
 * that).
 *
 * A lag that cannot be measured (the measurement failed, or some partition's
 * lag is unknown) is never taken for zero: the configured lag criterion
 * fires, saying the lag cannot be measured. `measure` resolving to
 * undefined means lag does not apply to this action (nothing fires), so a
 * measurement that fails must reject or report its unknowns, never resolve
 * to undefined.
 */
export type LagMeasure = (seconds: boolean) => Promise<LagReport | undefined>;

/** What one measurement gave: a report or an error; undefined when lag does not apply. */
export type MeasuredLag = { kind: 'report'; report: LagReport } | { kind: 'error'; error: string } | undefined;

export class StopCriteria {
  private last: { at: number; lag: MeasuredLag } | undefined;

  constructor(
    private readonly spec: StopWhen | undefined,
    private readonly startedAt: number,
    private readonly measure: LagMeasure,
    private readonly signal: AbortSignal | undefined,
    private readonly now: () => number = Date.now,
    private readonly everyMs = 2000,
  ) {}

  async check(): Promise<StopSignal | undefined> {
    if (this.signal?.aborted) return { kind: 'interrupt', reason: 'interrupted (Ctrl-C)' };
    const spec = this.spec;
    if (!spec) return undefined;
    const ranMs = this.now() - this.startedAt;
    if (ranMs > (spec.maxDuration ?? Infinity)) {
      return { kind: 'criterion', criterion: 'maxDuration', reason: `the action has run longer than ${Math.round(spec.maxDuration! / 1000)} s`, data: { ranMs } };
    }
    if (spec.lagRecordsAbove === undefined && spec.lagSecondsAbove === undefined) return undefined;
    if (!this.last || this.now() - this.last.at >= this.everyMs) {
      let lag: MeasuredLag;
      try {
        const report = await this.measure(spec.lagSecondsAbove !== undefined);
        // Stryker disable next-line StringLiteral: evaluate tells a report from an error by kind 'error' alone
        lag = report === undefined ? undefined : { kind: 'report', report };
      } catch (e) {
        lag = { kind: 'error', error: errorMessage(e) };
      }
      this.last = { at: this.now(), lag };
    }
    return evaluate(spec, this.last.lag);
  }
}

/** Which criterion a lag measurement trips, if any. Pure, so it is tested without a cluster. */
export function evaluate(spec: StopWhen, lag: MeasuredLag): StopSignal | undefined {
  const records = spec.lagRecordsAbove;
  const seconds = spec.lagSecondsAbove;
  if ((records === undefined && seconds === undefined) || lag === undefined) return undefined;
  return lag.kind === 'error' ? unmeasurable(spec, true, lag.error, { error: lag.error }) : judged(spec, lag.report);
}

function judged(spec: StopWhen, report: LagReport): StopSignal | undefined {
  const verdict = lagVerdict(report, { maxRecords: spec.lagRecordsAbove, maxMs: spec.lagSecondsAbove === undefined ? undefined : spec.lagSecondsAbove * 1000 });
  if (verdict.kind === 'over') return over(spec, report, verdict);
  if (verdict.kind === 'unknown') {
    const recordsUnknown = report.unmeasured !== undefined || verdict.unknown.some((u) => u.of === 'records');
    return unmeasurable(spec, recordsUnknown, verdict.reason, { unknown: verdict.unknown, ...(report.unmeasured ? { unmeasured: report.unmeasured } : {}) });
  }
  return undefined;
}

function over(spec: StopWhen, report: LagReport, verdict: Extract<LagVerdict, { kind: 'over' }>): StopSignal {
  if (verdict.by === 'records') {
    const w = verdict.worst;
    return { kind: 'criterion', criterion: 'lagRecordsAbove', reason: `replication lag ${w.lag} records on ${w.sourceTopic}-${w.partition} exceeds ${spec.lagRecordsAbove}`, data: { maxLag: report.maxLag } };
  }
  const w = verdict.worst;
  return { kind: 'criterion', criterion: 'lagSecondsAbove', reason: `replication lag ${(w.lagMs / 1000).toFixed(1)} s on ${w.sourceTopic}-${w.partition} exceeds ${spec.lagSecondsAbove} s`, data: { maxLagMs: w.lagMs } };
}

/**
 * The criterion that fires when lag cannot be measured: the records bound
 * when it is set and records are what is unknown (with only a records bound,
 * they always are), else the seconds bound.
 */
function unmeasurable(spec: StopWhen, recordsUnknown: boolean, why: string, data: { error?: string; unknown?: UnknownLag[]; unmeasured?: LagUnknown }): StopSignal {
  const byRecords = spec.lagRecordsAbove !== undefined && recordsUnknown;
  const bound = byRecords ? `${spec.lagRecordsAbove} records` : `${spec.lagSecondsAbove} s`;
  return {
    kind: 'criterion',
    criterion: byRecords ? 'lagRecordsAbove' : 'lagSecondsAbove',
    reason: `replication lag cannot be measured, so it cannot be shown to stay within ${bound}: ${why}`,
    data: { unmeasurable: true, ...data },
  };
}
