import { degradedPartitions, type DegradedPartition } from '../kafka/partitionHealth.js';
import type { ClusterSnapshot } from '../kafka/snapshot.js';
import { fail, listSome, pass, plural, skip, warn } from './evidence.js';
import type { Evidence } from './types.js';

/**
 * Are the workload's partitions served on both clusters? What is degraded
 * is named, and judged by what it means for a switch:
 * - on the secondary (where a promote sends the clients), a partition that
 *   is offline takes no writes or reads, and one under min.insync.replicas
 *   refuses acks=all writes: moving clients there would fail them, so it
 *   fails the check (blocking);
 * - on the primary, the same is a warning: it is what the clients feel
 *   now, often the reason for the switch, and leaving is not made worse;
 * - under-replicated partitions (a leader and enough in-sync replicas)
 *   serve as usual with less margin, on either side: a warning, visible in
 *   check and the transcript, that never blocks by itself.
 */
export type HealthRow = DegradedPartition & { cluster: string; role: 'primary' | 'secondary' };

const CHECK = 'compatibility.partition-health';

/** A cluster's degraded workload partitions, with min.insync.replicas from its topic configs when they were read. */
export function degradedOn(snap: ClusterSnapshot, role: HealthRow['role']): HealthRow[] {
  const configs = snap.configs?.ok ? snap.configs.value : undefined;
  const minIsr = (topic: string): number | undefined => {
    const v = configs?.get(topic)?.['min.insync.replicas']?.value;
    const n = Number(v);
    return v === undefined || v === null || !Number.isInteger(n) ? undefined : n;
  };
  return degradedPartitions(snap.replicaStates ?? [], minIsr).map((d) => ({ ...d, cluster: snap.name, role }));
}

function describe(r: HealthRow): string {
  const where = `${r.cluster}: ${r.topic}-${r.partition}`;
  if (r.kind === 'offline') return `${where} offline (no leader; replicas ${r.replicas.join(',')}, ISR ${r.isr.join(',') || 'empty'})`;
  const lost = r.outOfSync.length ? `, ${r.outOfSync.join(',')} out of sync` : '';
  if (r.kind === 'under-min-isr') return `${where} under min.insync.replicas (ISR ${r.isr.join(',')} of ${r.replicas.join(',')}${lost}): acks=all writes are refused`;
  return `${where} under-replicated (ISR ${r.isr.join(',')} of ${r.replicas.join(',')}${lost})`;
}

/** The check's evidence from both clusters' degraded workload partitions. */
export function judgePartitionHealth(primary: ClusterSnapshot, secondary: ClusterSnapshot): Evidence {
  if (!secondary.reachable) return skip(CHECK, `secondary ${secondary.name} unreachable: partition health not read`);
  const rows = [...(primary.reachable ? degradedOn(primary, 'primary') : []), ...degradedOn(secondary, 'secondary')];
  const topics = (primary.reachable ? (primary.replicaStates?.length ?? 0) : 0) + (secondary.replicaStates?.length ?? 0);
  const data = { degraded: rows };
  const blocking = rows.filter((r) => r.role === 'secondary' && r.kind !== 'under-replicated');
  const unserved = rows.filter((r) => r.kind !== 'under-replicated');
  const under = rows.filter((r) => r.kind === 'under-replicated');
  const rest = (shown: readonly HealthRow[]) => {
    const others = rows.length - shown.length;
    return others > 0 ? `; also ${plural(others, 'more degraded partition')}` : '';
  };
  if (blocking.length) {
    return fail(CHECK, `${listSome(blocking.map(describe), 2)}${rest(blocking)}`, {
      data,
      hint: `clients moved to ${secondary.name} now would fail on these partitions; bring their replicas' brokers back (failover lab status, or your platform's broker health) and run check again`,
    });
  }
  if (unserved.length) {
    return warn(CHECK, `${listSome(unserved.map(describe), 2)}${rest(unserved)}`, {
      data,
      hint: `${primary.name}'s clients feel this now; ${secondary.name} serves every workload partition`,
    });
  }
  if (under.length) {
    return warn(CHECK, `${listSome(under.map(describe), 2)}${rest(under)}`, {
      data,
      hint: 'every partition has a leader and enough in-sync replicas, so writes and reads go on; one more broker lost could take them offline',
    });
  }
  return pass(CHECK, `every partition of the workload topics has a leader and all its replicas in sync (${plural(topics, 'topic')} on the two clusters)`, { data });
}
