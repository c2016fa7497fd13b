import { errorMessage } from '../errors.js';
import { lagVerdict, type LagReport, type LagUnknown, type UnknownLag } from '../kafka/replicationLag.js';
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

/** What one measurement gave: a report, an error, or "lag does not apply". */
export type MeasuredLag = { kind: 'report'; report: LagReport } | { kind: 'error'; error: string } | { kind: 'not-applicable' };

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
    if (spec.maxDuration !== undefined && this.now() - this.startedAt > spec.maxDuration) {
      return { kind: 'criterion', criterion: 'maxDuration', reason: `the action has run longer than ${Math.round(spec.maxDuration / 1000)} s`, data: { ranMs: this.now() - this.startedAt } };
    }
    if (spec.lagRecordsAbove === undefined && spec.lagSecondsAbove === undefined) return undefined;
    if (!this.last || this.now() - this.last.at >= this.everyMs) {
      let lag: MeasuredLag;
      try {
        const report = await this.measure(spec.lagSecondsAbove !== undefined);
        lag = report === undefined ? { kind: 'not-applicable' } : { kind: 'report', report };
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
  if ((records === undefined && seconds === undefined) || lag.kind === 'not-applicable') return undefined;
  if (lag.kind === 'error') return unmeasurable(spec, 'records', lag.error, { error: lag.error });
  const verdict = lagVerdict(lag.report, { ...(records === undefined ? {} : { maxRecords: records }), ...(seconds === undefined ? {} : { maxMs: seconds * 1000 }) });
  switch (verdict.kind) {
    case 'within':
      return undefined;
    case 'over':
      if (verdict.by === 'records') {
        const w = verdict.worst;
        return {
          kind: 'criterion',
          criterion: 'lagRecordsAbove',
          reason: `replication lag ${w.lag} records on ${w.sourceTopic}-${w.partition} exceeds ${records}`,
          data: { maxLag: lag.report.maxLag },
        };
      } else {
        const w = verdict.worst;
        return {
          kind: 'criterion',
          criterion: 'lagSecondsAbove',
          reason: `replication lag ${(w.lagMs / 1000).toFixed(1)} s on ${w.sourceTopic}-${w.partition} exceeds ${seconds} s`,
          data: { maxLagMs: w.lagMs },
        };
      }
    case 'unknown': {
      const of = verdict.unknown.some((u) => u.of === 'records') || lag.report.unmeasured ? 'records' : 'seconds';
      return unmeasurable(spec, of, verdict.reason, { unknown: verdict.unknown, ...(lag.report.unmeasured ? { unmeasured: lag.report.unmeasured } : {}) });
    }
  }
}

/** The criterion that fires when lag cannot be measured: the records bound when set (and records are what is unknown), else the seconds bound. */
function unmeasurable(spec: StopWhen, of: 'records' | 'seconds', why: string, data: { error?: string; unknown?: UnknownLag[]; unmeasured?: LagUnknown }): StopSignal {
  const byRecords = spec.lagRecordsAbove !== undefined && (of === 'records' || spec.lagSecondsAbove === undefined);
  const bound = byRecords ? `${spec.lagRecordsAbove} records` : `${spec.lagSecondsAbove} s`;
  return {
    kind: 'criterion',
    criterion: byRecords ? 'lagRecordsAbove' : 'lagSecondsAbove',
    reason: `replication lag cannot be measured, so it cannot be shown to stay within ${bound}: ${why}`,
    data: { unmeasurable: true, ...data },
  };
}
