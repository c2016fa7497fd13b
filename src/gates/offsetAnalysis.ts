import type { GroupDescription, CommittedOffset } from '../kafka/groups.js';
import { checkpointOf, estimatedTargetPosition, indexCheckpoints, newestSyncOf, type CheckpointIndex, type SyncIndex } from '../kafka/mm2Translation.js';
import { judgePartition, recordedFailureKind, partitionLag, withTail, type LagUnknown, type PartitionFacts, type PartitionLag as FlowPartitionLag, type Tail } from '../kafka/replicationLag.js';
import { tpKey } from '../kafka/metadata.js';
import type { PartitionEnds } from '../kafka/readTopic.js';
import type { ClusterSnapshot } from '../kafka/snapshot.js';
import { reasonText, translateByTimestamp, translateCheckpointed, translateIdentical, type PartitionTranslation } from '../kafka/translateOffsets.js';
import { errorMessage } from '../errors.js';
import type { GateContext } from './context.js';
import type { TopicPair } from './workload.js';

/**
 * The facts the offsets, observability and cost gates share, computed once
 * per check from the snapshots: replication lag per partition, the newest
 * replicated record per partition (the RPO bound), and every workload
 * group's translation.
 */
export interface PartitionLag {
  primaryTopic: string;
  secondaryTopic: string;
  partition: number;
  primaryEnd: number;
  secondaryEnd?: number;
  /** records the secondary may still lack; undefined when unknown (then `unknown` says why) */
  lagRecords?: number;
  /** the age of the oldest of them; undefined when unknown (then `secondsUnknown` says why) */
  lagSeconds?: number;
  unknown?: LagUnknown;
  secondsUnknown?: LagUnknown;
  /** how lag in records was measured: MM2's offset syncs, or offsets an offset-preserving link keeps identical */
  method: 'offset-syncs' | 'identical-offsets';
}

export interface ReplicatedNewest {
  secondaryTopic: string;
  partition: number;
  offset?: number;
  timestamp?: number;
  ageSeconds?: number;
}

export interface GroupCommits {
  group: string;
  /** commits on workload topics of the primary */
  commits: { pair: TopicPair; offset: CommittedOffset }[];
  /** partitions committed on topics outside the workload (not translated) */
  otherTopics: number;
  error?: string;
}

export interface OffsetAnalysis {
  /** not ok: no partition could be judged, and `unknown` says why (the primary unreachable, say) */
  lag: { ok: true; rows: PartitionLag[] } | { ok: false; error: string; unknown: LagUnknown };
  rpo: { ok: true; rows: ReplicatedNewest[] } | { ok: false; error: string };
  /** replicated heartbeat age on the secondary, seconds (MM2 only) */
  heartbeatAgeSeconds?: number;
  commits: { ok: true; groups: GroupCommits[] } | { ok: false; error: string };
  translations: PartitionTranslation[];
  checkpoints: { ok: true; index: CheckpointIndex; topic: string; exists: boolean; count: number } | { ok: false; error: string } | undefined;
  syncs: SyncIndex | null | undefined;
  secondaryGroups: { ok: true; groups: Map<string, GroupDescription> } | { ok: false; error: string };
}

const cache = new WeakMap<GateContext, Promise<OffsetAnalysis>>();

export function offsetAnalysis(ctx: GateContext): Promise<OffsetAnalysis> {
  let p = cache.get(ctx);
  if (!p) {
    p = analyse(ctx);
    cache.set(ctx, p);
  }
  return p;
}

function endsOf(s: ClusterSnapshot, topic: string): PartitionEnds[] | undefined {
  return s.ends?.ok ? s.ends.value.get(topic) : undefined;
}

function endOf(s: ClusterSnapshot, topic: string, partition: number): PartitionEnds | undefined {
  return endsOf(s, topic)?.find((e) => e.partition === partition);
}

/** Syncs are wanted only for an MM2 link; null: the link has none, undefined: they could not be read. */
function syncsOf(ctx: GateContext): SyncIndex | null | undefined {
  if (ctx.runbook.link.kind !== 'mirrormaker2') return null;
  const holder = ctx.runbook.link.offsetSyncsLocation === 'source' ? ctx.primary : ctx.secondary;
  if (!holder.offsetSyncs?.ok) return undefined;
  return holder.offsetSyncs.value.syncs;
}

async function analyse(ctx: GateContext): Promise<OffsetAnalysis> {
  const { primary: P, secondary: S, workload } = ctx;
  const syncs = syncsOf(ctx);
  const mm2 = ctx.runbook.link.kind === 'mirrormaker2';

  const checkpoints: OffsetAnalysis['checkpoints'] = !mm2
    ? undefined
    : !S.reachable
      ? { ok: false, error: `${S.name} unreachable: ${S.error}` }
      : S.checkpoints?.ok
        ? { ok: true, index: indexCheckpoints(S.checkpoints.value.records), topic: S.checkpoints.value.topic, exists: S.checkpoints.value.exists, count: S.checkpoints.value.records.length }
        : { ok: false, error: S.checkpoints?.error ?? 'checkpoints not read' };

  const lag = await lagRows(ctx);
  const rpo = rpoRows(ctx);
  const heartbeat = S.heartbeats?.ok ? [...S.heartbeats.value.values()].find((v) => v !== undefined) : undefined;

  let commits: OffsetAnalysis['commits'];
  if (!P.reachable) commits = { ok: false, error: `primary ${P.name} unreachable (${P.error})` };
  else if (!P.offsets) commits = { ok: false, error: 'group offsets not read' };
  else if (!P.offsets.ok) commits = { ok: false, error: P.offsets.error };
  else {
    const byPrimaryName = new Map(workload.topics.map((t) => [t.onPrimary, t]));
    const offsets = P.offsets.value;
    commits = {
      ok: true,
      groups: workload.groups.map((group) => {
        const r = offsets.get(group);
        if (!r) return { group, commits: [], otherTopics: 0, error: 'not read' };
        if ('error' in r) return { group, commits: [], otherTopics: 0, error: r.error };
        const mine = r.offsets.flatMap((o) => {
          const pair = byPrimaryName.get(o.topic);
          return pair ? [{ pair, offset: o }] : [];
        });
        return { group, commits: mine, otherTopics: r.offsets.length - mine.length };
      }),
    };
  }

  const translations = await translate(ctx, commits, checkpoints, syncs);
  const secondaryGroups: OffsetAnalysis['secondaryGroups'] = !S.reachable
    ? { ok: false, error: `${S.name} unreachable: ${S.error}` }
    : S.groups?.ok
      ? { ok: true, groups: S.groups.value }
      : { ok: false, error: S.groups?.error ?? (workload.groups.length ? 'groups not described' : 'no workload groups') };

  return {
    lag,
    rpo,
    ...(heartbeat === undefined ? {} : { heartbeatAgeSeconds: Math.max(0, (ctx.now - heartbeat) / 1000) }),
    commits,
    translations,
    checkpoints,
    syncs,
    secondaryGroups,
  };
}

/** The offset mapping of the primary->secondary flow, for judgePartition; per partition for MM2. */
function mappingOf(ctx: GateContext): (topic: string, partition: number) => PartitionFacts['mapping'] {
  const link = ctx.runbook.link;
  if (link.kind !== 'mirrormaker2') return () => ({ kind: 'identical' });
  const holder = link.offsetSyncsLocation === 'source' ? ctx.primary : ctx.secondary;
  const loaded = holder.offsetSyncs;
  const unavailable = (u: LagUnknown) => () => ({ kind: 'offset-syncs' as const, unavailable: u });
  if (!loaded) return unavailable({ kind: 'read-error', reason: `the offset syncs on ${holder.name} were not read` });
  if (!loaded.ok) return unavailable({ kind: recordedFailureKind(loaded, link.offsetSyncsLocation), reason: `the offset syncs on ${holder.name} cannot be read: ${loaded.error}` });
  const v = loaded.value;
  if (!v.exists) {
    return unavailable({ kind: 'no-mapping', reason: `the offset-syncs topic ${v.topic} does not exist on ${holder.name}: MirrorMaker 2 has not run for this flow, or link.offsetSyncsLocation is not where it writes them` });
  }
  return (topic, partition) => {
    const newest = newestSyncOf(v.newest, topic, partition);
    if (newest === undefined && v.truncated) {
      return { kind: 'offset-syncs', unavailable: { kind: 'no-mapping', reason: `no offset sync for the partition among the newest ${v.read} records of ${v.topic}` } };
    }
    return { kind: 'offset-syncs', ...(newest ? { newest } : {}) };
  };
}

/** Why no partition's lag can be judged, or undefined when the snapshots allow it. */
function lagBlocked(ctx: GateContext): { error: string; unknown: LagUnknown } | undefined {
  const { primary: P, secondary: S } = ctx;
  const blocked = (error: string, kind: LagUnknown['kind']) => ({ error, unknown: { kind, reason: error } });
  if (!P.reachable) return blocked(`primary ${P.name} unreachable (${P.error})`, 'source-unreachable');
  if (!S.reachable) return blocked(`secondary ${S.name} unreachable (${S.error})`, 'target-unreachable');
  if (!P.ends?.ok) return blocked(`end offsets on ${P.name}: ${P.ends?.error ?? 'not read'}`, P.ends ? recordedFailureKind(P.ends, 'source') : 'read-error');
  if (!S.ends?.ok) return blocked(`end offsets on ${S.name}: ${S.ends?.error ?? 'not read'}`, S.ends ? recordedFailureKind(S.ends, 'target') : 'read-error');
  return undefined;
}

/**
 * Lag per partition through the link's offset mapping (the rules of
 * kafka/replicationLag.ts, on the snapshots): never by comparing the two
 * logs' ends. A partition the mapping does not cover is unknown, with why.
 * Lagging partitions are read on the primary from the first offset not
 * proven replicated, as a read_committed consumer: the committed record
 * there bounds the lag and gives its age; only markers, aborted
 * transactions, gaps or a transaction still open before the end (or a
 * record only past the end) mean lag 0; no answer leaves the count
 * standing and its age unknown.
 */
async function lagRows(ctx: GateContext): Promise<OffsetAnalysis['lag']> {
  const blocked = lagBlocked(ctx);
  if (blocked) return { ok: false, ...blocked };
  const { primary: P, secondary: S, workload } = ctx;
  const mapping = mappingOf(ctx);
  const judged: FlowPartitionLag[] = [];
  for (const pair of workload.topics) {
    for (const pe of endsOf(P, pair.onPrimary) ?? []) {
      const se = endOf(S, pair.onSecondary, pe.partition);
      const j = judgePartition({ source: pe, ...(se ? { targetEnd: se.latest } : {}), mapping: mapping(pair.onPrimary, pe.partition) });
      const base = { sourceTopic: pair.onPrimary, targetTopic: pair.onSecondary, partition: pe.partition, sourceEnd: pe.latest, ...(se ? { targetEnd: se.latest } : {}) };
      judged.push(partitionLag(base, j));
    }
  }
  const lagging = judged.filter((p) => p.lag !== undefined && p.lag > 0);
  const tails = new Map<string, Tail>();
  if (lagging.length) {
    try {
      const got = await ctx.probes.recordsAt('primary', lagging.map((p) => ({ topic: p.sourceTopic, partition: p.partition, offset: p.from! })));
      for (const p of lagging) {
        const rec = got.get(tpKey(p.sourceTopic, p.partition));
        tails.set(
          tpKey(p.sourceTopic, p.partition),
          !rec
            ? { kind: 'unknown', reason: `the read of ${P.name} from offset ${p.from} of ${p.sourceTopic}-${p.partition} did not reach a committed record or the partition's end` }
            : 'nothing' in rec || rec.offset >= p.sourceEnd
              ? { kind: 'none' }
              : { kind: 'data', offset: rec.offset, timestamp: rec.timestamp },
        );
      }
    } catch (e) {
      for (const p of lagging) tails.set(tpKey(p.sourceTopic, p.partition), { kind: 'unknown', reason: `reading ${P.name} from offset ${p.from}: ${errorMessage(e)}` });
    }
  }
  const method = ctx.runbook.link.kind === 'mirrormaker2' ? 'offset-syncs' : 'identical-offsets';
  const rows = judged.map((j): PartitionLag => {
    const p = withTail(j, tails.get(tpKey(j.sourceTopic, j.partition)), ctx.now, true);
    return {
      primaryTopic: p.sourceTopic,
      secondaryTopic: p.targetTopic,
      partition: p.partition,
      primaryEnd: p.sourceEnd,
      ...(p.targetEnd === undefined ? {} : { secondaryEnd: p.targetEnd }),
      ...(p.lag === undefined ? {} : { lagRecords: p.lag }),
      ...(p.lagMs === undefined ? {} : { lagSeconds: p.lagMs / 1000 }),
      ...(p.unknown ? { unknown: p.unknown } : {}),
      ...(p.lagMsUnknown ? { secondsUnknown: p.lagMsUnknown } : {}),
      method,
    };
  });
  return { ok: true, rows };
}

function rpoRows(ctx: GateContext): OffsetAnalysis['rpo'] {
  const S = ctx.secondary;
  if (!S.reachable) return { ok: false, error: `secondary ${S.name} unreachable (${S.error})` };
  if (!S.newest) return { ok: false, error: 'newest records not read' };
  if (!S.newest.ok) return { ok: false, error: S.newest.error };
  const newest = S.newest.value;
  const rows: ReplicatedNewest[] = [];
  for (const pair of ctx.workload.topics) {
    for (const part of S.topics.get(pair.onSecondary)?.partitions ?? []) {
      const r = newest.get(tpKey(pair.onSecondary, part));
      rows.push(
        r
          ? { secondaryTopic: pair.onSecondary, partition: part, offset: r.offset, timestamp: r.timestamp, ageSeconds: Math.max(0, (ctx.now - r.timestamp) / 1000) }
          : { secondaryTopic: pair.onSecondary, partition: part },
      );
    }
  }
  return { ok: true, rows };
}

async function translate(
  ctx: GateContext,
  commits: OffsetAnalysis['commits'],
  checkpoints: OffsetAnalysis['checkpoints'],
  syncs: SyncIndex | null | undefined,
): Promise<PartitionTranslation[]> {
  const { secondary: S, workload } = ctx;
  if (!S.reachable) return [];
  const mm2 = ctx.runbook.link.kind === 'mirrormaker2';
  const index = checkpoints?.ok ? checkpoints.index : undefined;

  if (!commits.ok) {
    // The primary cannot be read: what the secondary holds (checkpoints) is all there is.
    if (!mm2 || !index) return [];
    const bySecondaryName = new Map(workload.topics.map((t) => [t.onSecondary, t]));
    const out: PartitionTranslation[] = [];
    for (const group of workload.groups) {
      for (const cp of index.get(group)?.values() ?? []) {
        const pair = bySecondaryName.get(cp.topic);
        if (!pair) continue;
        const target = endOf(S, pair.onSecondary, cp.partition);
        out.push(
          translateCheckpointed(
            { group, sourceTopic: pair.onPrimary, targetTopic: pair.onSecondary, partition: cp.partition },
            { checkpoint: cp, ...(target ? { target } : {}) },
          ),
        );
      }
    }
    return out;
  }

  const out: PartitionTranslation[] = [];
  for (const g of commits.groups) {
    for (const { pair, offset } of g.commits) {
      const where = { group: g.group, sourceTopic: pair.onPrimary, targetTopic: pair.onSecondary, partition: offset.partition, committed: offset.offset };
      const target = endOf(S, pair.onSecondary, offset.partition);
      if (!mm2) {
        out.push(translateIdentical(where, target));
        continue;
      }
      const cp = index ? checkpointOf(index, g.group, pair.onSecondary, offset.partition) : undefined;
      const partSyncs = syncs === undefined ? undefined : syncs === null ? null : (syncs.get(tpKey(pair.onPrimary, offset.partition)) ?? []);
      out.push(translateCheckpointed(where, { ...(cp ? { checkpoint: cp } : {}), ...(partSyncs === undefined ? {} : { syncs: partSyncs }), ...(target ? { target } : {}) }));
    }
  }
  await timestampFallback(ctx, out, syncs);
  return out;
}

/** Reasons after which the timestamp fallback is worth trying (the others are not fixed by it). */
const FALLBACK_FOR = new Set(['no-checkpoint', 'no-offset-sync', 'committed-before-first-sync', 'checkpoint-behind-commit', 'checkpoint-ahead-of-commit']);

async function timestampFallback(ctx: GateContext, list: PartitionTranslation[], syncs: SyncIndex | null | undefined): Promise<void> {
  const { primary: P, secondary: S } = ctx;
  const todo = list
    .map((t, i) => ({ t, i }))
    .filter(({ t }) => t.status === 'none' && t.reason !== undefined && FALLBACK_FOR.has(t.reason) && t.committed !== undefined);
  if (todo.length === 0 || !P.reachable) return;
  try {
    // The record the group reads next, or the last one it read when it is at the end.
    const wanted = new Map<string, { topic: string; partition: number; offset: number }>();
    const wantOf = (t: PartitionTranslation) => {
      const pe = endOf(P, t.sourceTopic, t.partition);
      const at = pe && t.committed! >= pe.latest ? t.committed! - 1 : t.committed!;
      return { topic: t.sourceTopic, partition: t.partition, offset: Math.max(0, at) };
    };
    // One Fetch per broker answers one offset per partition; different groups may want different offsets, so ask in rounds.
    const rounds: { topic: string; partition: number; offset: number }[][] = [];
    for (const { t } of todo) {
      const w = wantOf(t);
      const k = `${tpKey(w.topic, w.partition)}@${w.offset}`;
      if (wanted.has(k)) continue;
      wanted.set(k, w);
      const round = rounds.find((r) => !r.some((x) => x.topic === w.topic && x.partition === w.partition));
      if (round) round.push(w);
      else rounds.push([w]);
    }
    const records = new Map<string, { offset: number; timestamp: number }>();
    for (const r of rounds) {
      const got = await ctx.probes.recordsAt('primary', r);
      for (const w of r) {
        const rec = got.get(tpKey(w.topic, w.partition));
        if (rec && !('nothing' in rec)) records.set(`${tpKey(w.topic, w.partition)}@${w.offset}`, rec);
      }
    }
    const lookups = new Map<string, { offset: number }>();
    const queryRounds: { topic: string; partition: number; timestamp: number }[][] = [];
    for (const { t } of todo) {
      const w = wantOf(t);
      const rec = records.get(`${tpKey(w.topic, w.partition)}@${w.offset}`);
      if (!rec) continue;
      const q = { topic: t.targetTopic, partition: t.partition, timestamp: rec.timestamp };
      const round = queryRounds.find((r) => !r.some((x) => x.topic === q.topic && x.partition === q.partition));
      if (round?.some((x) => x.timestamp === q.timestamp)) continue;
      if (round) round.push(q);
      else queryRounds.push([q]);
    }
    for (const r of queryRounds) {
      const got = await ctx.probes.offsetsForTimes('secondary', r);
      for (const q of r) {
        const a = got.get(tpKey(q.topic, q.partition));
        if (a) lookups.set(`${tpKey(q.topic, q.partition)}@${q.timestamp}`, { offset: a.offset });
      }
    }
    for (const { t, i } of todo) {
      const w = wantOf(t);
      const rec = records.get(`${tpKey(w.topic, w.partition)}@${w.offset}`);
      const target = endOf(S, t.targetTopic, t.partition);
      const pe = endOf(P, t.sourceTopic, t.partition);
      const atEnd = pe !== undefined && t.committed! >= pe.latest;
      const lookup = rec ? lookups.get(`${tpKey(t.targetTopic, t.partition)}@${rec.timestamp}`) : undefined;
      const partSyncs = syncs ? syncs.get(tpKey(t.sourceTopic, t.partition)) : undefined;
      const exact = target && partSyncs ? estimatedTargetPosition(partSyncs, t.committed!, target.latest) : undefined;
      const fb = translateByTimestamp(
        { group: t.group, sourceTopic: t.sourceTopic, targetTopic: t.targetTopic, partition: t.partition, committed: t.committed! },
        {
          ...(target ? { target } : {}),
          ...(rec ? (atEnd ? { previousRecord: rec } : { sourceRecord: rec }) : {}),
          ...(lookup ? { lookup } : {}),
          ...(exact === undefined ? {} : { exactTarget: exact }),
        },
      );
      if (fb.status === 'translated') {
        list[i] = { ...fb, note: `${t.note ?? t.reason}; ${fb.note}`, ...(t.checkpoint ? { checkpoint: t.checkpoint } : {}), reason: t.reason! };
      }
    }
  } catch (e) {
    // The original reason stands (no translation), and the note says why the fallback could not help.
    for (const { t, i } of todo) list[i] = { ...t, note: `${t.note ?? (t.reason ? reasonText(t.reason) : 'no translation')}; the timestamp fallback could not run: ${errorMessage(e)}` };
  }
}
