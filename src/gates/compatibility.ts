import type { ClusterSnapshot } from '../kafka/snapshot.js';
import type { GateContext } from './context.js';
import { judgePartitionHealth } from './partitionHealth.js';
import { fail, listSome, pass, plural, skip, warn } from './evidence.js';
import type { Evidence } from './types.js';

/**
 * Can the secondary serve the workload as the primary does? Checks that need
 * only the secondary run when the primary is down (the normal case during an
 * incident); those that compare the two say the primary is unreachable.
 */
export async function compatibilityGate(ctx: GateContext): Promise<Evidence[]> {
  return [reachable(ctx), apiVersions(ctx), counterparts(ctx), partitions(ctx), judgePartitionHealth(ctx.primary, ctx.secondary), topicConfigs(ctx), internalTopics(ctx)];
}

export function primaryUnreachable(ctx: GateContext, check: string, what: string): Evidence {
  return skip(check, `primary ${ctx.primary.name} unreachable (${ctx.primary.error ?? 'no answer'}): ${what} not compared`, {
    hint: `this check needs ${ctx.primary.name}; the secondary-only checks were still evaluated`,
  });
}

function describe(s: ClusterSnapshot): string {
  return `${s.name} (cluster id ${s.clusterId}, ${plural(s.brokers.length, 'broker')}${s.apiVersions?.ok ? `, ${Object.keys(s.apiVersions.value).length} APIs` : ''})`;
}

function reachable(ctx: GateContext): Evidence {
  const { primary: p, secondary: s } = ctx;
  const data = [p, s].map((c) => ({ cluster: c.name, reachable: c.reachable, clusterId: c.clusterId, brokers: c.brokers, error: c.error }));
  if (!s.reachable && ctx.phase.expectedDown?.includes(s.name)) {
    return warn('compatibility.reachable', `${s.name} does not answer, as the operator declared (${s.error}); ${p.reachable ? describe(p) : p.name} ${p.reachable ? 'answers' : 'does not answer either'}`, { data });
  }
  if (!s.reachable) {
    return fail('compatibility.reachable', `secondary ${s.name} unreachable with the runbook's auth: ${s.error}`, {
      data,
      hint: `nothing can move to ${s.name} until it answers; check it is up and that clusters.${s.name} (bootstrap, auth) is right`,
    });
  }
  if (!p.reachable) {
    return warn('compatibility.reachable', `primary ${p.name} unreachable (${p.error}); secondary ${describe(s)} answers`, {
      data,
      hint: `during an incident this is expected; checks that compare with ${p.name} are skipped`,
    });
  }
  if (p.clusterId !== undefined && p.clusterId === s.clusterId) {
    return fail('compatibility.reachable', `${p.name} and ${s.name} are the same cluster (cluster id ${p.clusterId})`, {
      data,
      hint: 'the two clusters of the runbook must be different clusters; check their bootstrap addresses',
    });
  }
  return pass('compatibility.reachable', `both reachable: ${describe(p)}, ${describe(s)}`, { data });
}

/**
 * A client negotiates, per API, the highest version both it and the broker
 * support. Whatever it negotiated with the primary, the secondary must
 * accept too: every API of the primary present, and its version range
 * reaching at least as high. A lower maximum still works (clients step
 * down) but changes behaviour, so it warns.
 */
function apiVersions(ctx: GateContext): Evidence {
  const { primary: p, secondary: s } = ctx;
  if (!s.reachable) return skip('compatibility.api-versions', `secondary ${s.name} unreachable: API versions not read`);
  if (!p.reachable) return primaryUnreachable(ctx, 'compatibility.api-versions', 'API versions');
  if (!p.apiVersions?.ok || !s.apiVersions?.ok) {
    const err = !p.apiVersions?.ok ? `${p.name}: ${p.apiVersions?.error ?? 'not read'}` : `${s.name}: ${s.apiVersions && !s.apiVersions.ok ? s.apiVersions.error : 'not read'}`;
    return skip('compatibility.api-versions', `API versions could not be read (${err})`);
  }
  const pv = p.apiVersions.value;
  const sv = s.apiVersions.value;
  const missing: string[] = [];
  const noOverlap: string[] = [];
  const lower: string[] = [];
  for (const [key, range] of Object.entries(pv)) {
    const other = sv[key];
    if (!other) missing.push(`API ${key}`);
    else if (other.maxVersion < range.minVersion || other.minVersion > range.maxVersion) noOverlap.push(`API ${key} (${p.name} v${range.minVersion}-${range.maxVersion}, ${s.name} v${other.minVersion}-${other.maxVersion})`);
    else if (other.maxVersion < range.maxVersion) lower.push(`API ${key} (${p.name} up to v${range.maxVersion}, ${s.name} up to v${other.maxVersion})`);
  }
  const data = { missing, noOverlap, lower, apis: Object.keys(pv).length };
  if (missing.length || noOverlap.length) {
    return fail('compatibility.api-versions', `${s.name} lacks what clients negotiate with ${p.name}: ${listSome([...missing, ...noOverlap])}`, {
      data,
      hint: `upgrade ${s.name} to at least the Kafka version of ${p.name}`,
    });
  }
  if (lower.length) {
    return warn('compatibility.api-versions', `${s.name} supports older versions of ${plural(lower.length, 'API')} than ${p.name}: ${listSome(lower)}`, {
      data,
      hint: 'clients will step down to the versions the secondary has; upgrade it to match',
    });
  }
  return pass('compatibility.api-versions', `${s.name} covers every API version range of ${p.name} (${Object.keys(pv).length} APIs)`, { data });
}

function counterparts(ctx: GateContext): Evidence {
  const { primary: p, secondary: s, workload } = ctx;
  if (!s.reachable) return skip('compatibility.counterparts', `secondary ${s.name} unreachable: counterparts not checked`);
  const missingOnSecondary = workload.topics.filter((t) => !s.topics.has(t.onSecondary));
  const missingOnPrimary = p.reachable ? workload.topics.filter((t) => !p.topics.has(t.onPrimary)) : [];
  const data = {
    topics: workload.topics.map((t) => ({ ...t, onPrimaryExists: p.reachable ? p.topics.has(t.onPrimary) : null, onSecondaryExists: s.topics.has(t.onSecondary) })),
    unmatched: workload.unmatched,
  };
  if (missingOnSecondary.length) {
    return fail(
      'compatibility.counterparts',
      `missing on ${s.name}: ${listSome(missingOnSecondary.map((t) => `${t.onSecondary} (counterpart of ${t.onPrimary})`))}`,
      { data, hint: `the link has not created them, or they were deleted on ${s.name}; consumers would find nothing to read there` },
    );
  }
  if (missingOnPrimary.length) {
    return fail('compatibility.counterparts', `workload ${missingOnPrimary.length === 1 ? 'topic' : 'topics'} missing on ${p.name}: ${listSome(missingOnPrimary.map((t) => t.onPrimary))}`, {
      data,
      hint: 'check workload.topics in the runbook',
    });
  }
  if (workload.topics.length === 0) {
    return fail('compatibility.counterparts', `no workload topic found: ${listSome(workload.unmatched)} matched nothing`, { data, hint: 'check workload.topics in the runbook' });
  }
  const prefix = `${plural(workload.topics.length, 'workload topic')} ${workload.topics.length === 1 ? 'has its' : 'have their'} counterpart on ${s.name}`;
  if (!p.reachable) {
    return warn('compatibility.counterparts', `${prefix}; ${p.name} unreachable, so regex selectors were resolved on ${s.name} alone`, { data });
  }
  if (workload.unmatched.length) return warn('compatibility.counterparts', `${prefix}; ${listSome(workload.unmatched)} matched no topic`, { data });
  return pass('compatibility.counterparts', prefix, { data });
}

function partitions(ctx: GateContext): Evidence {
  const { primary: p, secondary: s, workload } = ctx;
  if (!s.reachable) return skip('compatibility.partitions', `secondary ${s.name} unreachable: partition counts not compared`);
  if (!p.reachable) return primaryUnreachable(ctx, 'compatibility.partitions', 'partition counts');
  const rows = workload.topics.flatMap((t) => {
    const a = p.topics.get(t.onPrimary);
    const b = s.topics.get(t.onSecondary);
    return a && b ? [{ primaryTopic: t.onPrimary, secondaryTopic: t.onSecondary, primary: a.partitions.length, secondary: b.partitions.length }] : [];
  });
  const differ = rows.filter((r) => r.primary !== r.secondary);
  if (differ.length) {
    return fail(
      'compatibility.partitions',
      `partition counts differ: ${listSome(differ.map((r) => `${r.primaryTopic} has ${r.primary} on ${p.name}, ${r.secondaryTopic} has ${r.secondary} on ${s.name}`), 2)}`,
      { data: rows, hint: 'keyed records land in other partitions when counts differ, so per-key order does not survive the switch; make the counts equal' },
    );
  }
  return pass('compatibility.partitions', `equal partition counts for ${plural(rows.length, 'topic')}`, { data: rows });
}

/** Retention is -1 (forever) or milliseconds; longer on the secondary is fine. */
function retentionShorter(primary: string | null, secondary: string | null): boolean {
  const a = Number(primary ?? NaN);
  const b = Number(secondary ?? NaN);
  if (Number.isNaN(a) || Number.isNaN(b)) return primary !== secondary;
  if (b === -1) return false;
  if (a === -1) return true;
  return b < a;
}

function topicConfigs(ctx: GateContext): Evidence {
  const { primary: p, secondary: s, workload } = ctx;
  const keys = ctx.runbook.gates.compatibility.topicConfigKeys;
  if (!s.reachable) return skip('compatibility.topic-configs', `secondary ${s.name} unreachable: topic configs not compared`);
  if (!p.reachable) return primaryUnreachable(ctx, 'compatibility.topic-configs', 'topic configs');
  if (!p.configs?.ok || !s.configs?.ok) {
    const err = !p.configs?.ok ? `${p.name}: ${p.configs?.error ?? 'not read'}` : `${s.name}: ${s.configs && !s.configs.ok ? s.configs.error : 'not read'}`;
    return fail('compatibility.topic-configs', `topic configs could not be read (${err})`, { hint: 'the principal failover uses needs DescribeConfigs on the workload topics' });
  }
  const pc = p.configs.value;
  const sc = s.configs.value;
  const diffs: { primaryTopic: string; secondaryTopic: string; key: string; primary: string | null; secondary: string | null }[] = [];
  let compared = 0;
  for (const t of workload.topics) {
    const a = pc.get(t.onPrimary);
    const b = sc.get(t.onSecondary);
    if (!a || !b) continue;
    compared++;
    for (const key of keys) {
      const va = a[key]?.value ?? null;
      const vb = b[key]?.value ?? null;
      const bad = key === 'retention.ms' ? retentionShorter(va, vb) : va !== vb;
      if (bad) diffs.push({ primaryTopic: t.onPrimary, secondaryTopic: t.onSecondary, key, primary: va, secondary: vb });
    }
  }
  if (diffs.length) {
    const line = diffs.map((d) =>
      d.key === 'retention.ms'
        ? `${d.key} is shorter on ${s.name} (${d.secondaryTopic}: ${d.secondary}) than on ${p.name} (${d.primaryTopic}: ${d.primary})`
        : `${d.key} of ${d.primaryTopic} is ${d.primary} on ${p.name} but ${d.secondary} on ${s.name} (${d.secondaryTopic})`,
    );
    return fail('compatibility.topic-configs', listSome(line, 2), {
      data: { keys, differences: diffs },
      hint: `make the configs agree (kafka-configs --alter on ${s.name}), or drop the key from gates.compatibility.topicConfigKeys if the difference is intended`,
    });
  }
  return pass('compatibility.topic-configs', `${listSome(keys, 5)} agree for ${plural(compared, 'topic')}`, { data: { keys, compared } });
}

const INTERNAL = [
  { topic: '__consumer_offsets', purpose: 'consumer groups' },
  { topic: '__transaction_state', purpose: 'transactions' },
];

/**
 * Kafka creates both internal topics on first use, so absence is not
 * broken, but a secondary that never served groups or transactions has
 * never shown that it can (replication factor, min ISR).
 */
function internalTopics(ctx: GateContext): Evidence {
  const { primary: p, secondary: s } = ctx;
  if (!s.reachable) return skip('compatibility.internal-topics', `secondary ${s.name} unreachable: internal topics not checked`);
  const rows = INTERNAL.map((i) => ({ ...i, onPrimary: p.reachable ? p.topics.has(i.topic) : null, onSecondary: s.topics.has(i.topic) }));
  const lacking = rows.filter((r) => !r.onSecondary && r.onPrimary !== false);
  if (lacking.length) {
    return warn(
      'compatibility.internal-topics',
      `${listSome(lacking.map((r) => `${r.topic} (${r.purpose})`))} not present on ${s.name}${p.reachable ? ` though ${p.name} has ${lacking.length === 1 ? 'it' : 'them'}` : ''}`,
      { data: rows, hint: `Kafka creates it on first use; make sure ${s.name}'s offsets/transaction topic replication settings can be met` },
    );
  }
  const present = rows.filter((r) => r.onSecondary).map((r) => r.topic);
  return pass('compatibility.internal-topics', present.length ? `${present.join(' and ')} present on ${s.name}` : `neither cluster uses groups or transactions yet`, { data: rows });
}
