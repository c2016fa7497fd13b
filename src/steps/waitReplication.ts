import { formatDuration } from '../runbook/duration.js';
import { measureReplicationLag } from '../kafka/measureReplicationLag.js';
import { describeUnknown, lagMapping, lagVerdict, type LagReport, type LagUnknown, type LagVerdict, type TopicFlow, type UnknownLag } from '../kafka/replicationLag.js';
import { stepParams } from '../runbook/steps.js';
import { errorMessage } from '../errors.js';
import { StepStopped, type OutcomeBase, type PlanBase, type StepContext, type StepModule } from './types.js';
import { flowNaming, producedTopics, targetTopicName } from './workload.js';

type Ctx = Pick<StepContext, 'runbook' | 'roles' | 'connection' | 'progress' | 'checkStop' | 'now' | 'sleep'>;

export interface LagSummary {
  /** over the partitions whose lag is known */
  maxLag: number;
  totalLag: number;
  partitions: number;
  /** the lagging partitions, worst first (at most 20) */
  lagging: { topic: string; partition: number; lag: number }[];
  /** partitions whose lag is unknown, and why (at most 20 of `unknownCount`) */
  unknown: UnknownLag[];
  unknownCount: number;
  /** nothing could be measured */
  unmeasured?: LagUnknown;
  missingTarget: string[];
}

export interface WaitReplicationPlan extends PlanBase {
  direction: 'forward' | 'reverse';
  source: string;
  target: string;
  flows: TopicFlow[];
  maxLagRecords: number;
  timeoutMs: number;
  /** the lag when planned */
  lag?: LagSummary;
  /** the source cannot be read: what it has not replicated yet is out of reach */
  sourceUnreachable?: string;
}

export interface WaitReplicationOutcome extends OutcomeBase {
  reached: boolean;
  waitedMs: number;
  lag?: LagSummary;
}

const POLL_MS = 500;

export function summariseLag(r: LagReport): LagSummary {
  return {
    maxLag: r.maxLag,
    totalLag: r.totalLag,
    partitions: r.partitions.length,
    lagging: r.partitions
      .flatMap((p) => (p.lag !== undefined && p.lag > 0 ? [{ topic: p.sourceTopic, partition: p.partition, lag: p.lag }] : []))
      .sort((a, b) => b.lag - a.lag)
      .slice(0, 20),
    unknown: r.unknown.slice(0, 20),
    unknownCount: r.unknown.length,
    ...(r.unmeasured ? { unmeasured: r.unmeasured } : {}),
    missingTarget: r.missingTarget,
  };
}

/** One line on where the flow stands: never "N behind" while a partition's lag is unknown. */
export function describeLag(flow: string, lag: LagSummary): string {
  if (lag.unmeasured) return `${flow}: lag unknown (${lag.unmeasured.reason})`;
  if (lag.unknownCount > 0) {
    return `${flow}: lag unknown for ${lag.unknownCount} of ${lag.partitions} partition(s): ${describeUnknown(lag.unknown, 2, lag.unknownCount)}; worst known partition ${lag.maxLag}`;
  }
  return `${flow}: ${lag.totalLag} record(s) behind, worst partition ${lag.maxLag}`;
}

function flowsOf(ctx: Ctx, direction: 'forward' | 'reverse') {
  const source = direction === 'forward' ? ctx.roles.primary : ctx.roles.secondary;
  const target = direction === 'forward' ? ctx.roles.secondary : ctx.roles.primary;
  return { source, target, naming: flowNaming(ctx.runbook, source, target) };
}

async function measure(ctx: Ctx, plan: Pick<WaitReplicationPlan, 'source' | 'target' | 'flows'>): Promise<{ lag: LagSummary; verdict: (maxRecords: number) => LagVerdict }> {
  const link = ctx.runbook.link;
  const mapping = lagMapping(flowNaming(ctx.runbook, plan.source, plan.target), link.kind === 'mirrormaker2' ? link.offsetSyncsLocation : 'source');
  const report = await measureReplicationLag(ctx.connection(plan.source), ctx.connection(plan.target), plan.flows, mapping, { now: ctx.now });
  return { lag: summariseLag(report), verdict: (maxRecords) => lagVerdict(report, { maxRecords }) };
}

function verdictText(v: Exclude<LagVerdict, { kind: 'within' }>): string {
  if (v.kind === 'unknown') return `unknown: ${v.reason}`;
  return `over the limit: ${v.worst.sourceTopic}-${v.worst.partition} lags ${v.worst.lag} record(s)`;
}

/**
 * wait-replication: waits until every workload partition's copy on the
 * target is within `maxLagRecords` of its source, reporting the lag as it
 * goes, for at most `timeout`; stop criteria are checked at every poll.
 */
export const waitReplication: StepModule<'wait-replication', WaitReplicationPlan, WaitReplicationOutcome, Ctx> = {
  name: 'wait-replication',
  params: stepParams['wait-replication'],

  async plan(ctx, params) {
    const { source, target, naming } = flowsOf(ctx, params.direction);
    const base = { direction: params.direction, source, target, maxLagRecords: params.maxLagRecords, timeoutMs: params.timeout };
    let flows: TopicFlow[];
    try {
      const conn = ctx.connection(source);
      const existing = new Set(await conn.topicNames());
      flows = producedTopics(ctx.runbook, [...existing]).filter((t) => existing.has(t)).map((t) => ({ source: t, target: targetTopicName(naming, t) }));
    } catch (e) {
      return {
        ...base,
        flows: [],
        sourceUnreachable: errorMessage(e),
        summary: `${source} cannot be read: records it has not replicated to ${target} cannot be waited for`,
        details: [],
        noop: true,
      };
    }
    let m: Awaited<ReturnType<typeof measure>>;
    try {
      m = await measure(ctx, { source, target, flows });
    } catch (e) {
      return { ...base, flows, summary: `cannot measure replication from ${source} to ${target}`, details: [], blocked: errorMessage(e) };
    }
    const { lag } = m;
    if (lag.unmeasured) return { ...base, flows, lag, summary: `cannot measure replication from ${source} to ${target}`, details: [], blocked: lag.unmeasured.reason };
    const now = lag.unknownCount > 0 ? `unknown for ${lag.unknownCount} of ${lag.partitions} partition(s)` : `${lag.totalLag} behind, worst partition ${lag.maxLag}`;
    return {
      ...base,
      flows,
      lag,
      summary: `wait up to ${formatDuration(params.timeout)} until ${source}->${target} lags at most ${params.maxLagRecords} record(s) per partition (now: ${now})`,
      details: [
        ...flows.map((f) => `${source}:${f.source} -> ${target}:${f.target}`),
        ...lag.lagging.map((l) => `lagging ${l.topic}-${l.partition}: ${l.lag} record(s)`),
        ...lag.unknown.map((u) => `lag of ${u.topic}-${u.partition} unknown: ${u.reason}`),
        ...lag.missingTarget.map((t) => `${t} does not exist on ${target} yet`),
      ],
      noop: m.verdict(params.maxLagRecords).kind === 'within',
    };
  },

  async apply(ctx, plan) {
    if (plan.sourceUnreachable !== undefined) return { reached: false, waitedMs: 0, summary: `${plan.source} unreachable; nothing to wait for` };
    const started = ctx.now();
    const flow = `${plan.source}->${plan.target}`;
    for (;;) {
      let lag: LagSummary | undefined;
      let why: string;
      try {
        const m = await measure(ctx, plan);
        lag = m.lag;
        const v = m.verdict(plan.maxLagRecords);
        ctx.progress({ message: describeLag(flow, lag), data: lag });
        if (v.kind === 'within') return { reached: true, waitedMs: ctx.now() - started, lag, summary: `caught up in ${((ctx.now() - started) / 1000).toFixed(1)} s (worst partition ${lag.maxLag})` };
        why = v.kind === 'unknown' ? `lag unknown (${v.reason})` : `${lag.maxLag} behind`;
      } catch (e) {
        why = `lag unknown (${errorMessage(e)})`;
        ctx.progress({ message: `${flow}: ${why}` });
      }
      const waitedMs = ctx.now() - started;
      if (waitedMs >= plan.timeoutMs) return { reached: false, waitedMs, ...(lag ? { lag } : {}), summary: `still ${why} after ${formatDuration(plan.timeoutMs)}` };
      const stop = await ctx.checkStop();
      if (stop) throw new StepStopped(stop);
      await ctx.sleep(POLL_MS);
    }
  },

  async verify(ctx, plan) {
    if (plan.sourceUnreachable !== undefined) {
      return { check: 'wait-replication', status: 'warn', finding: `${plan.source} was unreachable; records it had not replicated are not on ${plan.target}` };
    }
    const { lag, verdict } = await measure(ctx, plan);
    const v = verdict(plan.maxLagRecords);
    if (v.kind === 'within') {
      return { check: 'wait-replication', status: 'pass', finding: `${plan.target} holds ${plan.source}'s workload up to ${lag.maxLag} record(s) per partition`, data: lag };
    }
    return {
      check: 'wait-replication',
      status: 'fail',
      finding: `${plan.source}->${plan.target} lag is ${verdictText(v)} (limit ${plan.maxLagRecords} record(s) per partition)`,
      data: lag,
    };
  },
};
