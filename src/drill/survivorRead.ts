import type { KafkaConnection } from '../kafka/connection.js';
import { partitionEnds, readTopic } from '../kafka/readTopic.js';
import type { ProbeLog } from './probeLog.js';
import type { ReadRecord, SurvivorRead } from './measure.js';

/**
 * Reads a cluster's probe topics to their end without a consumer group, and
 * keeps the records of this run. Replication may still be landing the last
 * events when the read begins, so the read is repeated, once a second, while
 * it keeps finding more of the events acknowledged before it began; it ends
 * when two reads in a row find the same set (or at `maxMs`). Loss is judged
 * on the events acknowledged before the first read began.
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
    maxMs?: number;
  },
): Promise<SurvivorRead> {
  const at = opts.log.time();
  const until = Date.now() + (opts.maxMs ?? 20_000);
  const prefix = `${opts.runId}-`;
  let last: ReadRecord[] | undefined;
  let lastMissing = Infinity;
  let topics: string[] = opts.topics;
  for (;;) {
    let records: ReadRecord[];
    try {
      ({ topics, records } = await readOnce(conn, opts.topics, opts.probeTopic, prefix, opts.from ?? {}));
    } catch (e) {
      // A busy broker may miss one fetch deadline; the read is tried again until maxMs.
      if (Date.now() >= until) throw e;
      await new Promise((r) => setTimeout(r, 1000).unref());
      continue;
    }
    const present = new Set(records.map((r) => r.event));
    let missing = 0;
    for (let i = 0; i < opts.log.count; i++) if (opts.log.isAcked(i) && opts.log.ackAt[i]! < at && !present.has(i)) missing++;
    const settled = last !== undefined && missing >= lastMissing;
    last = records;
    lastMissing = missing;
    if (missing === 0 || settled || Date.now() >= until) break;
    await new Promise((r) => setTimeout(r, 1000).unref());
  }
  return { label: opts.label, cluster: opts.cluster, at, topics, records: last };
}

async function readOnce(conn: KafkaConnection, wanted: string[], probeTopic: string, prefix: string, from: Record<string, number>): Promise<{ topics: string[]; records: ReadRecord[] }> {
  const admin = await conn.admin();
  const existing = new Set(await conn.call('list topics', () => admin.listTopics()));
  const topics = wanted.filter((t) => existing.has(t));
  const records: ReadRecord[] = [];
  for (const topic of topics) {
    for (const r of await readTopic(conn, topic, { from: (p) => from[`${topic}:${p.partition}`] ?? p.earliest })) {
      const id = r.headers['event-id']?.toString();
      if (!id?.startsWith(prefix)) continue;
      const event = Number(id.slice(prefix.length));
      if (!Number.isInteger(event)) continue;
      records.push({ event, topic, remote: topic !== probeTopic, partition: r.partition, offset: r.offset });
    }
  }
  return { topics, records };
}

/** Where each probe topic's partitions end now, on one cluster: a drill's reads start there. */
export async function probeTopicEnds(conn: KafkaConnection, topics: string[]): Promise<Record<string, number>> {
  const admin = await conn.admin();
  const existing = new Set(await conn.call('list topics', () => admin.listTopics()));
  const ends = await partitionEnds(conn, topics.filter((t) => existing.has(t)));
  const out: Record<string, number> = {};
  for (const [topic, parts] of ends) for (const p of parts) out[`${topic}:${p.partition}`] = p.latest;
  return out;
}
