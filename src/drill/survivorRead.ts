import type { KafkaConnection } from '../kafka/connection.js';
import { partitionEnds, readTopic } from '../kafka/readTopic.js';
import type { ProbeLog } from './probeLog.js';
import type { ReadRecord, SurvivorRead } from './measure.js';

/**
 * Reads a cluster's probe topics to their end without a consumer group, and
 * keeps the records of this run. Replication may still be landing the last
 * events when the read begins, so the read is repeated, once a second, while
 * it keeps finding more of the events acknowledged before it began; it ends
 * when none is missing, when `settleReads` reads in a row find no more (a
 * link that lost a broker pauses for seconds while its clients find the new
 * leaders: one read without progress is not yet a loss), or at `maxMs`.
 * Loss is judged on the events acknowledged before the first read began.
 *
 * With `staleTopics`, the stale client's records (`<run id>-s<n>`) are kept
 * apart, from those topics and the probe's alike (they share the probe topic
 * unless the runbook gives the stale client another).
 */
export async function readSurvivor(
  conn: KafkaConnection,
  opts: {
    label: string;
    cluster: string;
    topics: string[];
    probeTopic: string;
    runId: string;
    log: ProbeLog;
    /** where each partition ended before the probe began ("<topic>:<partition>"): this run's records are all after */
    from?: Record<string, number>;
    /** the stale client's topic and its copies on this cluster, when the drill runs one */
    staleTopics?: string[];
    staleTopic?: string;
    maxMs?: number;
    /** reads in a row without progress that end the wait (default 5, about 5 s) */
    settleReads?: number;
  },
): Promise<SurvivorRead> {
  const at = opts.log.time();
  const until = Date.now() + (opts.maxMs ?? 20_000);
  const prefix = `${opts.runId}-`;
  const stale = opts.log.stale;
  const settleReads = opts.settleReads ?? 5;
  let last: ReadOnce | undefined;
  let lastMissing = Infinity;
  let still = 0;
  for (;;) {
    let got: ReadOnce;
    try {
      got = await readOnce(conn, opts, prefix);
    } catch (e) {
      // A busy broker may miss one fetch deadline; the read is tried again until maxMs.
      if (Date.now() >= until) throw e;
      await new Promise((r) => setTimeout(r, 1000).unref());
      continue;
    }
    const missing = missingFrom(opts.log, at, got.records) + (stale && got.stale ? missingFrom(stale, at, got.stale.records) : 0);
    still = last !== undefined && missing >= lastMissing ? still + 1 : 0;
    const settled = still >= settleReads;
    last = got;
    lastMissing = Math.min(missing, lastMissing);
    if (missing === 0 || settled || Date.now() >= until) break;
    await new Promise((r) => setTimeout(r, 1000).unref());
  }
  return { label: opts.label, cluster: opts.cluster, at, topics: last.topics, records: last.records, ...(last.stale ? { stale: last.stale } : {}) };
}

/** Events of a log acknowledged before `at` and absent from the records. */
function missingFrom(log: ProbeLog, at: number, records: ReadRecord[]): number {
  const present = new Set(records.map((r) => r.event));
  let missing = 0;
  for (let i = 0; i < log.count; i++) if (log.isAcked(i) && log.ackAt[i]! < at && !present.has(i)) missing++;
  return missing;
}

interface ReadOnce {
  topics: string[];
  records: ReadRecord[];
  stale?: { topics: string[]; records: ReadRecord[] };
}

async function readOnce(
  conn: KafkaConnection,
  opts: { topics: string[]; probeTopic: string; from?: Record<string, number>; staleTopics?: string[]; staleTopic?: string },
  prefix: string,
): Promise<ReadOnce> {
  const existing = new Set(await conn.topicNames());
  const from = opts.from ?? {};
  const topics = opts.topics.filter((t) => existing.has(t));
  const staleTopics = opts.staleTopics?.filter((t) => existing.has(t));
  const records: ReadRecord[] = [];
  const staleRecords: ReadRecord[] = [];
  for (const topic of new Set([...topics, ...(staleTopics ?? [])])) {
    const probeSide = topics.includes(topic);
    const staleSide = staleTopics?.includes(topic) ?? false;
    for (const r of await readTopic(conn, topic, { from: (p) => from[`${topic}:${p.partition}`] ?? p.earliest })) {
      const id = r.headers['event-id']?.toString();
      if (!id?.startsWith(prefix)) continue;
      const rest = id.slice(prefix.length);
      const isStale = rest.startsWith('s');
      const event = Number(isStale ? rest.slice(1) : rest);
      if (!Number.isInteger(event) || rest === '' || rest === 's') continue;
      if (isStale && staleSide) staleRecords.push({ event, topic, remote: topic !== opts.staleTopic, partition: r.partition, offset: r.offset });
      else if (!isStale && probeSide) records.push({ event, topic, remote: topic !== opts.probeTopic, partition: r.partition, offset: r.offset });
    }
  }
  return { topics, records, ...(staleTopics ? { stale: { topics: staleTopics, records: staleRecords } } : {}) };
}

/** Where each probe topic's partitions end now, on one cluster: a drill's reads start there. */
export async function probeTopicEnds(conn: KafkaConnection, topics: string[]): Promise<Record<string, number>> {
  const existing = new Set(await conn.topicNames());
  const ends = await partitionEnds(conn, topics.filter((t) => existing.has(t)));
  const out: Record<string, number> = {};
  for (const [topic, parts] of ends) for (const p of parts) out[`${topic}:${p.partition}`] = p.latest;
  return out;
}
