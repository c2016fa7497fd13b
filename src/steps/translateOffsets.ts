import { commitOffsetsToEmptyGroup, type OffsetToCommit } from '../kafka/commitOffsets.js';
import { describeGroups, fetchGroupOffsets, mapConcurrent } from '../kafka/groups.js';
import { partitionEndsOf } from '../kafka/listOffsets.js';
import { tpKey } from '../kafka/rawProtocol.js';
import { stepParams } from '../runbook/steps.js';
import { errorMessage } from '../errors.js';
import { translateGroups, type GroupTranslation } from './offsetTranslation.js';
import type { OutcomeBase, PlanBase, StepContext, StepModule } from './types.js';
import { flowNaming } from './workload.js';

type Ctx = Pick<StepContext, 'runbook' | 'roles' | 'connection'>;

export interface GroupCommitPlan {
  group: string;
  targetState: string;
  /** per partition: the source commit, the translated offset, the replay it implies */
  partitions: {
    sourceTopic: string;
    targetTopic: string;
    partition: number;
    committed?: number;
    translated?: number;
    /** the group's offset on the target before this step */
    current?: number;
    replay?: number;
    method: string;
    note?: string;
  }[];
  commits: OffsetToCommit[];
  replay?: number;
}

export interface TranslatePlan extends PlanBase {
  direction: 'forward' | 'reverse';
  source: string;
  target: string;
  groups: GroupCommitPlan[];
  /** total replay over all groups; undefined when some partition's replay is unknown */
  replay?: number;
  sourceUnreachable?: string;
}

export interface TranslateOutcome extends OutcomeBase {
  committed: { group: string; offsets: number }[];
}

// Classic and KIP-848 group states in which the group has members.
const ACTIVE = /stable|rebalanc|assigning|reconciling/i;

function toPlan(g: GroupTranslation): GroupCommitPlan {
  return {
    group: g.group,
    targetState: g.targetState,
    partitions: g.partitions.map((p) => ({
      sourceTopic: p.sourceTopic,
      targetTopic: p.targetTopic,
      partition: p.partition,
      ...(p.committed === undefined ? {} : { committed: p.committed }),
      ...(p.status === 'translated' && p.targetOffset !== undefined ? { translated: p.targetOffset } : {}),
      ...(p.current === undefined ? {} : { current: p.current }),
      ...(p.replay === undefined ? {} : { replay: p.replay }),
      method: p.method,
      ...(p.note ?? p.reason ? { note: p.note ?? p.reason } : {}),
    })),
    commits: g.partitions.flatMap((p) => (p.status === 'translated' && p.targetOffset !== undefined ? [{ topic: p.targetTopic, partition: p.partition, offset: p.targetOffset }] : [])),
    ...(g.replay === undefined ? {} : { replay: g.replay }),
  };
}

/**
 * translate-offsets: commits each workload group's translated position on
 * the destination cluster (the secondary forward, the primary in reverse),
 * only into groups that have no members there. The plan names, per group and
 * partition, the source commit, the translated offset and the replay it
 * implies; apply commits exactly those offsets.
 */
export const translateOffsets: StepModule<'translate-offsets', TranslatePlan, TranslateOutcome, Ctx> = {
  name: 'translate-offsets',
  params: stepParams['translate-offsets'],

  async plan(ctx, params) {
    const source = params.direction === 'forward' ? ctx.roles.primary : ctx.roles.secondary;
    const target = params.direction === 'forward' ? ctx.roles.secondary : ctx.roles.primary;
    const groupNames = params.groups ?? ctx.runbook.workload.groups;
    const base = { direction: params.direction, source, target };
    if (groupNames.length === 0) return { ...base, groups: [], replay: 0, summary: 'no workload groups to translate', details: [], noop: true };
    let facts;
    try {
      facts = await translateGroups({
        runbook: ctx.runbook,
        source: ctx.connection(source),
        target: ctx.connection(target),
        naming: flowNaming(ctx.runbook, source, target),
        backNaming: flowNaming(ctx.runbook, target, source),
        groups: groupNames,
      });
    } catch (e) {
      return { ...base, groups: [], summary: `cannot translate offsets from ${source} to ${target}`, details: [], blocked: errorMessage(e) };
    }
    const groups = facts.groups.map(toPlan);
    const problems: string[] = [];
    for (const g of facts.groups) {
      if (g.error) problems.push(`group ${g.group}: cannot read its commits on ${source}: ${g.error}`);
      if (ACTIVE.test(g.targetState) || g.targetMembers > 0) {
        problems.push(`group ${g.group} has ${g.targetMembers} active member(s) on ${target} (${g.targetState}); stop its consumers there first`);
      }
      for (const p of g.partitions) {
        if (p.status !== 'translated') problems.push(`group ${g.group} ${p.sourceTopic}-${p.partition}@${p.committed ?? '?'}: no translation (${p.note ?? p.reason ?? 'unknown'})`);
      }
    }
    const replays = groups.map((g) => g.replay);
    const replay = replays.every((r) => r !== undefined) ? replays.reduce<number>((s, r) => s + (r ?? 0), 0) : undefined;
    const commits = groups.reduce((n, g) => n + g.commits.length, 0);
    const details = groups.flatMap((g) => [
      `group ${g.group} on ${target} (${g.targetState}): ${g.commits.length} offset(s), replay ${g.replay ?? '?'}`,
      ...g.partitions.map(
        (p) =>
          `  ${p.sourceTopic}-${p.partition}: ${source} ${p.committed ?? '?'} -> ${p.targetTopic}-${p.partition}: ${p.translated ?? 'none'}` +
          `${p.current !== undefined ? ` (now ${p.current})` : ''}, replay ${p.replay ?? '?'} [${p.method}${p.note ? `: ${p.note}` : ''}]`,
      ),
    ]);
    return {
      ...base,
      groups,
      ...(replay === undefined ? {} : { replay }),
      ...(facts.sourceError === undefined ? {} : { sourceUnreachable: facts.sourceError }),
      summary: `commit ${commits} translated offset(s) of ${groups.length} group(s) on ${target} (from ${source}${facts.sourceReachable ? '' : "'s checkpoints; it is unreachable"}), replay ${replay ?? 'unknown'} record(s)`,
      details,
      noop: commits === 0,
      ...(problems.length ? { blocked: problems.join('; ') } : {}),
    };
  },

  async apply(ctx, plan) {
    const conn = ctx.connection(plan.target);
    const committed: TranslateOutcome['committed'] = [];
    // Every group is checked before any is written (the broker checks again at the commit).
    const states = await describeGroups(conn, plan.groups.map((g) => g.group));
    const busy = plan.groups.filter((g) => (states.get(g.group)?.members.length ?? 0) > 0);
    if (busy.length > 0) {
      throw new Error(`group(s) ${busy.map((g) => g.group).join(', ')} have active members on ${plan.target}; nothing was committed`);
    }
    // One request per group, a few at a time; a failure leaves the plan to be applied again on resume (a commit is idempotent).
    await mapConcurrent(plan.groups, 8, async (g) => {
      await commitOffsetsToEmptyGroup(conn, g.group, g.commits);
      committed.push({ group: g.group, offsets: g.commits.length });
    });
    const n = committed.reduce((s, c) => s + c.offsets, 0);
    return { committed, summary: `committed ${n} offset(s) of ${committed.length} group(s) on ${plan.target}` };
  },

  async verify(ctx, plan) {
    const conn = ctx.connection(plan.target);
    const now = await fetchGroupOffsets(conn, plan.groups.map((g) => g.group));
    const topics = [...new Set(plan.groups.flatMap((g) => g.commits.map((c) => c.topic)))];
    const ends = await partitionEndsOf(conn, topics);
    const end = new Map([...ends.entries()].flatMap(([t, ps]) => ps.map((p) => [tpKey(t, p.partition), p.latest] as const)));
    const behind: string[] = [];
    const beyond: string[] = [];
    let moved = 0;
    for (const g of plan.groups) {
      const r = now.get(g.group);
      const got = new Map(r && 'offsets' in r ? r.offsets.map((o) => [tpKey(o.topic, o.partition), o.offset]) : []);
      for (const c of g.commits) {
        const o = got.get(tpKey(c.topic, c.partition));
        if (o === undefined || o < c.offset) behind.push(`${g.group} ${c.topic}-${c.partition}: ${o ?? 'none'} < ${c.offset}`);
        else if (o > (end.get(tpKey(c.topic, c.partition)) ?? Number.POSITIVE_INFINITY)) beyond.push(`${g.group} ${c.topic}-${c.partition}: ${o}`);
        else if (o > c.offset) moved++;
      }
    }
    if (behind.length || beyond.length) {
      return {
        check: 'translate-offsets',
        status: 'fail',
        finding: behind.length ? `${behind.length} offset(s) on ${plan.target} behind the translation, e.g. ${behind[0]}` : `${beyond.length} offset(s) beyond the data on ${plan.target}, e.g. ${beyond[0]}`,
        data: { behind, beyond },
      };
    }
    const n = plan.groups.reduce((s, g) => s + g.commits.length, 0);
    return {
      check: 'translate-offsets',
      status: 'pass',
      finding: `${n} translated offset(s) in place on ${plan.target}${moved ? ` (${moved} since moved forward by consumers or MirrorMaker 2's offset sync)` : ''}`,
      data: { offsets: n, movedForward: moved },
    };
  },
};
