import { ExitCode, FailoverError, errorMessage } from '../errors.js';
import type { Phase, RolesInForce } from '../gates/types.js';
import type { Acl } from '../kafka/acls.js';
import type { KafkaConnection } from '../kafka/connection.js';
import { ClusterUnreachableError, isAuthError, isAuthzError } from '../kafka/kafkaErrors.js';
import { StateTopicWriter, ensureStateTopic, readStateTopic, type StateSnapshot, type StateWrite } from '../kafka/stateTopic.js';
import type { Runbook } from '../runbook/schema.js';
import type { RouteRecord } from '../steps/types.js';
import { conflictOf } from './lineage.js';
import { PAIR_KEY, pairRecord, resolvePair, type PairIdentity, type PairRecordValue } from './pairIdentity.js';
export { newLineage } from './lineage.js';

/**
 * The pair's state on the clusters: the phase and the roles in force, the
 * lock, the fence ACLs each fence-writes created (or could not create yet),
 * the last route switch, the offsets translate-offsets committed, and the
 * hash-chain anchors of the runs. Each cluster of the pair holds a full copy
 * in its own state topic, keyed by the pair's cluster ids (pairIdentity.ts),
 * so the state stays readable and writable with either cluster down, and
 * every runbook on the same two clusters shares it.
 *
 * Every record carries a revision; reading takes, per key, the highest
 * revision any reachable cluster holds, and every write goes to every
 * reachable cluster with the next revision, so a cluster that missed writes
 * while it was down is brought up to date by the next one.
 *
 * The phase record also carries its lineage (the ids of the phase writes it
 * descends from). Two copies of which neither descends from the other were
 * written on both sides of a partition: that is a conflict, named and never
 * merged (see `conflictOf`).
 *
 * The lock is the exception: it is per cluster and never merged (see lock.ts).
 */
export const KEY = {
  pair: PAIR_KEY,
  phase: 'phase',
  lock: 'lock',
  roles: (runbook: string) => `roles/${runbook}`,
  route: (runbook: string) => `route/${runbook}`,
  fence: (runbook: string, cluster: string) => `fence/${runbook}/${cluster}`,
  translated: (runbook: string, cluster: string, group: string) => `translated/${runbook}/${cluster}/${group}`,
  anchor: (runId: string) => `anchor/${runId}`,
} as const;

/** An operator's statement that a cluster is down, made to act without its lock. */
export interface DeclaredDown {
  cluster: string;
  clusterId?: string;
  reason: string;
  /** how the cluster failed when it was probed */
  error: string;
  operator: string;
  host: string;
  time: string;
}

export interface PhaseRecord {
  phase: Phase;
  roles: RolesInForce;
  /** the runbook whose action set it: a phase other than steady belongs to that runbook */
  runbook?: string;
  /** the action that set it, and its run */
  action?: string;
  runId?: string;
  transcript?: string;
  operator?: string;
  host?: string;
  time?: string;
  /** while `aborting`: the phase being aborted, the one abort leads back to, and the run it undoes */
  aborting?: { phase: Phase; to: Phase; roles: RolesInForce; runId: string; transcript?: string };
  /** clusters the run that set this phase acted without, by the operator's declaration */
  declaredDown?: DeclaredDown[];
  /** the head of that run's transcript chain when the phase was written (transcript verify --runbook) */
  chainHead?: ChainAnchor;
  /** this write's id, then the ids of the phase writes it replaced, newest last */
  lineage?: string[];
}

export interface ChainAnchor {
  runId: string;
  seq: number;
  hash: string;
  finished: boolean;
  transcript?: string;
  time?: string;
}

/** A fence the pair records for one cluster: the ACLs fence-writes created there, and one it could not apply yet. */
export interface FenceRecord {
  cluster: string;
  acls: Acl[];
  /** set when the cluster could not be reached: the fence must be applied the moment it returns */
  pending?: PendingFence;
  runId?: string;
  transcript?: string;
}

export interface PendingFence {
  producers: string[];
  /** the workload topics as the runbook names them (patterns included) */
  topics: string[];
  reason: string;
  since: string;
  runId: string;
  transcript?: string;
}

/** What translate-offsets committed for a group on a cluster: the positions a later translation back compares with. */
export interface TranslatedRecord {
  cluster: string;
  group: string;
  commits: { topic: string; partition: number; offset: number }[];
  runId: string;
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
  /** the runbook the run belongs to */
  runbook?: string;
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

/** Two copies of the phase, each written without the other's knowledge. */
export interface StateConflict {
  key: string;
  copies: { cluster: string; record: PhaseRecord }[];
}

export interface PairView {
  identity: PairIdentity;
  /** false when the pair's state cannot be located (identity.problem says why) */
  located: boolean;
  /** the pair's phase record (the home roles in the steady phase when none is recorded) */
  phase: PhaseRecord;
  /** false when no cluster holds a phase */
  recorded: boolean;
  /** the roles in force for this runbook */
  roles: RolesInForce;
  /** a phase other than steady that another runbook's action set */
  heldByRunbook?: string;
  locks: ClusterLock[];
  /** this runbook's fences, by cluster */
  fences: Record<string, FenceRecord>;
  route?: RouteRecord;
  /** this runbook's translated commits, by `<cluster>/<group>` */
  translated: Record<string, TranslatedRecord>;
  anchors: Record<string, ChainAnchor>;
  conflict?: StateConflict;
  clusters: ClusterStateRead[];
  topic?: string;
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

export function holderOf(snap: StateSnapshot): LockHolder | null {
  return (snap.get(KEY.lock)?.value as { holder?: LockHolder | null } | null)?.holder ?? null;
}

export class PairStore {
  readonly runbookName: string;
  readonly clusters: string[];
  private readonly writers = new Map<string, StateTopicWriter>();
  /** clusters known to hold the state topic: it is created at most once per process */
  private readonly hasTopic = new Set<string>();
  private lastRev = 0;
  private view: PairView | undefined;

  private constructor(
    private readonly runbook: Runbook,
    private readonly connection: (cluster: string) => KafkaConnection,
    readonly identity: PairIdentity,
  ) {
    this.runbookName = runbook.name;
    // Sorted, so every process takes the per-cluster locks in the same order.
    this.clusters = identity.clusters;
  }

  /** Finds the pair (asks each cluster for its id, once) and returns a store over its state. */
  static async open(runbook: Runbook, connection: (cluster: string) => KafkaConnection, knownIds?: Readonly<Record<string, string>>): Promise<PairStore> {
    return new PairStore(runbook, connection, await resolvePair(runbook, connection, knownIds));
  }

  get topic(): string | undefined {
    return this.identity.topic;
  }

  /** Throws, saying why, when the pair's state cannot be located. */
  requireLocated(): string {
    if (this.identity.topic) return this.identity.topic;
    const p = this.identity.problem ?? { message: 'the pair cannot be located', hint: 'check the runbook' };
    throw new FailoverError(p.message, { exitCode: ExitCode.usage, hint: p.hint });
  }

  private reachable(cluster: string): boolean {
    return this.identity.reach[cluster]?.ok === true;
  }

  /** Reads every reachable cluster's copy and merges them; never creates or writes anything. */
  async read(): Promise<PairView> {
    const topic = this.identity.topic;
    const reads = await Promise.all(
      this.clusters.map(async (cluster) => {
        const r = this.identity.reach[cluster];
        if (!r?.ok) return { cluster, error: r && !r.ok ? r.error : 'not asked' };
        if (!topic) return { cluster, snap: new Map() as StateSnapshot };
        try {
          return { cluster, snap: await readStateTopic(this.connection(cluster), topic) };
        } catch (e) {
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
    const phases: { cluster: string; record: PhaseRecord & { rev?: number } }[] = [];
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
          locks.push({ cluster: r.cluster, holder: holderOf(r.snap) });
          continue;
        }
        if (!isStamped(v.value)) continue;
        if (key === KEY.phase) phases.push({ cluster: r.cluster, record: v.value as unknown as PhaseRecord & { rev: number } });
        const prior = best.get(key);
        if (!prior || v.value.rev > prior.rev) best.set(key, v.value);
      }
    }
    const rb = this.runbook;
    const { conflict } = conflictOf(phases);
    const phaseRec = best.get(KEY.phase);
    const home = { primary: rb.roles.primary, secondary: rb.roles.secondary };
    const phase: PhaseRecord = phaseRec ? strip<PhaseRecord>(phaseRec) : { phase: 'steady', roles: home };
    const ownRoles = best.get(KEY.roles(rb.name));
    const mine = phase.runbook === undefined || phase.runbook === rb.name;
    const roles: RolesInForce = mine && phaseRec ? phase.roles : ownRoles ? (strip<{ roles: RolesInForce }>(ownRoles).roles ?? home) : home;
    const fences: Record<string, FenceRecord> = {};
    const translated: Record<string, TranslatedRecord> = {};
    const anchors: Record<string, ChainAnchor> = {};
    const fencePrefix = `fence/${rb.name}/`;
    const translatedPrefix = `translated/${rb.name}/`;
    for (const [key, v] of best) {
      if (key.startsWith(fencePrefix)) {
        const f = strip<FenceRecord>(v);
        fences[key.slice(fencePrefix.length)] = { ...f, acls: f.acls ?? [] };
      } else if (key.startsWith(translatedPrefix)) translated[key.slice(translatedPrefix.length)] = strip<TranslatedRecord>(v);
      else if (key.startsWith('anchor/')) anchors[key.slice('anchor/'.length)] = strip<ChainAnchor>(v);
    }
    const route = best.get(KEY.route(rb.name));
    return {
      identity: this.identity,
      located: this.identity.topic !== undefined,
      phase,
      recorded: phaseRec !== undefined,
      roles,
      ...(!mine && phase.phase !== 'steady' && phase.runbook ? { heldByRunbook: phase.runbook } : {}),
      locks,
      fences,
      ...(route ? { route: strip<RouteRecord>(route) } : {}),
      translated,
      anchors,
      ...(conflict ? { conflict } : {}),
      clusters,
      ...(this.identity.topic ? { topic: this.identity.topic } : {}),
    };
  }

  /** The last view read or written; reads when there is none. */
  async current(): Promise<PairView> {
    return this.view ?? (await this.read());
  }

  private writer(cluster: string): StateTopicWriter {
    let w = this.writers.get(cluster);
    if (!w) {
      w = new StateTopicWriter(this.connection(cluster), this.requireLocated(), this.identity.transactionalId!);
      this.writers.set(cluster, w);
    }
    return w;
  }

  /**
   * Runs a compare-and-set on each cluster in turn (in name order), skipping
   * those that did not answer when the pair was resolved and those in
   * `skip`. Returns each cluster's answer; clusters that fail now are
   * reported, not thrown, unless none answers.
   */
  async onEachCluster<T>(
    what: string,
    decide: (cluster: string, current: StateSnapshot) => { write: StateWrite[]; result: T } | { refuse: T },
    opts: { create?: boolean; stopOnRefusal?: (r: T) => boolean; skip?: ReadonlySet<string> } = {},
  ): Promise<{ results: { cluster: string; result: T }[]; unreachable: { cluster: string; error: string }[] }> {
    const topic = this.requireLocated();
    const results: { cluster: string; result: T }[] = [];
    const unreachable: { cluster: string; error: string }[] = [];
    for (const cluster of this.clusters) {
      if (opts.skip?.has(cluster)) continue;
      const r = this.identity.reach[cluster];
      if (!this.reachable(cluster)) {
        unreachable.push({ cluster, error: r && !r.ok ? r.error : 'unreachable' });
        continue;
      }
      try {
        if (opts.create && !this.hasTopic.has(cluster)) {
          await ensureStateTopic(this.connection(cluster), topic);
          this.hasTopic.add(cluster);
        }
        const result = await this.writer(cluster).compareAndSet((snap) => decide(cluster, snap));
        results.push({ cluster, result });
        if (opts.stopOnRefusal?.(result)) break;
      } catch (e) {
        // Refused credentials or a missing ACL are the operator's to fix, on either cluster: never read as "unreachable".
        if (isAuthError(e) || isAuthzError(e) || (e instanceof ClusterUnreachableError && e.reason === 'auth')) throw e;
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
   * Writes records to every reachable cluster, provided `lockAs` holds the
   * lock there (or the lock there is free: a cluster that was declared down
   * and came back joins it now). Refuses, on any cluster held by another
   * run, with that holder. The `pair` record is kept up to date with every
   * write, so that either cluster can later find the other's id.
   */
  async write(lockAs: LockHolder, records: { key: string; value: Record<string, unknown> | null }[], opts: { lock?: boolean } = {}): Promise<void> {
    const time = new Date().toISOString();
    const rev = this.lastRev + 1;
    const ids = this.identity.ids;
    const { results } = await this.onEachCluster<{ ok: true } | { ok: false; holder: LockHolder }>(`write the state of the pair`, (_cluster, snap) => {
      const holder = holderOf(snap);
      if (holder && holder.runId !== lockAs.runId) return { refuse: { ok: false, holder } };
      const r = Math.max(rev, maxRev(snap) + 1);
      const writes: StateWrite[] = records.map((rec) => ({ key: rec.key, value: rec.value === null ? null : { ...rec.value, rev: r, time } }));
      writes.push({ key: KEY.pair, value: { ...pairRecord(this.runbook, ids, snap.get(KEY.pair)?.value as PairRecordValue | undefined), rev: r, time } });
      if (!holder && opts.lock !== false) writes.push({ key: KEY.lock, value: { holder: lockAs, time } });
      return { write: writes, result: { ok: true } };
    }, { create: true });
    const lost = results.find((r) => !r.result.ok);
    if (lost && !lost.result.ok) {
      const h = lost.result.holder;
      throw new FailoverError(`the lock of the pair on ${lost.cluster} is held by ${h.operator}@${h.host} (${h.action}${h.runbook ? ` of ${h.runbook}` : ''}, since ${h.startedAt}); this run no longer holds it`, {
        exitCode: ExitCode.usage,
        hint: `that run's transcript: ${h.transcript}`,
      });
    }
    this.lastRev = rev;
    await this.read();
  }

  /**
   * Writes a run's chain anchor where the lock is free or the run's own,
   * without taking the lock (the run has given it back before its closing
   * entry). A cluster held by another run is left alone.
   */
  async anchor(me: LockHolder, anchor: ChainAnchor): Promise<void> {
    const time = new Date().toISOString();
    await this.onEachCluster<boolean>('anchor the transcript', (_cluster, snap) => {
      const holder = holderOf(snap);
      if (holder && holder.runId !== me.runId) return { refuse: false };
      return { write: [{ key: KEY.anchor(me.runId), value: { ...anchor, time, rev: Math.max(this.lastRev + 1, maxRev(snap) + 1) } }], result: true };
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.writers.values()].map((w) => w.close()));
    this.writers.clear();
  }
}
