import { ExitCode, FailoverError, errorMessage } from '../errors.js';
import type { Phase, RolesInForce } from '../gates/types.js';
import type { Acl } from '../kafka/acls.js';
import type { KafkaConnection } from '../kafka/connection.js';
import {
  StateTopicWriter,
  ensureStateTopic,
  readStateTopic,
  stateTopicName,
  stateTransactionalId,
  type StateSnapshot,
  type StateWrite,
} from '../kafka/stateTopic.js';
import type { Runbook } from '../runbook/schema.js';
import type { RouteRecord } from '../steps/types.js';

/**
 * The pair's state on the clusters: the phase and the roles in force, the
 * lock, the fence ACLs each fence-writes created, and the last route switch.
 * Each cluster of the pair holds a full copy in its own state topic, so the
 * state stays readable and writable with either cluster down. Every record
 * carries a revision; reading takes, per key, the highest revision any
 * reachable cluster holds, and every write goes to every reachable cluster
 * with the next revision, so a cluster that missed writes while it was down
 * is brought up to date by the next one.
 *
 * The lock is the exception: it is per cluster and never merged (see lock.ts).
 */
export const KEY = {
  phase: 'phase',
  lock: 'lock',
  route: 'route',
  fence: (cluster: string) => `fence/${cluster}`,
} as const;

export interface PhaseRecord {
  phase: Phase;
  roles: RolesInForce;
  /** the action that set it, and its run */
  action?: string;
  runId?: string;
  transcript?: string;
  operator?: string;
  host?: string;
  time?: string;
}

export interface LockHolder {
  /** the hash of the run's first transcript entry: resuming that transcript takes the lock back */
  runId: string;
  action: string;
  operator: string;
  host: string;
  pid: number;
  startedAt: string;
  transcript: string;
}

export interface ClusterLock {
  cluster: string;
  holder: LockHolder | null;
}

export interface ClusterStateRead {
  cluster: string;
  reachable: boolean;
  error?: string;
  topicExists: boolean;
  /** highest revision on this cluster */
  rev: number;
}

export interface PairView {
  phase: PhaseRecord;
  /** false when no cluster holds a phase: the home roles in the steady phase are assumed */
  recorded: boolean;
  locks: ClusterLock[];
  fences: Record<string, Acl[]>;
  route?: RouteRecord;
  clusters: ClusterStateRead[];
  topic: string;
}

interface Stamped {
  rev: number;
  time: string;
  [k: string]: unknown;
}

function isStamped(v: unknown): v is Stamped {
  return v !== null && typeof v === 'object' && typeof (v as { rev?: unknown }).rev === 'number';
}

function maxRev(s: StateSnapshot): number {
  let m = 0;
  for (const v of s.values()) if (isStamped(v.value)) m = Math.max(m, v.value.rev);
  return m;
}

function strip<T>(v: Stamped): T {
  const { rev: _rev, ...rest } = v;
  return rest as T;
}

/** A cluster that failed is not asked again for this long (a dead broker costs a connection timeout per ask). */
const DOWN_FOR_MS = 30_000;

export class PairStore {
  readonly topic: string;
  readonly clusters: string[];
  readonly runbookName: string;
  private readonly writers = new Map<string, StateTopicWriter>();
  private readonly downUntil = new Map<string, number>();
  /** clusters known to hold the state topic: it is created at most once per process */
  private readonly hasTopic = new Set<string>();
  private lastRev = 0;
  private view: PairView | undefined;

  constructor(
    private readonly runbook: Runbook,
    private readonly connection: (cluster: string) => KafkaConnection,
  ) {
    this.topic = stateTopicName(runbook.name);
    this.runbookName = runbook.name;
    // Sorted, so every process takes the per-cluster locks in the same order.
    this.clusters = [...new Set([runbook.roles.primary, runbook.roles.secondary])].sort();
  }

  private isDown(cluster: string): boolean {
    return (this.downUntil.get(cluster) ?? 0) > Date.now();
  }

  private markDown(cluster: string): void {
    this.downUntil.set(cluster, Date.now() + DOWN_FOR_MS);
  }

  /** Reads every cluster's copy and merges them; never creates or writes anything. */
  async read(): Promise<PairView> {
    const reads = await Promise.all(
      this.clusters.map(async (cluster) => {
        if (this.isDown(cluster)) return { cluster, error: 'unreachable a moment ago' };
        try {
          const snap = await readStateTopic(this.connection(cluster), this.topic);
          return { cluster, snap };
        } catch (e) {
          this.markDown(cluster);
          return { cluster, error: errorMessage(e) };
        }
      }),
    );
    const view = this.merge(reads);
    this.view = view;
    return view;
  }

  private merge(reads: { cluster: string; snap?: StateSnapshot; error?: string }[]): PairView {
    const best = new Map<string, Stamped>();
    const locks: ClusterLock[] = [];
    const clusters: ClusterStateRead[] = [];
    for (const r of reads) {
      if (!r.snap) {
        clusters.push({ cluster: r.cluster, reachable: false, topicExists: false, rev: 0, ...(r.error ? { error: r.error } : {}) });
        continue;
      }
      const rev = maxRev(r.snap);
      this.lastRev = Math.max(this.lastRev, rev);
      clusters.push({ cluster: r.cluster, reachable: true, topicExists: r.snap.size > 0, rev });
      if (r.snap.size > 0) this.hasTopic.add(r.cluster);
      for (const [key, v] of r.snap) {
        if (key === KEY.lock) {
          const holder = (v.value as { holder?: LockHolder | null } | null)?.holder ?? null;
          locks.push({ cluster: r.cluster, holder });
          continue;
        }
        if (!isStamped(v.value)) continue;
        const prior = best.get(key);
        if (!prior || v.value.rev > prior.rev) best.set(key, v.value);
      }
    }
    const phaseRec = best.get(KEY.phase);
    const fences: Record<string, Acl[]> = {};
    for (const [key, v] of best) if (key.startsWith('fence/')) fences[key.slice('fence/'.length)] = (v.acls as Acl[] | undefined) ?? [];
    const route = best.get(KEY.route);
    return {
      phase: phaseRec ? strip<PhaseRecord>(phaseRec) : { phase: 'steady', roles: { primary: this.runbook.roles.primary, secondary: this.runbook.roles.secondary } },
      recorded: phaseRec !== undefined,
      locks,
      fences,
      ...(route ? { route: strip<RouteRecord>(route) } : {}),
      clusters,
      topic: this.topic,
    };
  }

  /** The last view read or written; reads when there is none. */
  async current(): Promise<PairView> {
    return this.view ?? (await this.read());
  }

  private writer(cluster: string): StateTopicWriter {
    let w = this.writers.get(cluster);
    if (!w) {
      w = new StateTopicWriter(this.connection(cluster), this.topic, stateTransactionalId(this.runbook.name));
      this.writers.set(cluster, w);
    }
    return w;
  }

  /**
   * Runs a compare-and-set on each reachable cluster in turn (in name
   * order). Returns each cluster's answer; clusters that cannot be reached
   * are reported, not thrown, unless none can be.
   */
  async onEachCluster<T>(
    what: string,
    decide: (cluster: string, current: StateSnapshot) => { write: StateWrite[]; result: T } | { refuse: T },
    opts: { create?: boolean; stopOnRefusal?: (r: T) => boolean } = {},
  ): Promise<{ results: { cluster: string; result: T }[]; unreachable: { cluster: string; error: string }[] }> {
    const results: { cluster: string; result: T }[] = [];
    const unreachable: { cluster: string; error: string }[] = [];
    for (const cluster of this.clusters) {
      if (this.isDown(cluster)) {
        unreachable.push({ cluster, error: 'unreachable a moment ago' });
        continue;
      }
      try {
        if (opts.create && !this.hasTopic.has(cluster)) {
          await ensureStateTopic(this.connection(cluster), this.topic);
          this.hasTopic.add(cluster);
        }
        const result = await this.writer(cluster).compareAndSet((snap) => decide(cluster, snap));
        results.push({ cluster, result });
        if (opts.stopOnRefusal?.(result)) break;
      } catch (e) {
        if (e instanceof FailoverError && /not authorized|authentication failed/.test(e.message)) throw e;
        this.markDown(cluster);
        unreachable.push({ cluster, error: errorMessage(e) });
      }
    }
    if (results.length === 0) {
      throw new FailoverError(`${what}: no cluster of the pair could be reached (${unreachable.map((u) => `${u.cluster}: ${u.error}`).join('; ')})`, {
        exitCode: ExitCode.usage,
        hint: 'the state of the pair lives on its clusters; at least one must answer',
      });
    }
    return { results, unreachable };
  }

  /**
   * Writes records to every reachable cluster, provided `runId` holds the
   * lock there (or the lock there is free: a cluster that was down when the
   * lock was taken joins it now). Refuses, on any cluster held by another
   * run, with that holder.
   */
  async write(runId: string, lockAs: LockHolder, records: { key: string; value: Record<string, unknown> | null }[]): Promise<void> {
    const time = new Date().toISOString();
    const rev = this.lastRev + 1;
    const { results } = await this.onEachCluster<{ ok: true } | { ok: false; holder: LockHolder }>(`write the state of ${this.runbook.name}`, (_cluster, snap) => {
      const holder = (snap.get(KEY.lock)?.value as { holder?: LockHolder | null } | null)?.holder ?? null;
      if (holder && holder.runId !== runId) return { refuse: { ok: false, holder } };
      const r = Math.max(rev, maxRev(snap) + 1);
      const writes: StateWrite[] = records.map((rec) => ({ key: rec.key, value: rec.value === null ? null : { ...rec.value, rev: r, time } }));
      if (!holder) writes.push({ key: KEY.lock, value: { holder: lockAs, time } });
      return { write: writes, result: { ok: true } };
    }, { create: true });
    const lost = results.find((r) => !r.result.ok);
    if (lost && !lost.result.ok) {
      const h = lost.result.holder;
      throw new FailoverError(`the lock of ${this.runbook.name} on ${lost.cluster} is held by ${h.operator}@${h.host} (${h.action}, since ${h.startedAt}); this run no longer holds it`, {
        exitCode: ExitCode.usage,
        hint: `that run's transcript: ${h.transcript}`,
      });
    }
    this.lastRev = rev;
    await this.read();
  }

  async close(): Promise<void> {
    await Promise.all([...this.writers.values()].map((w) => w.close()));
    this.writers.clear();
  }
}
