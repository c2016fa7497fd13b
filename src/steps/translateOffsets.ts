import { commitOffsetsToEmptyGroup, deleteCommittedOffsets, type OffsetToCommit } from '../kafka/commitOffsets.js';
import { describeGroups, fetchGroupOffsets, groupStateText, mapConcurrent, memberText, membershipKnown, type GroupDescription } from '../kafka/groups.js';
import { partitionEndsOf } from '../kafka/listOffsets.js';
import { tpKey } from '../kafka/metadata.js';
import type { Runbook } from '../runbook/schema.js';
import { stepParams } from '../runbook/steps.js';
import { errorMessage } from '../errors.js';
import { translateGroups } from './offsetTranslation.js';
import { crashPoint } from './crashPoint.js';
import type { OutcomeBase, PlanBase, StepContext, StepModule } from './types.js';
import { flowNaming } from './workload.js';
import { toPlan, type GroupCommitPlan } from './commitPlan.js';

type Ctx = Pick<StepContext, 'runbook' | 'probe' | 'roles' | 'connection' | 'records' | 'env'>;

export type { GroupCommitPlan } from './commitPlan.js';

export interface TranslatePlan extends PlanBase {
  direction: 'forward' | 'reverse';
  source: string;
  target: string;
  groups: GroupCommitPlan[];
  /** total replay over all groups; undefined when some partition's replay is unknown */
  replay?: number;
  /** records re-read because commits move backwards, over all groups */
  rewind: number;
  /** partitions whose commit on the target stays, since the translation is behind it */
  kept: number;
  sourceUnreachable?: string;
}

export interface TranslateOutcome extends OutcomeBase {
  committed: { group: string; offsets: number }[];
}

// Classic and KIP-848 group states in which the group has members.
const ACTIVE = /stable|rebalanc|assigning|reconciling/i;

/**
 * The groups the step moves, and the workload that decides which of their
 * commits move: the runbook's (or the step's own list), and under a drill its
 * probe group with commits on the probe topic, so that the probe resumes on
 * the other cluster where it stopped, as a workload consumer would, and not
 * at offsets the link itself may or may not sync.
 */
export function movedGroups(
  ctx: Pick<Ctx, 'runbook' | 'probe'>,
  listed: readonly string[] | undefined,
): { groups: string[]; workload: Runbook['workload']; probeGroup?: string } {
  const own = [...(listed ?? ctx.runbook.workload.groups)];
  const probe = ctx.probe;
  if (!probe) return { groups: own, workload: ctx.runbook.workload };
  const workload = { ...ctx.runbook.workload, topics: [...ctx.runbook.workload.topics, probe.topic] };
  // A probe group the runbook also lists is the runbook's: it moves, and blocks, as any workload group.
  return own.includes(probe.group) ? { groups: own, workload } : { groups: [...own, probe.group], workload, probeGroup: probe.group };
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
    const { groups: groupNames, workload, probeGroup } = movedGroups(ctx, params.groups);
    const base = { direction: params.direction, source, target };
    if (groupNames.length === 0) return { ...base, groups: [], replay: 0, rewind: 0, kept: 0, summary: 'no workload groups to translate', details: [], noop: true };
    let facts;
    try {
      facts = await translateGroups({
        runbook: { link: ctx.runbook.link, workload },
        source: ctx.connection(source),
        target: ctx.connection(target),
        naming: flowNaming(ctx.runbook, source, target),
        backNaming: flowNaming(ctx.runbook, target, source),
        groups: groupNames,
      });
    } catch (e) {
      return { ...base, groups: [], rewind: 0, kept: 0, summary: `cannot translate offsets from ${source} to ${target}`, details: [], blocked: errorMessage(e) };
    }
    // What failover last committed for each group on the source (the promote, on the way back): did the group move past it there?
    const lastSent = new Map<string, Map<string, number>>();
    for (const g of groupNames) {
      const sent = await ctx.records.translated(source, g);
      if (sent) lastSent.set(g, new Map(sent.map((c) => [tpKey(c.topic, c.partition), c.offset])));
    }
    const problems: string[] = [];
    const skipped: string[] = [];
    const movable: typeof facts.groups = [];
    for (const g of facts.groups) {
      const own: string[] = [];
      if (g.error) own.push(`group ${g.group}: cannot read its commits on ${source}: ${g.error}`);
      const state = groupStateText({ state: g.targetState, ...(g.targetGroupType ? { groupType: g.targetGroupType } : {}) });
      if (ACTIVE.test(g.targetState) || g.targetMembers > 0) {
        own.push(`group ${g.group} has ${g.targetMembers} active member(s) on ${target} (${state})${g.targetMember ? `, e.g. ${g.targetMember}` : ''}; stop its consumers there first`);
      } else if (!membershipKnown({ ...(g.targetGroupType ? { groupType: g.targetGroupType } : {}) })) {
        own.push(`group ${g.group} is a ${g.targetGroupType} group on ${target}: failover cannot see its members, and commits only into consumer groups`);
      }
      for (const p of g.partitions) {
        if (p.status !== 'translated') own.push(`group ${g.group} ${p.sourceTopic}-${p.partition}@${p.committed ?? '?'}: no translation (${p.note ?? p.reason ?? 'unknown'})`);
      }
      // The drill's probe group never holds up the action it measures: left where it is, the probe resumes at its
      // own commits there, and the drill counts what it rereads. (A probe consumer that could not leave a paused
      // broker stays a member there until its session times out.)
      if (own.length > 0 && g.group === probeGroup) {
        skipped.push(`the drill's probe group ${g.group} is not moved: ${own.join('; ')}`);
        continue;
      }
      problems.push(...own);
      movable.push(g);
    }
    const groups = movable.map((g) => toPlan(g, lastSent.get(g.group)));
    const replays = groups.map((g) => g.replay);
    const replay = replays.every((r) => r !== undefined) ? replays.reduce<number>((s, r) => s + (r ?? 0), 0) : undefined;
    const commits = groups.reduce((n, g) => n + g.commits.length, 0);
    const bound = ctx.runbook.gates.offsets.maxReplayRecords;
    const rewind = groups.reduce((n, g) => n + g.partitions.reduce((m, p) => m + (p.rewind ?? 0), 0), 0);
    const kept = groups.reduce((n, g) => n + g.partitions.filter((p) => p.kept).length, 0);
    for (const g of groups) {
      const back = g.partitions.reduce((m, p) => m + (p.rewind ?? 0), 0);
      if (back > bound) problems.push(`group ${g.group}: its commits on ${target} would move back by ${back} record(s), over gates.offsets.maxReplayRecords (${bound})`);
    }
    const details = [...skipped, ...groups.flatMap((g) => [
      `group ${g.group} on ${target} (${g.targetState}): ${g.commits.length} offset(s), replay ${g.replay ?? '?'}`,
      ...g.partitions.map(
        (p) =>
          `  ${p.sourceTopic}-${p.partition}: ${source} ${p.committed ?? '?'} -> ${p.targetTopic}-${p.partition}: ${p.translated ?? 'none'}` +
          `${p.current !== undefined ? ` (now ${p.current})` : ''}${p.kept ? ' KEPT' : p.rewind ? ` BACK ${p.rewind}` : ''}, replay ${p.replay ?? '?'} [${p.method}${p.note ? `: ${p.note}` : ''}]`,
      ),
    ])];
    return {
      ...base,
      groups,
      rewind,
      kept,
      ...(replay === undefined ? {} : { replay }),
      ...(facts.sourceError === undefined ? {} : { sourceUnreachable: facts.sourceError }),
      summary: `commit ${commits} translated offset(s) of ${groups.length} group(s) on ${target} (from ${source}${facts.sourceReachable ? '' : "'s checkpoints; it is unreachable"}), replay ${replay ?? 'unknown'} record(s)${rewind ? `, of which ${rewind} by moving commits back` : ''}${kept ? `; ${kept} commit(s) kept where the translation is behind them` : ''}${skipped.length ? `; the drill's probe group ${probeGroup} stays as it is` : ''}`,
      details,
      noop: commits === 0,
      ...(problems.length ? { blocked: problems.join('; ') } : {}),
    };
  },

  async apply(ctx, plan) {
    const conn = ctx.connection(plan.target);
    const committed: TranslateOutcome['committed'] = [];
    // Every group is checked before any is written, by failover itself and naming the member: nothing is committed
    // when one has members. A member that joins after this check is refused by the broker at its commit (Kafka refuses
    // an outside commit into a group with members, UNKNOWN_MEMBER_ID, for either protocol); describing each group
    // again just before its commit would add a round trip per group inside the fence window and still leave that gap.
    const names = plan.groups.map((g) => g.group);
    const busy = refusals(await describeGroups(conn, names), names, plan.target);
    if (busy.length > 0) throw new Error(`${busy.join('; ')}; nothing was committed`);
    // One request per group, a few at a time; a failure leaves the plan to be applied again on resume (a commit is idempotent).
    // What was committed is recorded, so that the way back can tell whether a group moved on since.
    await mapConcurrent(plan.groups, 8, async (g) => {
      if (g.commits.length === 0) {
        committed.push({ group: g.group, offsets: 0 });
        return;
      }
      await commitOffsetsToEmptyGroup(conn, g.group, g.commits);
      committed.push({ group: g.group, offsets: g.commits.length });
      crashPoint('translate-offsets:between-groups', ctx.env);
    });
    for (const g of plan.groups) if (g.commits.length) await ctx.records.recordTranslated(plan.target, g.group, g.commits);
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

  undo: {
    async plan(ctx, recorded) {
      const p = recorded.plan;
      const conn = ctx.connection(p.target);
      const now = await fetchGroupOffsets(conn, p.groups.map((g) => g.group));
      const restore: UndoGroup[] = [];
      const details: string[] = [];
      for (const g of p.groups) {
        const r = now.get(g.group);
        const live = new Map(r && 'offsets' in r ? r.offsets.map((o) => [tpKey(o.topic, o.partition), o.offset]) : []);
        const u: UndoGroup = { group: g.group, commit: [], remove: [], moved: [], hadNone: g.partitions.every((x) => x.current === undefined) };
        for (const c of g.commits) {
          const before = g.partitions.find((x) => x.targetTopic === c.topic && x.partition === c.partition)?.current;
          const at = live.get(tpKey(c.topic, c.partition));
          if (at === before) continue;
          if (at !== c.offset) {
            u.moved.push(`${c.topic}-${c.partition}: ${at ?? 'none'}`);
            continue;
          }
          if (before === undefined) u.remove.push({ topic: c.topic, partition: c.partition });
          else u.commit.push({ topic: c.topic, partition: c.partition, offset: before });
        }
        if (u.commit.length || u.remove.length) restore.push(u);
        details.push(
          ...u.commit.map((c) => `group ${g.group} ${c.topic}-${c.partition}: back to ${c.offset}`),
          ...u.remove.map((c) => `group ${g.group} ${c.topic}-${c.partition}: remove the commit (there was none)`),
          ...u.moved.map((m) => `group ${g.group} ${m}: moved since the translation (consumers, or the link's offset sync); left as is`),
        );
      }
      const n = restore.reduce((s, g) => s + g.commit.length + g.remove.length, 0);
      return {
        target: p.target,
        groups: restore,
        summary: n ? `restore ${n} offset(s) of ${restore.length} group(s) on ${p.target} to what they were before the translation` : `no translated offset left to restore on ${p.target}`,
        details,
        noop: n === 0,
      } as UndoTranslatePlan;
    },
    async apply(ctx, plan) {
      const p = plan as UndoTranslatePlan;
      const conn = ctx.connection(p.target);
      const names = p.groups.map((g) => g.group);
      const busy = refusals(await describeGroups(conn, names), names, p.target);
      if (busy.length > 0) throw new Error(`${busy.join('; ')}; nothing was restored`);
      for (const g of p.groups) {
        await commitOffsetsToEmptyGroup(conn, g.group, g.commit);
        await deleteCommittedOffsets(conn, g.group, g.remove);
      }
      return { summary: `restored ${p.groups.length} group(s) on ${p.target}` };
    },
    async verify(ctx, plan) {
      const p = plan as UndoTranslatePlan;
      const now = await fetchGroupOffsets(ctx.connection(p.target), p.groups.map((g) => g.group));
      const wrong: string[] = [];
      for (const g of p.groups) {
        const r = now.get(g.group);
        const live = new Map(r && 'offsets' in r ? r.offsets.map((o) => [tpKey(o.topic, o.partition), o.offset]) : []);
        for (const c of g.commit) if (live.get(tpKey(c.topic, c.partition)) !== c.offset) wrong.push(`${g.group} ${c.topic}-${c.partition}: ${live.get(tpKey(c.topic, c.partition)) ?? 'none'}, expected ${c.offset}`);
        for (const c of g.remove) if (live.has(tpKey(c.topic, c.partition))) wrong.push(`${g.group} ${c.topic}-${c.partition}: still committed`);
      }
      return wrong.length
        ? { check: 'undo translate-offsets', status: 'fail', finding: `${wrong.length} offset(s) not as before on ${p.target}, e.g. ${wrong[0]}`, data: { wrong } }
        : { check: 'undo translate-offsets', status: 'pass', finding: `the offsets of ${p.groups.length} group(s) on ${p.target} are as before the translation` };
    },
  },
};

/**
 * Why a commit into each of `groups` on `target` is refused, by the
 * groups' descriptions: members of either protocol (named), or a kind of
 * group whose members failover cannot see. Empty when every group may be
 * written.
 */
function refusals(states: ReadonlyMap<string, GroupDescription>, groups: readonly string[], target: string): string[] {
  return groups.flatMap((group) => {
    const d = states.get(group);
    if (!d) return [];
    if (d.members.length > 0) {
      const more = d.members.length > 1 ? ` and ${d.members.length - 1} more` : '';
      return [`group ${group} has ${d.members.length} active member(s) on ${target} (${groupStateText(d)}): ${memberText(d.members[0]!)}${more}; stop its consumers there first`];
    }
    return membershipKnown(d) ? [] : [`group ${group} is a ${d.groupType} group on ${target}: failover cannot see its members, and commits only into consumer groups`];
  });
}

interface UndoGroup {
  group: string;
  commit: OffsetToCommit[];
  remove: { topic: string; partition: number }[];
  moved: string[];
  hadNone: boolean;
}

interface UndoTranslatePlan extends PlanBase {
  target: string;
  groups: UndoGroup[];
}
