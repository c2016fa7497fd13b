import { tpKey } from '../kafka/metadata.js';
import { replicatedHeartbeatsTopic } from '../kafka/naming.js';
import type { GateContext } from './context.js';
import { fail, listSome, pass, plural, skip, warn } from './evidence.js';
import { offsetAnalysis } from './offsetAnalysis.js';
import type { Evidence } from './types.js';

/** Can the switch be watched: replication heartbeats, consumer lag on the secondary, metrics endpoints. */
export async function observabilityGate(ctx: GateContext): Promise<Evidence[]> {
  return [heartbeats(ctx), await consumerLag(ctx), await metrics(ctx)];
}

/**
 * MM2 replicates the source's `heartbeats` topic, keeping each record's
 * timestamp, so the newest one on the secondary dates the whole path
 * primary -> secondary, not merely that a connector process runs.
 */
function heartbeats(ctx: GateContext): Evidence {
  const check = 'observability.heartbeats';
  const { runbook: rb, primary: P, secondary: S } = ctx;
  if (rb.link.kind !== 'mirrormaker2') return skip(check, `an offset-preserving (${rb.link.product}) link writes no replication heartbeats; watch it with its own metrics`);
  if (!S.reachable) return fail(check, `secondary ${S.name} unreachable (${S.error})`);
  const topic = replicatedHeartbeatsTopic(rb.link.aliases[P.name] ?? P.name, rb.link.separator);
  const max = rb.gates.observability.heartbeatMaxAgeSeconds;
  if (!S.heartbeats?.ok) return fail(check, `heartbeats on ${S.name} could not be read: ${S.heartbeats?.error ?? 'not read'}`);
  const newest = S.heartbeats.value.get(topic);
  if (!S.topics.has(topic) || newest === undefined) {
    return fail(check, `no ${P.name}->${S.name} heartbeat on ${S.name} (${topic} ${S.topics.has(topic) ? 'is empty' : 'does not exist'})`, {
      hint: 'MirrorMaker 2 emits heartbeats unless emit.heartbeats.enabled=false; without them replication cannot be watched',
    });
  }
  const age = Math.max(0, (ctx.now - newest) / 1000);
  const data = { topic, newest: new Date(newest).toISOString(), ageSeconds: age, maxAgeSeconds: max };
  if (age > max) {
    return fail(check, `replication heartbeats are stale: newest in ${topic} on ${S.name} is ${age.toFixed(1)} s old (bound ${max} s)`, {
      data,
      hint: `the ${P.name}->${S.name} flow is not replicating; is MirrorMaker 2 running?`,
    });
  }
  return pass(check, `${P.name}->${S.name} heartbeat ${age.toFixed(1)} s old (bound ${max} s)`, { data });
}

/**
 * After a switch, consumer lag is watched on the secondary: it needs the
 * group's position there (committed, or a checkpoint to commit) and the
 * counterpart topics' end offsets.
 */
async function consumerLag(ctx: GateContext): Promise<Evidence> {
  const check = 'observability.consumer-lag';
  const S = ctx.secondary;
  if (ctx.workload.groups.length === 0) return skip(check, 'no workload groups in the runbook');
  if (!S.reachable) return fail(check, `secondary ${S.name} unreachable (${S.error})`);
  if (!S.ends?.ok) return fail(check, `end offsets on ${S.name} could not be read: ${S.ends?.error ?? 'not read'}`);
  const a = await offsetAnalysis(ctx);
  const index = a.checkpoints?.ok ? a.checkpoints.index : undefined;
  const offsets = S.offsets?.ok ? S.offsets.value : undefined;
  const ends = S.ends.value;
  const workloadTopics = new Set(ctx.workload.topics.map((t) => t.onSecondary));
  const endOf = (topic: string, partition: number) => ends.get(topic)?.find((e) => e.partition === partition)?.latest;
  // A group's position per partition: its commit on the secondary, else the checkpoint MM2 would commit.
  const rows = ctx.workload.groups.map((group) => {
    const positions = new Map<string, { topic: string; partition: number; offset: number; from: 'committed' | 'checkpoint' }>();
    for (const cp of index?.get(group)?.values() ?? []) {
      if (workloadTopics.has(cp.topic)) positions.set(tpKey(cp.topic, cp.partition), { topic: cp.topic, partition: cp.partition, offset: cp.downstreamOffset, from: 'checkpoint' });
    }
    const r = offsets?.get(group);
    for (const o of r && 'offsets' in r ? r.offsets : []) {
      if (workloadTopics.has(o.topic)) positions.set(tpKey(o.topic, o.partition), { topic: o.topic, partition: o.partition, offset: o.offset, from: 'committed' });
    }
    let lag = 0;
    let partitions = 0;
    for (const p of positions.values()) {
      const end = endOf(p.topic, p.partition);
      if (end === undefined) continue;
      partitions++;
      lag += Math.max(0, end - p.offset);
    }
    const from = [...new Set([...positions.values()].map((p) => p.from))];
    return { group, partitions, lag, from };
  });
  const blind = rows.filter((r) => r.partitions === 0);
  const data = { groups: rows };
  if (blind.length === rows.length) {
    return warn(check, `no workload group has a position on ${S.name} yet (${listSome(blind.map((r) => r.group))}): lag there is not computable`, {
      data,
      hint: 'MirrorMaker 2 checkpoints (or sync.group.offsets) give groups a position on the secondary',
    });
  }
  if (blind.length) {
    return warn(check, `lag computable on ${S.name} for ${listSome(rows.filter((r) => r.partitions).map((r) => `${r.group} (${r.lag})`))}, not for ${listSome(blind.map((r) => r.group))}`, { data });
  }
  return pass(check, `consumer lag computable on ${S.name}: ${listSome(rows.map((r) => `${r.group} ${r.lag} records over ${plural(r.partitions, 'partition')}`), 3)}`, { data });
}

async function metrics(ctx: GateContext): Promise<Evidence> {
  const check = 'observability.metrics';
  const urls = ctx.runbook.gates.observability.metrics;
  if (urls.length === 0) return skip(check, 'no metrics endpoints declared (gates.observability.metrics)', { hint: 'declare the exporters you watch a switch with, so that check proves they answer' });
  const answers = await Promise.all(urls.map(async (url) => ({ url, ...(await ctx.probes.httpGet(url)) })));
  const bad = answers.filter((a) => a.status === undefined || a.status >= 400);
  if (bad.length) {
    return fail(check, `metrics endpoints not answering: ${listSome(bad.map((a) => `${a.url} (${a.error ?? `HTTP ${a.status}`})`), 2)}`, { data: answers });
  }
  return pass(check, `${plural(answers.length, 'metrics endpoint')} answer`, { data: answers });
}
