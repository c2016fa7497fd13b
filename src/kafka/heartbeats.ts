import type { KafkaConnection } from './connection.js';
import { newestRecords } from './readTopic.js';

export interface HeartbeatAge {
  /** the topic read on the target, e.g. `east.heartbeats` on west */
  topic: string;
  /** newest heartbeat's timestamp (ms since epoch), or undefined when none arrived yet */
  newest?: number;
  ageMs?: number;
  error?: string;
}

/**
 * Replication freshness from `source` to the cluster behind `target`: the
 * age of the newest heartbeat in `<sourceAlias><sep>heartbeats` there.
 * MM2 always replicates the `heartbeats` topic, and a replicated record keeps
 * its original timestamp, so its age measures the whole path source->target,
 * not merely that a connector runs.
 */
export async function replicatedHeartbeatAge(
  target: KafkaConnection,
  sourceAlias: string,
  separator = '.',
  now = Date.now(),
): Promise<HeartbeatAge> {
  const topic = `${sourceAlias}${separator}heartbeats`;
  try {
    const topics = await target.topicNames();
    if (!topics.includes(topic)) return { topic, error: `${topic} does not exist on ${target.name} yet` };
    const recs = await newestRecords(target, topic);
    if (recs.length === 0) return { topic, error: `no heartbeat in ${topic} on ${target.name} yet` };
    const newest = Math.max(...recs.map((r) => r.timestamp));
    return { topic, newest, ageMs: Math.max(0, now - newest) };
  } catch (e) {
    return { topic, error: (e as Error).message };
  }
}
