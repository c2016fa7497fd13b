import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import type { RolesInForce } from '../gates/types.js';
import type { LoadedRunbook } from '../runbook/load.js';
import { readTranscript } from '../transcript/reader.js';
import { RunbookConnections } from './connections.js';
import type { LagUnknownKind, UnknownLag } from '../kafka/replicationLag.js';
import { pairHazards, whereWritesGo } from './phase.js';
import { flowLagReport } from './plan.js';
import { PairStore, type PairView } from './state.js';

export interface FlowLag {
  source: string;
  target: string;
  /** over the partitions whose lag is known */
  maxLag?: number;
  totalLag?: number;
  /** the oldest unreplicated record's age; absent while any partition's lag or age is unknown */
  maxLagSeconds?: number;
  partitions?: number;
  /** partitions whose lag (or, `of: 'seconds'`, only its age) is unknown, and why: the first 20 */
  unknown?: UnknownLag[];
  /** how many partitions' lag in records is unknown, and how many only their age */
  unknownPartitions?: number;
  unknownAges?: number;
  /** the flow could not be measured at all */
  error?: string;
  errorKind?: LagUnknownKind;
}

export interface LastTranscript {
  path: string;
  action?: string;
  operator?: string;
  startedAt?: string;
  outcome?: string;
}

export interface PairStatus {
  runbook: { name: string; file: string };
  /** the pair by cluster id, and where its state lives */
  pair: { ids: Record<string, string>; topic?: string; problem?: string };
  phase: PairView['phase'];
  recorded: boolean;
  /** the roles in force for this runbook */
  roles: PairView['roles'];
  /** the cluster that owns writes now: during an action, where the route points */
  writer: string;
  /** why, when it is not plain (mid-action, fenced) */
  writerNote?: string;
  /** this runbook's fences, and whether each is pending */
  fences: { cluster: string; acls: number; pending?: { since: string; reason: string; clusterAnswers: boolean } }[];
  /** what is wrong with the pair: a `fail` makes status exit 1 */
  hazards: { severity: 'fail' | 'warn'; text: string }[];
  homeRoles: RolesInForce;
  locks: PairView['locks'];
  clusters: PairView['clusters'];
  lag: FlowLag[];
  lastTranscript?: LastTranscript;
}

async function flowLag(loaded: LoadedRunbook, conns: RunbookConnections, source: string, target: string): Promise<FlowLag> {
  const rb = loaded.runbook;
  try {
    const r = await flowLagReport(rb, conns, source, target, true);
    if (r.unmeasured) return { source, target, error: r.unmeasured.reason, errorKind: r.unmeasured.kind };
    return {
      source,
      target,
      maxLag: r.maxLag,
      totalLag: r.totalLag,
      partitions: r.partitions.length,
      ...(r.unknown.length === 0 && r.maxLagMs !== undefined ? { maxLagSeconds: r.maxLagMs / 1000 } : {}),
      ...(r.unknown.length
        ? { unknown: r.unknown.slice(0, 20), unknownPartitions: r.unknown.filter((u) => u.of === 'records').length, unknownAges: r.unknown.filter((u) => u.of === 'seconds').length }
        : {}),
    };
  } catch (e) {
    return { source, target, error: errorMessage(e), errorKind: 'read-error' };
  }
}

/** The newest transcript of this runbook under `dir`, and how its run ended. */
export async function lastTranscript(dir: string, runbook: string): Promise<LastTranscript | undefined> {
  const folder = join(dir, runbook);
  let files: string[];
  try {
    files = readdirSync(folder).filter((f) => f.endsWith('.jsonl'));
  } catch {
    return undefined;
  }
  const newest = files.map((f) => ({ f, t: statSync(join(folder, f)).mtimeMs })).sort((a, b) => b.t - a.t)[0];
  if (!newest) return undefined;
  const path = join(folder, newest.f);
  try {
    const read = await readTranscript(path);
    const first = read.entries[0];
    const finished = [...read.entries].reverse().find((e) => e.type === 'run-finished');
    return {
      path,
      ...(first?.type === 'run-started' ? { action: first.action, operator: first.operator, startedAt: first.time } : {}),
      outcome: finished?.type === 'run-finished' ? finished.outcome : 'unfinished',
    };
  } catch {
    return { path };
  }
}

/** Phase, roles, lock, replication lag each way and the last transcript: what `failover status` shows. Reads only. */
export async function pairStatus(loaded: LoadedRunbook, opts: { transcriptsDir?: string; connections?: RunbookConnections } = {}): Promise<PairStatus> {
  const rb = loaded.runbook;
  const conns = opts.connections ?? new RunbookConnections(rb);
  const store = await PairStore.open(rb, (c) => conns.get(c));
  try {
    const view = await store.read();
    const roles = view.roles;
    const flows = [flowLag(loaded, conns, roles.primary, roles.secondary)];
    if (rb.link.reverse) flows.push(flowLag(loaded, conns, roles.secondary, roles.primary));
    const lag = await Promise.all(flows);
    // The newest transcript in the folder, else the one the clusters name (a run from another machine).
    const last = (await lastTranscript(opts.transcriptsDir ?? 'transcripts', rb.name)) ?? (view.phase.transcript ? { path: view.phase.transcript } : undefined);
    const writes = whereWritesGo(view);
    return {
      runbook: { name: rb.name, file: loaded.file },
      pair: { ids: view.identity.ids, ...(view.topic ? { topic: view.topic } : {}), ...(view.identity.problem ? { problem: `${view.identity.problem.message} (${view.identity.problem.hint})` } : {}) },
      phase: view.phase,
      recorded: view.recorded,
      roles,
      writer: writes.cluster,
      ...(writes.note ? { writerNote: writes.note } : {}),
      fences: Object.entries(view.fences).map(([cluster, f]) => ({
        cluster,
        acls: f.acls.length,
        ...(f.pending ? { pending: { since: f.pending.since, reason: f.pending.reason, clusterAnswers: view.identity.reach[cluster]?.ok === true } } : {}),
      })),
      hazards: pairHazards(view, loaded.file).map((text) => ({ severity: /NOT fenced|disagree|cannot be located|^the pair is .* by runbook/.test(text) ? ('fail' as const) : ('warn' as const), text })),
      homeRoles: { primary: rb.roles.primary, secondary: rb.roles.secondary },
      locks: view.locks,
      clusters: view.clusters,
      lag,
      ...(last ? { lastTranscript: last } : {}),
    };
  } finally {
    await store.close();
    if (!opts.connections) await conns.close();
  }
}
