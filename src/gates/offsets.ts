import { reasonText, type PartitionTranslation } from '../kafka/translateOffsets.js';
import { groupStateText, memberText, membershipKnown } from '../kafka/groups.js';
import type { GateContext } from './context.js';
import { fail, listSome, pass, plural, skip, warn } from './evidence.js';
import { offsetAnalysis, type OffsetAnalysis } from './offsetAnalysis.js';
import type { Evidence } from './types.js';

/**
 * Will consumers resume on the secondary near where they stopped, and how
 * much would a switch now lose? With the primary down, the checks that need
 * only the secondary (checkpoints, members, the RPO bound) still run.
 */
export async function offsetsGate(ctx: GateContext): Promise<Evidence[]> {
  const a = await offsetAnalysis(ctx);
  return [lag(ctx, a), rpo(ctx, a), translation(ctx, a), freshness(ctx, a), replay(ctx, a), beyondEnd(ctx, a), activeMembers(ctx, a)];
}

const tp = (topic: string, partition: number) => `${topic}-${partition}`;

/**
 * Lag within the runbook's bounds on every partition, measured through the
 * link's offset mapping. A partition whose lag is unknown fails the check
 * (a switch could lose what cannot be counted); one whose count is known
 * and within bound but whose age is unknown is a warning. The evidence
 * keeps why each partition is unknown (`unknown.kind`: the source
 * unreachable, no mapping, or a read error).
 */
function lag(ctx: GateContext, a: OffsetAnalysis): Evidence {
  const t = ctx.runbook.gates.offsets;
  const thresholds = { maxLagRecords: t.maxLagRecords, maxLagSeconds: t.maxLagSeconds };
  if (!a.lag.ok) {
    const status = ctx.primary.reachable ? fail : skip;
    return status('offsets.lag', `replication lag not measured: ${a.lag.error}`, {
      data: { thresholds, unknown: a.lag.unknown },
      hint: ctx.primary.reachable ? undefined : 'lag needs the primary; see offsets.rpo for what a switch now would lose',
    });
  }
  const rows = a.lag.rows;
  const data = { thresholds, partitions: rows };
  const over = rows.filter((r) => r.lagRecords !== undefined && (r.lagRecords > t.maxLagRecords || (r.lagSeconds !== undefined && r.lagSeconds > t.maxLagSeconds)));
  const unknown = rows.filter((r) => r.unknown);
  if (over.length || unknown.length) {
    const parts = [
      ...(over.length
        ? [`replication lag over bound (${t.maxLagRecords} records, ${t.maxLagSeconds} s): ${listSome(over.map((r) => `${tp(r.primaryTopic, r.partition)} lags ${r.lagRecords} records${r.lagSeconds === undefined ? '' : ` / ${r.lagSeconds.toFixed(1)} s`}${r.secondaryEnd === undefined ? ` (missing on ${ctx.secondary.name})` : ''}`))}`]
        : []),
      ...(unknown.length ? [`lag unknown for ${plural(unknown.length, 'partition')}: ${listSome(unknown.map((r) => `${tp(r.primaryTopic, r.partition)} (${r.unknown!.reason})`), 2)}`] : []),
    ];
    return fail('offsets.lag', parts.join('; '), {
      data,
      hint: unknown.length
        ? 'lag is measured through MirrorMaker 2 offset syncs (identical offsets for an offset-preserving link); check that MirrorMaker 2 runs and replicates these topics (`failover lab status` in the lab)'
        : 'check the link (is MirrorMaker 2 running? `failover lab status` in the lab); a switch now would lose the unreplicated records',
    });
  }
  const maxRec = Math.max(0, ...rows.map((r) => r.lagRecords ?? 0));
  const ageUnknown = rows.filter((r) => r.secondsUnknown);
  if (ageUnknown.length) {
    return warn(
      'offsets.lag',
      `lag within ${t.maxLagRecords} records on ${plural(rows.length, 'partition')} (at most ${maxRec}), but the age of the unreplicated records is unknown for ${listSome(ageUnknown.map((r) => `${tp(r.primaryTopic, r.partition)} (${r.secondsUnknown!.reason})`), 2)}`,
      { data },
    );
  }
  const maxSec = Math.max(0, ...rows.map((r) => r.lagSeconds ?? 0));
  return pass('offsets.lag', `lag within bound on ${plural(rows.length, 'partition')}: at most ${maxRec} records, ${maxSec.toFixed(1)} s`, { data });
}

/**
 * The RPO bound: per partition, the newest record that made it to the
 * secondary. Whatever the primary took after that is lost if we switch now.
 */
function rpo(ctx: GateContext, a: OffsetAnalysis): Evidence {
  if (!a.rpo.ok) return skip('offsets.rpo', `RPO bound not measured: ${a.rpo.error}`, { blocking: false });
  const rows = a.rpo.rows;
  const withData = rows.filter((r) => r.ageSeconds !== undefined);
  const worstRow = withData.reduce<(typeof rows)[number] | undefined>((m, r) => (m === undefined || r.ageSeconds! > m.ageSeconds! ? r : m), undefined);
  const hb = a.heartbeatAgeSeconds === undefined ? '' : `; replication heartbeat ${a.heartbeatAgeSeconds.toFixed(1)} s old`;
  const data = { partitions: rows, heartbeatAgeSeconds: a.heartbeatAgeSeconds, primaryReachable: ctx.primary.reachable };
  const status = ctx.primary.reachable ? pass : warn;
  if (!worstRow) {
    return status('offsets.rpo', `no replicated record on ${ctx.secondary.name} yet (${plural(rows.length, 'partition')})${hb}`, { data, blocking: false });
  }
  const bound = `switching now loses at most ${worstRow.ageSeconds!.toFixed(1)} s of events`;
  const newest = `oldest newest-replicated record: ${tp(worstRow.secondaryTopic, worstRow.partition)} offset ${worstRow.offset} at ${new Date(worstRow.timestamp!).toISOString()}`;
  const lead = ctx.primary.reachable ? '' : `primary ${ctx.primary.name} unreachable; `;
  return status('offsets.rpo', `${lead}${bound} (${newest})${hb}`, {
    data,
    blocking: false,
    ...(ctx.primary.reachable ? {} : { hint: 'the bound assumes the primary took writes until now; partitions with no recent writes overstate it' }),
  });
}

function describeNone(t: PartitionTranslation): string {
  return `${t.group} ${tp(t.sourceTopic, t.partition)}${t.committed === undefined ? '' : ` (committed ${t.committed})`}: ${t.reason ? reasonText(t.reason) : 'no translation'}`;
}

function translation(ctx: GateContext, a: OffsetAnalysis): Evidence {
  const { primary: P, secondary: S, workload } = ctx;
  const mm2 = ctx.runbook.link.kind === 'mirrormaker2';
  if (workload.groups.length === 0) return skip('offsets.translation', 'no workload groups in the runbook: no offsets to translate', { hint: 'list the consumer groups under workload.groups' });
  if (!S.reachable) return fail('offsets.translation', `secondary ${S.name} unreachable: nothing can be translated there (${S.error})`);
  const list = a.translations;
  const data = { link: ctx.runbook.link.kind, translations: list, checkpoints: a.checkpoints?.ok ? { topic: a.checkpoints.topic, exists: a.checkpoints.exists, count: a.checkpoints.count } : a.checkpoints };
  if (mm2 && a.checkpoints && !a.checkpoints.ok) return fail('offsets.translation', `checkpoints on ${S.name} could not be read: ${a.checkpoints.error}`, { data });
  if (!a.commits.ok) {
    // The primary is down: judge what the secondary holds.
    const groupsWith = new Set(list.map((t) => t.group));
    const without = workload.groups.filter((g) => !groupsWith.has(g));
    const usable = list.filter((t) => t.status === 'translated').length;
    const lead = `primary ${P.name} unreachable (${a.commits.error}): commits cannot be read`;
    if (!mm2) return skip('offsets.translation', `${lead}; an offset-preserving link carries the committed offsets as they are`, { data });
    return warn(
      'offsets.translation',
      `${lead}; ${plural(usable, 'checkpointed partition')} usable on ${S.name}${without.length ? `, no checkpoint for ${listSome(without)}` : ''}`,
      { data, hint: 'without the primary, the newest checkpoints are the best translation there is' },
    );
  }
  const commitErrors = a.commits.groups.filter((g) => g.error);
  if (commitErrors.length) {
    return fail('offsets.translation', `commits of ${listSome(commitErrors.map((g) => `${g.group} (${g.error})`))} could not be read on ${P.name}`, { data });
  }
  const none = list.filter((t) => t.status === 'none');
  if (none.length) {
    return fail('offsets.translation', `no translation on ${S.name} for ${listSome(none.map(describeNone), 2)}`, {
      data,
      hint: mm2 ? 'MirrorMaker 2 checkpoints a group every emit.checkpoints.interval.seconds once it has offset syncs; check that the group matches its groups filter' : undefined,
    });
  }
  const idle = a.commits.groups.filter((g) => g.commits.length === 0).map((g) => g.group);
  const byTimestamp = list.filter((t) => t.method === 'timestamp');
  const unknown = list.filter((t) => t.note?.startsWith('the commit on the source could not be read'));
  const groups = a.commits.groups.filter((g) => g.commits.length > 0).map((g) => g.group);
  const method = mm2 ? 'a checkpoint' : 'an identical offset';
  if (byTimestamp.length) {
    return warn('offsets.translation', `${plural(byTimestamp.length, 'partition')} translated by timestamp only: ${listSome(byTimestamp.map(describeNone), 2)}`, {
      data,
      hint: 'the timestamp fallback replays rather than skips; a fresh checkpoint is more precise',
    });
  }
  if (idle.length || unknown.length) {
    return warn('offsets.translation', `${idle.length ? `no commits on ${P.name} for ${listSome(idle)}` : ''}${idle.length && groups.length ? '; ' : ''}${groups.length ? `every committed offset of ${listSome(groups)} has ${method}` : ''}`, {
      data,
      hint: idle.length ? 'a group that never committed starts where auto.offset.reset says on the secondary' : undefined,
    });
  }
  return pass('offsets.translation', `every committed offset of ${listSome(groups)} (${plural(list.length, 'partition')}) has ${method} on ${S.name}`, { data });
}

function freshness(ctx: GateContext, a: OffsetAnalysis): Evidence {
  const max = ctx.runbook.gates.offsets.checkpointMaxAgeSeconds;
  if (ctx.runbook.link.kind !== 'mirrormaker2') return pass('offsets.checkpoint-freshness', 'an offset-preserving link needs no checkpoints');
  const rows = a.translations
    .filter((t) => t.checkpoint)
    .map((t) => ({
      group: t.group,
      topic: t.targetTopic,
      partition: t.partition,
      committed: t.committed,
      checkpointUpstream: t.checkpoint!.upstreamOffset,
      ageSeconds: Math.max(0, (ctx.now - t.checkpoint!.writtenAt) / 1000),
      current: t.committed !== undefined && t.checkpoint!.upstreamOffset === t.committed,
    }));
  // Current checkpoints are counted, not listed: the translations already carry them.
  const data = { maxAgeSeconds: max, current: rows.filter((r) => r.current).length, notCurrent: rows.filter((r) => !r.current) };
  if (rows.length === 0) return skip('offsets.checkpoint-freshness', 'no checkpoint of a workload group to judge', { data });
  const stale = rows.filter((r) => !r.current && r.committed !== undefined && r.ageSeconds > max);
  if (stale.length) {
    return fail(
      'offsets.checkpoint-freshness',
      `stale checkpoints: ${listSome(stale.map((r) => `${r.group} ${tp(r.topic, r.partition)} translates ${r.checkpointUpstream} but the commit is ${r.committed}, ${Math.round(r.ageSeconds)} s old`), 2)}`,
      { data, hint: `MirrorMaker 2 should checkpoint within emit.checkpoints.interval.seconds; bound ${max} s (gates.offsets.checkpointMaxAgeSeconds)` },
    );
  }
  const behind = rows.filter((r) => !r.current && r.committed !== undefined);
  if (behind.length) {
    return warn('offsets.checkpoint-freshness', `${plural(behind.length, 'checkpoint')} not yet at the commit (at most ${Math.round(Math.max(...behind.map((r) => r.ageSeconds)))} s old): ${listSome(behind.map((r) => `${r.group} ${tp(r.topic, r.partition)}`), 2)}`, { data });
  }
  const unknown = rows.filter((r) => r.committed === undefined);
  if (unknown.length) {
    const old = unknown.filter((r) => r.ageSeconds > max);
    return warn(
      'offsets.checkpoint-freshness',
      `commits unknown (${ctx.primary.name} unreachable); ${old.length ? `${plural(old.length, 'checkpoint')} older than ${max} s` : `every checkpoint within ${max} s`}`,
      { data },
    );
  }
  return pass('offsets.checkpoint-freshness', `${plural(rows.length, 'checkpoint')} translate the current commits`, { data });
}

function replay(ctx: GateContext, a: OffsetAnalysis): Evidence {
  const max = ctx.runbook.gates.offsets.maxReplayRecords;
  if (!a.commits.ok) return skip('offsets.replay', `expected replay not estimated: ${a.commits.error}`);
  const perGroup = new Map<string, { replay: number; unknown: number; partitions: number }>();
  for (const t of a.translations) {
    if (t.status !== 'translated') continue;
    const g = perGroup.get(t.group) ?? { replay: 0, unknown: 0, partitions: 0 };
    g.partitions++;
    if (t.replay === undefined) g.unknown++;
    else g.replay += t.replay;
    perGroup.set(t.group, g);
  }
  const rows = [...perGroup.entries()].map(([group, v]) => ({ group, ...v }));
  const data = { maxReplayRecords: max, groups: rows };
  if (rows.length === 0) return skip('offsets.replay', 'no translated offsets to estimate replay from', { data });
  const over = rows.filter((r) => r.replay > max);
  if (over.length) {
    return fail('offsets.replay', `expected replay over ${max} records: ${listSome(over.map((r) => `${r.group} would re-read ${r.replay}`))}`, {
      data,
      hint: 'consumers would process that many records again after the switch; make sure they are idempotent, or wait for fresher checkpoints',
    });
  }
  const unknown = rows.filter((r) => r.unknown > 0);
  if (unknown.length) {
    return warn('offsets.replay', `replay unknown for ${listSome(unknown.map((r) => `${r.group} (${plural(r.unknown, 'partition')})`))}: no offset syncs to estimate it`, { data });
  }
  return pass('offsets.replay', `expected replay within ${max} records: ${listSome(rows.map((r) => `${r.group} ${r.replay}`), 4)}`, { data });
}

function beyondEnd(ctx: GateContext, a: OffsetAnalysis): Evidence {
  if (!ctx.secondary.reachable) return skip('offsets.beyond-end', `secondary ${ctx.secondary.name} unreachable`);
  const beyond = a.translations.filter((t) => t.reason === 'beyond-replicated-data');
  if (beyond.length) {
    return fail(
      'offsets.beyond-end',
      `translated offsets beyond the replicated data (a skip is data loss): ${listSome(beyond.map((t) => `${t.group} ${tp(t.targetTopic, t.partition)} at ${t.targetOffset}`), 2)}`,
      { data: beyond, hint: `the target topic was truncated or recreated after MirrorMaker 2 checkpointed; do not commit these offsets on ${ctx.secondary.name}` },
    );
  }
  return pass('offsets.beyond-end', `no translated offset lies beyond the replicated data on ${ctx.secondary.name}`);
}

/**
 * A workload group with live members on the secondary is consuming there
 * already: translated offsets cannot be committed into an active group, and
 * MM2 stops syncing offsets into it.
 */
function activeMembers(ctx: GateContext, a: OffsetAnalysis): Evidence {
  const groups = ctx.workload.groups;
  if (groups.length === 0) return pass('offsets.active-members', 'no workload groups');
  if (!a.secondaryGroups.ok) {
    const s = ctx.secondary.reachable ? fail : skip;
    return s('offsets.active-members', `groups on ${ctx.secondary.name} could not be described: ${a.secondaryGroups.error}`);
  }
  const described = a.secondaryGroups.groups;
  const active = groups.flatMap((g) => {
    const d = described.get(g);
    return d && d.members.length > 0 ? [d] : [];
  });
  const unknown = groups.flatMap((g) => {
    const d = described.get(g);
    return d && !membershipKnown(d) ? [d] : [];
  });
  const data = groups.map((g) => {
    const d = described.get(g);
    return { group: g, state: d?.state ?? 'unknown', ...(d?.groupType ? { groupType: d.groupType } : {}), members: d?.members ?? [] };
  });
  if (active.length || unknown.length) {
    const line = [
      ...active.map((d) => {
        const m = d.members[0]!;
        return `${d.group} (${groupStateText(d)}) has ${plural(d.members.length, 'member')} on ${ctx.secondary.name}: ${memberText(m)}${d.members.length > 1 ? ` and ${d.members.length - 1} more` : ''}`;
      }),
      ...unknown.map((d) => `${d.group} is a ${d.groupType} group on ${ctx.secondary.name}: failover cannot see its members`),
    ];
    return fail('offsets.active-members', listSome(line, 2), {
      data,
      hint: active.length
        ? `stop the consumers of these groups on ${ctx.secondary.name}; translated offsets can only be committed into an empty group`
        : `a workload group must be a consumer group (classic or consumer protocol) on ${ctx.secondary.name}; remove the others from workload.groups`,
    });
  }
  return pass('offsets.active-members', `no workload group has active members on ${ctx.secondary.name}`, { data });
}
