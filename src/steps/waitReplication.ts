import { formatDuration } from '../runbook/duration.js';
import { measureReplicationLag, type LagReport, type TopicFlow } from '../kafka/replicationLag.js';
import { stepParams } from '../runbook/steps.js';
import { errorMessage } from '../errors.js';
import { StepStopped, type OutcomeBase, type PlanBase, type StepContext, type StepModule } from './types.js';
import { flowNaming, producedTopics, targetTopicName } from './workload.js';

type Ctx = Pick<StepContext, 'runbook' | 'roles' | 'connection' | 'progress' | 'checkStop' | 'now' | 'sleep'>;

export interface LagSummary {
  maxLag: number;
  totalLag: number;
  /** the lagging partitions, worst first (at most 20) */
  lagging: { topic: string; partition: number; lag: number }[];
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

function summarise(r: LagReport): LagSummary {
  return {
    maxLag: r.maxLag,
    totalLag: r.totalLag,
    lagging: r.partitions
      .filter((p) => p.lag > 0)
      .sort((a, b) => b.lag - a.lag)
      .slice(0, 20)
      .map((p) => ({ topic: p.sourceTopic, partition: p.partition, lag: p.lag })),
    missingTarget: r.missingTarget,
  };
}

function flowsOf(ctx: Ctx, direction: 'forward' | 'reverse') {
  const source = direction === 'forward' ? ctx.roles.primary : ctx.roles.secondary;
  const target = direction === 'forward' ? ctx.roles.secondary : ctx.roles.primary;
  return { source, target, naming: flowNaming(ctx.runbook, source, target) };
}

async function measure(ctx: Ctx, plan: Pick<WaitReplicationPlan, 'source' | 'target' | 'flows'>): Promise<LagReport> {
  return measureReplicationLag(ctx.connection(plan.source), ctx.connection(plan.target), plan.flows, { now: ctx.now });
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
      const admin = await conn.admin();
      const existing = new Set(await conn.call('list topics', () => admin.listTopics()));
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
    let lag: LagSummary;
    try {
      lag = summarise(await measure(ctx, { source, target, flows }));
    } catch (e) {
      return { ...base, flows, summary: `cannot measure replication from ${source} to ${target}`, details: [], blocked: errorMessage(e) };
    }
    return {
      ...base,
      flows,
      lag,
      summary: `wait up to ${formatDuration(params.timeout)} until ${source}->${target} lags at most ${params.maxLagRecords} record(s) per partition (now: ${lag.totalLag} behind, worst partition ${lag.maxLag})`,
      details: [
        ...flows.map((f) => `${source}:${f.source} -> ${target}:${f.target}`),
        ...lag.lagging.map((l) => `lagging ${l.topic}-${l.partition}: ${l.lag} record(s)`),
        ...lag.missingTarget.map((t) => `${t} does not exist on ${target} yet`),
      ],
      noop: lag.maxLag <= params.maxLagRecords,
    };
  },

  async apply(ctx, plan) {
    if (plan.sourceUnreachable !== undefined) return { reached: false, waitedMs: 0, summary: `${plan.source} unreachable; nothing to wait for` };
    const started = ctx.now();
    for (;;) {
      let lag: LagSummary | undefined;
      try {
        lag = summarise(await measure(ctx, plan));
      } catch (e) {
        ctx.progress({ message: `cannot measure lag: ${errorMessage(e)}` });
      }
      const waitedMs = ctx.now() - started;
      if (lag) {
        ctx.progress({ message: `${plan.source}->${plan.target}: ${lag.totalLag} record(s) behind, worst partition ${lag.maxLag}`, data: lag });
        if (lag.maxLag <= plan.maxLagRecords) return { reached: true, waitedMs, lag, summary: `caught up in ${(waitedMs / 1000).toFixed(1)} s (worst partition ${lag.maxLag})` };
      }
      if (waitedMs >= plan.timeoutMs) {
        return { reached: false, waitedMs, ...(lag ? { lag } : {}), summary: `still ${lag?.maxLag ?? '?'} behind after ${formatDuration(plan.timeoutMs)}` };
      }
      const stop = await ctx.checkStop();
      if (stop) throw new StepStopped(stop);
      await ctx.sleep(POLL_MS);
    }
  },

  async verify(ctx, plan) {
    if (plan.sourceUnreachable !== undefined) {
      return { check: 'wait-replication', status: 'warn', finding: `${plan.source} was unreachable; records it had not replicated are not on ${plan.target}` };
    }
    const lag = summarise(await measure(ctx, plan));
    if (lag.maxLag <= plan.maxLagRecords) {
      return { check: 'wait-replication', status: 'pass', finding: `${plan.target} holds ${plan.source}'s workload up to ${lag.maxLag} record(s) per partition`, data: lag };
    }
    const worst = lag.lagging[0];
    return {
      check: 'wait-replication',
      status: 'fail',
      finding: `${plan.source}->${plan.target} still lags: ${worst ? `${worst.topic}-${worst.partition} by ${worst.lag}` : `${lag.maxLag}`} record(s) (limit ${plan.maxLagRecords})`,
      data: lag,
    };
  },
};
