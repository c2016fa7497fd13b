import type { LagReport } from '../kafka/replicationLag.js';
import type { StopWhen } from '../runbook/schema.js';
import type { StopSignal } from '../steps/types.js';

/**
 * The action's stop criteria, checked between steps and while steps wait.
 * Lag is measured at most every `everyMs` (a wait loop polls faster than
 * that); a measurement that fails (a cluster down) fires nothing.
 */
export class StopCriteria {
  private last: { at: number; report?: LagReport } | undefined;

  constructor(
    private readonly spec: StopWhen | undefined,
    private readonly startedAt: number,
    private readonly measure: (seconds: boolean) => Promise<LagReport>,
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
      let report: LagReport | undefined;
      try {
        report = await this.measure(spec.lagSecondsAbove !== undefined);
      } catch {
        report = undefined;
      }
      this.last = { at: this.now(), ...(report ? { report } : {}) };
    }
    return evaluate(spec, this.last.report);
  }
}

/** Which criterion a lag report trips, if any. Pure, so it is tested without a cluster. */
export function evaluate(spec: StopWhen, report: LagReport | undefined): StopSignal | undefined {
  if (!report) return undefined;
  if (spec.lagRecordsAbove !== undefined && report.maxLag > spec.lagRecordsAbove) {
    const worst = report.partitions.reduce((a, b) => (b.lag > a.lag ? b : a));
    return {
      kind: 'criterion',
      criterion: 'lagRecordsAbove',
      reason: `replication lag ${report.maxLag} records on ${worst.sourceTopic}-${worst.partition} exceeds ${spec.lagRecordsAbove}`,
      data: { maxLag: report.maxLag },
    };
  }
  if (spec.lagSecondsAbove !== undefined && report.maxLagMs !== undefined && report.maxLagMs > spec.lagSecondsAbove * 1000) {
    const worst = report.partitions.reduce((a, b) => ((b.lagMs ?? 0) > (a.lagMs ?? 0) ? b : a));
    return {
      kind: 'criterion',
      criterion: 'lagSecondsAbove',
      reason: `replication lag ${(report.maxLagMs / 1000).toFixed(1)} s on ${worst.sourceTopic}-${worst.partition} exceeds ${spec.lagSecondsAbove} s`,
      data: { maxLagMs: report.maxLagMs },
    };
  }
  return undefined;
}
