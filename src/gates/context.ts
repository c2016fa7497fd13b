import { resolve } from 'node:path';
import type { KafkaConnection } from '../kafka/connection.js';
import { checkpointsTopic, offsetSyncsTopic, replicatedHeartbeatsTopic } from '../kafka/naming.js';
import { takeSnapshot, type ClusterSnapshot, type SnapshotRequest } from '../kafka/snapshot.js';
import type { Runbook } from '../runbook/schema.js';
import { readPhase, type PhaseInfo } from './phaseSource.js';
import { liveProbes, type GateProbes } from './probes.js';
import type { Phase, RolesInForce } from './types.js';
import { selectWorkloadTopics, workloadMap, type WorkloadMap } from './workload.js';

/**
 * Everything a gate reads: the runbook, the phase and roles in force, one
 * snapshot per cluster taken up front with batched requests, and a few
 * probes for what a snapshot cannot hold (routing, timestamp lookups).
 * Gates never talk to Kafka themselves, so a test can hand them in-memory
 * snapshots and probes.
 */
export interface GateContext {
  runbook: Runbook;
  /** the runbook file as named to the user */
  runbookPath: string;
  /** the runbook's folder */
  baseDir: string;
  phase: PhaseInfo;
  /** one clock reading for the whole check, so that every age agrees */
  now: number;
  /** where earlier transcripts are (rollback rehearsal evidence); relative paths start at the working directory */
  transcriptsDir: string;
  primary: ClusterSnapshot;
  secondary: ClusterSnapshot;
  workload: WorkloadMap;
  probes: GateProbes;
}

/** What a gate needs gathered into the snapshots. */
export type Need =
  | 'configs'
  | 'ends'
  | 'newest'
  | 'newestPrimary'
  | 'groups'
  | 'acls'
  | 'brokerConfigs'
  | 'checkpoints'
  | 'offsetSyncs'
  | 'heartbeats'
  | 'reverseHeartbeats';

/** The snapshot requests for both clusters in force, given what the gates to run need. */
export function snapshotRequests(runbook: Runbook, roles: RolesInForce, needs: ReadonlySet<Need>): { primary: SnapshotRequest; secondary: SnapshotRequest } {
  const link = runbook.link;
  const groups = runbook.workload.groups;
  const primary: SnapshotRequest = { selectTopics: (all) => selectWorkloadTopics(runbook, roles.primary, all) };
  const secondary: SnapshotRequest = { selectTopics: (all) => selectWorkloadTopics(runbook, roles.secondary, all) };
  for (const req of [primary, secondary]) {
    if (needs.has('configs')) {
      req.configs = true;
      req.configNames = [...new Set([...runbook.gates.compatibility.topicConfigKeys, 'retention.ms'])];
    }
    if (needs.has('ends')) req.ends = true;
    if (needs.has('groups') && groups.length > 0) req.groups = groups;
    if (needs.has('acls')) req.acls = true;
    if (needs.has('brokerConfigs')) req.brokerConfigs = true;
  }
  if (needs.has('newest')) secondary.newestRecords = true;
  // The cost gate sizes records: a sample of partitions does, the whole estate is not needed.
  if (needs.has('newestPrimary')) primary.newestRecords = 64;
  if (link.kind === 'mirrormaker2') {
    const alias = (c: string) => link.aliases[c] ?? c;
    const flow = { sourceAlias: alias(roles.primary), targetAlias: alias(roles.secondary) };
    if (needs.has('checkpoints')) secondary.checkpointsTopic = checkpointsTopic(flow.sourceAlias, link.separator);
    if (needs.has('offsetSyncs')) {
      const topic = offsetSyncsTopic(flow, link.offsetSyncsLocation, link.separator);
      if (link.offsetSyncsLocation === 'source') primary.offsetSyncsTopic = topic;
      else secondary.offsetSyncsTopic = topic;
    }
    if (needs.has('heartbeats')) secondary.heartbeatTopics = [replicatedHeartbeatsTopic(flow.sourceAlias, link.separator)];
    if (needs.has('reverseHeartbeats') && link.reverse) primary.heartbeatTopics = [replicatedHeartbeatsTopic(flow.targetAlias, link.separator)];
  }
  return { primary, secondary };
}

export interface BuildContextOptions {
  runbook: Runbook;
  runbookPath: string;
  baseDir: string;
  /** one connection per runbook cluster, by name */
  connections: Readonly<Record<string, KafkaConnection>>;
  /** what the gates to run need (see registry.needsOf) */
  needs: ReadonlySet<Need>;
  /** the phase and roles in force; default: readPhase() */
  phase?: { phase?: Phase; roles?: RolesInForce; expectedDown?: readonly string[] };
  transcriptsDir?: string;
  now?: () => number;
}

/** Reads the phase, takes both snapshots in parallel, and resolves the workload. */
export async function buildGateContext(opts: BuildContextOptions): Promise<GateContext> {
  const now = opts.now ?? Date.now;
  const conn = (name: string): KafkaConnection => {
    const c = opts.connections[name];
    if (!c) throw new Error(`no connection for cluster ${name}`);
    return c;
  };
  // The state topic is read over the same connections the snapshots use.
  const phase = await readPhase(opts.runbook, opts.phase, conn, opts.runbookPath);
  const reqs = snapshotRequests(opts.runbook, phase.roles, opts.needs);
  // Lag is judged from the offset syncs against both clusters' ends, so the ends of the cluster
  // without the syncs are read after them (its own snapshot orders its own ends after them).
  let syncsSettled: () => void = () => undefined;
  const syncsRead = new Promise<void>((r) => (syncsSettled = r));
  const holder = reqs.primary.offsetSyncsTopic ? reqs.primary : reqs.secondary.offsetSyncsTopic ? reqs.secondary : undefined;
  if (holder) {
    (holder === reqs.primary ? reqs.secondary : reqs.primary).endsAfter = syncsRead;
    holder.onOffsetSyncsRead = syncsSettled;
  }
  // A holder that cannot be read at all never reads its syncs: the other side does not wait for it.
  const snapshot = (cluster: string, req: SnapshotRequest) => takeSnapshot(conn(cluster), req, now).finally(() => req === holder && syncsSettled());
  const [primary, secondary] = await Promise.all([snapshot(phase.roles.primary, reqs.primary), snapshot(phase.roles.secondary, reqs.secondary)]);
  const workload = workloadMap(opts.runbook, phase.roles, {
    ...(primary.reachable ? { primary: [...primary.topics.keys()] } : {}),
    ...(secondary.reachable ? { secondary: [...secondary.topics.keys()] } : {}),
  });
  return {
    runbook: opts.runbook,
    runbookPath: opts.runbookPath,
    baseDir: opts.baseDir,
    phase,
    now: now(),
    transcriptsDir: resolve(opts.transcriptsDir ?? 'transcripts'),
    primary,
    secondary,
    workload,
    probes: liveProbes({ runbook: opts.runbook, connections: opts.connections, primary, secondary }),
  };
}
