import type { KafkaConnection } from '../kafka/connection.js';
import { describeGroups, fetchGroupOffsets, memberText, type CommittedOffset } from '../kafka/groups.js';
import { offsetsForTimes, partitionEndsBatch } from '../kafka/listOffsets.js';
import {
  checkpointOf,
  estimatedTargetPosition,
  indexCheckpoints,
  loadCheckpoints,
  loadOffsetSyncs,
  translateDownstream,
  type CheckpointIndex,
  type Sync,
  type SyncIndex,
} from '../kafka/mm2Translation.js';
import { checkpointsTopic, offsetSyncsTopic, sourceTopicName, type FlowNaming } from '../kafka/naming.js';
import { clusterMetadata, leaderIndex, tpKey, type LeaderIndex } from '../kafka/metadata.js';
import { readTopic, type PartitionEnds, type RawRecord } from '../kafka/readTopic.js';
import { recordsAt } from '../kafka/recordsAt.js';
import { translateByTimestamp, translateCheckpointed, translateIdentical, type PartitionTranslation } from '../kafka/translateOffsets.js';
import { errorMessage } from '../errors.js';
import type { Runbook } from '../runbook/schema.js';
import { isWorkloadCommit, targetTopicName } from './workload.js';

/**
 * Gathers what translating a set of groups from `source` to `target` needs
 * (commits, checkpoints, offset syncs, ends, group states) and translates
 * every committed workload partition with the strategies of
 * src/kafka/translateOffsets.ts, most precise first, each one never skipping:
 *
 * 1. MirrorMaker 2's checkpoint of that very commit;
 * 2. MM2's own rule applied to its offset syncs (the checkpoint it will
 *    write at its next interval), when the checkpoint lags the commit;
 * 3. for a copy going home (`east.orders` on west back to `orders` on east),
 *    the forward flow's offset syncs read the other way round: MM2 writes
 *    no checkpoint for a topic it did not replicate in that direction;
 * 4. timestamps.
 * An offset-preserving link keeps the commit as it is (within the target's ends).
 */
export interface TranslatedPartition extends PartitionTranslation {
  /** the group's committed offset on the target now, before any commit */
  current?: number;
}

export interface GroupTranslation {
  group: string;
  /** the group's state on the target: it must be Empty (or Dead: never used there) for a commit */
  targetState: string;
  /** the group's protocol on the target (classic, consumer), when its coordinator says */
  targetGroupType?: string;
  targetMembers: number;
  /** the first of them, named as findings name members (its id, client id and host) */
  targetMember?: string;
  partitions: TranslatedPartition[];
  /** records the group would read twice, summed over partitions; undefined when some replay is unknown */
  replay?: number;
  /** why the group's source commits could not be read */
  error?: string;
}

export interface TranslationFacts {
  groups: GroupTranslation[];
  sourceReachable: boolean;
  sourceError?: string;
}

interface Input {
  runbook: Pick<Runbook, 'link' | 'workload'>;
  source: KafkaConnection;
  target: KafkaConnection;
  naming: FlowNaming;
  /** the reverse flow's naming (target -> source), for copies going home */
  backNaming: FlowNaming;
  groups: readonly string[];
}

async function metadataOf(conn: KafkaConnection): Promise<{ topics: Set<string>; leaders: LeaderIndex }> {
  const md = await clusterMetadata(conn, null);
  return { topics: new Set(md.topicMetadata.map((t) => t.topic)), leaders: leaderIndex(md) };
}

function inverted(syncs: readonly Sync[] | undefined): Sync[] | undefined {
  return syncs?.map((s) => ({ upstreamOffset: s.downstreamOffset, downstreamOffset: s.upstreamOffset }));
}

export async function translateGroups(input: Input): Promise<TranslationFacts> {
  const { runbook, source, target, naming, backNaming } = input;
  const groups = [...input.groups];
  const mm2 = runbook.link.kind === 'mirrormaker2' ? runbook.link : undefined;

  // Both clusters' metadata, then everything else at once: each part is many requests on a large estate.
  const [tgt, srcRead] = await Promise.all([metadataOf(target), metadataOf(source).then((md) => ({ md }), (e: unknown) => ({ error: errorMessage(e) }))]);
  const src = 'md' in srcRead ? srcRead.md : undefined;
  const sourceError = 'error' in srcRead ? srcRead.error : undefined;

  const flows =
    mm2 && naming.kind === 'mirrormaker2' && backNaming.kind === 'mirrormaker2'
      ? (() => {
          const cpTopic = checkpointsTopic(naming.sourceAlias, naming.separator);
          const syncTopic = offsetSyncsTopic(naming, mm2.offsetSyncsLocation, naming.separator);
          const backSyncTopic = offsetSyncsTopic(backNaming, mm2.offsetSyncsLocation, naming.separator);
          // offset-syncs.topic.location: on the source of a flow, or on its target.
          const syncHome = mm2.offsetSyncsLocation === 'source' ? { conn: source, md: src } : { conn: target, md: tgt };
          const backHome = mm2.offsetSyncsLocation === 'source' ? { conn: target, md: tgt } : { conn: source, md: src };
          return Promise.all([
            loadCheckpoints(target, cpTopic, tgt.topics.has(cpTopic)),
            syncHome.md ? loadOffsetSyncs(syncHome.conn, syncTopic, syncHome.md.topics.has(syncTopic)).catch(() => undefined) : undefined,
            backHome.md ? loadOffsetSyncs(backHome.conn, backSyncTopic, backHome.md.topics.has(backSyncTopic)).catch(() => undefined) : undefined,
          ]);
        })()
      : undefined;
  const [sourceCommits, states, current, loaded] = await Promise.all([
    src ? fetchGroupOffsets(source, groups) : undefined,
    describeGroups(target, groups),
    fetchGroupOffsets(target, groups),
    flows,
  ]);

  // Commits on the source; with the source down, MM2's checkpoints on the target are all there is.
  const commits = new Map<string, CommittedOffset[] | { error: string }>();
  if (sourceCommits) {
    for (const g of groups) {
      const r = sourceCommits.get(g);
      commits.set(g, !r ? [] : 'error' in r ? { error: r.error } : r.offsets.filter((o) => isWorkloadCommit(runbook, naming, o.topic)));
    }
  }
  let checkpoints: CheckpointIndex = new Map();
  let syncs: SyncIndex = new Map();
  let backSyncs: SyncIndex = new Map();
  if (loaded) {
    const [cp, sy, back] = loaded;
    checkpoints = indexCheckpoints(cp.records);
    syncs = sy?.syncs ?? new Map();
    backSyncs = back?.syncs ?? new Map();
    if (!src) {
      // The source is down: every checkpoint of the groups stands for its commit.
      for (const g of groups) {
        const list: CommittedOffset[] = [];
        for (const c of checkpoints.get(g)?.values() ?? []) {
          const original = backTopic(naming, c.topic);
          if (original !== undefined) list.push({ topic: original, partition: c.partition, offset: c.upstreamOffset, metadata: null });
        }
        commits.set(g, list);
      }
    }
  }

  const targetTopics = new Set<string>();
  for (const c of commits.values()) if (Array.isArray(c)) for (const o of c) targetTopics.add(targetTopicName(naming, o.topic));
  const existingTargets = [...targetTopics].filter((t) => tgt.topics.has(t));
  const ends = existingTargets.length ? await partitionEndsBatch(target, tgt.leaders, existingTargets) : new Map<string, PartitionEnds[]>();
  const endOf = (topic: string, partition: number) => ends.get(topic)?.find((e) => e.partition === partition);

  const out: GroupTranslation[] = [];
  const needTimestamp: { g: GroupTranslation; i: number; committed: number }[] = [];
  for (const group of groups) {
    const state = states.get(group);
    const cur = current.get(group);
    const curMap = new Map(cur && 'offsets' in cur ? cur.offsets.map((o) => [tpKey(o.topic, o.partition), o.offset]) : []);
    const g: GroupTranslation = {
      group,
      targetState: state?.state ?? 'Dead',
      ...(state?.groupType ? { targetGroupType: state.groupType } : {}),
      targetMembers: state?.members.length ?? 0,
      ...(state?.members[0] ? { targetMember: memberText(state.members[0]) } : {}),
      partitions: [],
    };
    const c = commits.get(group);
    if (c && !Array.isArray(c)) g.error = c.error;
    for (const o of Array.isArray(c) ? c : []) {
      const targetTopic = targetTopicName(naming, o.topic);
      const where = { group, sourceTopic: o.topic, targetTopic, partition: o.partition, ...(src ? { committed: o.offset } : {}) };
      const targetEnds = endOf(targetTopic, o.partition);
      let t: PartitionTranslation;
      if (runbook.link.kind === 'offset-preserving') {
        t = translateIdentical({ ...where, committed: o.offset }, targetEnds);
      } else {
        const goingHome = backTopic(naming, targetTopic) === undefined;
        const key = tpKey(o.topic, o.partition);
        if (!goingHome) {
          const partSyncs = syncs.get(key);
          t = translateCheckpointed(where, { checkpoint: checkpointOf(checkpoints, group, targetTopic, o.partition), ...(partSyncs ? { syncs: partSyncs } : {}), ...(targetEnds ? { target: targetEnds } : {}) });
          if (src && targetEnds && partSyncs) {
            // MM2 keeps only a sparse set of syncs in memory; the same rule over every sync it wrote never lands later than the commit, and often closer.
            const closer = bySyncs(where, o.offset, partSyncs, targetEnds, t.status === 'none' ? "MirrorMaker 2's rule over its offset syncs (no checkpoint of this commit yet)" : "MirrorMaker 2's rule over all its offset syncs (closer than its checkpoint)");
            if (closer && (t.status === 'none' || (closer.targetOffset ?? -1) > (t.targetOffset ?? -1))) t = closer;
          }
        } else {
          // The copy's syncs (`orders` on east -> `east.orders` on west) read backwards.
          const inv = inverted(backSyncs.get(tpKey(targetTopic, o.partition)));
          t = (targetEnds && inv && bySyncs(where, o.offset, inv, targetEnds, 'the forward flow\'s offset syncs, read backwards')) || {
            ...where,
            method: 'timestamp',
            status: 'none',
            reason: 'no-offset-sync',
          };
        }
      }
      const tp: TranslatedPartition = { ...t };
      const now = curMap.get(tpKey(targetTopic, o.partition));
      if (now !== undefined) tp.current = now;
      g.partitions.push(tp);
      if (tp.status === 'none' && src && targetEnds) needTimestamp.push({ g, i: g.partitions.length - 1, committed: o.offset });
    }
    out.push(g);
  }

  if (needTimestamp.length > 0 && src) await byTimestamps(source, target, src.leaders, tgt.leaders, needTimestamp, endOf);

  for (const g of out) {
    const replays = g.partitions.map((p) => p.replay);
    g.replay = replays.every((r) => r !== undefined) ? replays.reduce<number>((s, r) => s + (r ?? 0), 0) : undefined;
  }
  return { groups: out, sourceReachable: src !== undefined, ...(sourceError === undefined ? {} : { sourceError }) };
}

/**
 * For a target topic of this flow, the source topic it copies; undefined when it is an original going home.
 * Under identity naming every topic is a copy under its own name: nothing goes home by name.
 */
function backTopic(naming: FlowNaming, targetTopic: string): string | undefined {
  if (naming.kind !== 'mirrormaker2') return targetTopic;
  return sourceTopicName(naming, targetTopic);
}

function bySyncs(
  where: { group: string; sourceTopic: string; targetTopic: string; partition: number },
  committed: number,
  syncs: readonly Sync[],
  target: PartitionEnds,
  how: string,
): PartitionTranslation | undefined {
  const offset = translateDownstream(syncs, committed);
  if (offset === undefined || offset < 0 || offset > target.latest) return undefined;
  const exact = estimatedTargetPosition(syncs, committed, target.latest);
  return {
    ...where,
    committed,
    method: 'checkpoint',
    status: 'translated',
    targetOffset: offset,
    ...(exact === undefined ? {} : { replay: Math.max(0, exact - offset) }),
    note: `by ${how}`,
  };
}

async function byTimestamps(
  source: KafkaConnection,
  target: KafkaConnection,
  sourceLeaders: LeaderIndex,
  targetLeaders: LeaderIndex,
  items: { g: GroupTranslation; i: number; committed: number }[],
  endOf: (topic: string, partition: number) => PartitionEnds | undefined,
): Promise<void> {
  // The record the group reads next, and the one it read last (used when it is at the end).
  const wanted: { topic: string; partition: number; offset: number }[] = [];
  for (const it of items) {
    const p = it.g.partitions[it.i]!;
    wanted.push({ topic: p.sourceTopic, partition: p.partition, offset: it.committed });
    if (it.committed > 0) wanted.push({ topic: p.sourceTopic, partition: p.partition, offset: it.committed - 1 });
  }
  const records = await recordsAtMany(source, sourceLeaders, wanted);
  const at = (topic: string, partition: number, offset: number) => records.get(`${tpKey(topic, partition)}@${offset}`);
  const chosen = items.map((it) => {
    const p = it.g.partitions[it.i]!;
    const n = at(p.sourceTopic, p.partition, it.committed);
    const pr = it.committed > 0 ? at(p.sourceTopic, p.partition, it.committed - 1) : undefined;
    const rec = n && n.offset >= it.committed ? n : undefined;
    const prevRec = pr && pr.offset === it.committed - 1 ? pr : undefined;
    return { it, p, rec, prevRec, ts: (rec ?? prevRec)?.timestamp };
  });
  const queries = chosen.flatMap((c) => (c.ts === undefined ? [] : [{ topic: c.p.targetTopic, partition: c.p.partition, timestamp: c.ts }]));
  const answers = new Map<string, { offset: number }>();
  try {
    for (const round of rounds(queries)) {
      for (const [k, a] of await offsetsForTimes(target, targetLeaders, round)) answers.set(`${k}@${round.find((q) => tpKey(q.topic, q.partition) === k)?.timestamp}`, a);
    }
  } catch {
    // Each partition then says target-lookup-failed.
  }
  for (const { it, p, rec, prevRec, ts } of chosen) {
    const lookup = ts === undefined ? undefined : answers.get(`${tpKey(p.targetTopic, p.partition)}@${ts}`);
    const ends = endOf(p.targetTopic, p.partition);
    // The copy of the record the group reads next (or read last) is the exact position; found, it makes the replay known.
    const anchor = rec ?? prevRec;
    let exactTarget: number | undefined;
    if (anchor && lookup && lookup.offset >= 0) {
      const at = await findCopy(target, p.targetTopic, p.partition, lookup.offset, anchor);
      if (at !== undefined) exactTarget = anchor === rec ? at : at + 1;
    }
    const t = translateByTimestamp(
      { group: p.group, sourceTopic: p.sourceTopic, targetTopic: p.targetTopic, partition: p.partition, committed: it.committed },
      {
        ...(ends ? { target: ends } : {}),
        ...(rec ? { sourceRecord: { offset: rec.offset, timestamp: rec.timestamp } } : {}),
        ...(prevRec ? { previousRecord: { offset: prevRec.offset, timestamp: prevRec.timestamp } } : {}),
        ...(lookup ? { lookup } : {}),
        ...(exactTarget === undefined ? {} : { exactTarget }),
      },
    );
    it.g.partitions[it.i] = { ...t, ...(p.current === undefined ? {} : { current: p.current }) };
  }
}

const COPY_SCAN = 1000;

/** The offset of the record's copy on the target: same timestamp, key and value, at or after `from` (at most COPY_SCAN records on). */
async function findCopy(target: KafkaConnection, topic: string, partition: number, from: number, record: RawRecord): Promise<number | undefined> {
  try {
    const got = await readTopic(target, topic, { partitions: [partition], from: () => from, maxRecords: COPY_SCAN });
    const same = (a: Buffer | null, b: Buffer | null) => (a === null || b === null ? a === b : a.equals(b));
    return got.find((r) => r.timestamp === record.timestamp && same(r.key, record.key) && same(r.value, record.value))?.offset;
  } catch {
    return undefined;
  }
}

/** recordsAt and ListOffsets take each partition once per request: split the wanted items into rounds. */
function rounds<T extends { topic: string; partition: number }>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  const seen = new Set<string>();
  for (const it of items) {
    const k = JSON.stringify(it);
    if (seen.has(k)) continue;
    seen.add(k);
    const tp = tpKey(it.topic, it.partition);
    let round = out.find((r) => !r.some((x) => tpKey(x.topic, x.partition) === tp));
    if (!round) out.push((round = []));
    round.push(it);
  }
  return out;
}

async function recordsAtMany(conn: KafkaConnection, leaders: LeaderIndex, wanted: { topic: string; partition: number; offset: number }[]) {
  const out = new Map<string, RawRecord>();
  for (const round of rounds(wanted)) {
    const got = await recordsAt(conn, leaders, round);
    for (const w of round) {
      const r = got.get(tpKey(w.topic, w.partition));
      if (r) out.set(`${tpKey(w.topic, w.partition)}@${w.offset}`, r);
    }
  }
  return out;
}
