import { hostname } from 'node:os';
import { ExitCode, FailoverError } from '../errors.js';
import { KEY, holderOf, type LockHolder, type PairStore } from './state.js';

/**
 * One action per pair of clusters at a time, from any machine, whatever
 * runbook it runs.
 *
 * The lock is a record (`lock`) in the pair's state topic on each cluster,
 * naming the run that holds it: its id (the hash of its transcript's first
 * entry), runbook, operator, host, pid, start time and transcript. Taking it
 * is a compare-and-set (stateTopic.ts): under the pair's transactional id,
 * InitProducerId fences every other writer, the lock is read with
 * READ_COMMITTED, and it is written only if free or already ours; the commit
 * fails if anyone else initialised the id in between. So two operators
 * racing for a free lock cannot both win: whoever initialises second either
 * sees the winner's committed lock, or fences the other's uncommitted
 * attempt.
 *
 * We use the transactional id as the arbiter of each compare-and-set rather
 * than as the lease itself, because its fencing is "the newest wins": a
 * second operator's InitProducerId would silently take a bare lease from
 * the first. With the record as the lease, the second operator is refused
 * and told who holds it.
 *
 * An action needs the lock on BOTH clusters, taken in name order (two
 * contenders meet on the first cluster and never deadlock holding one
 * each). A cluster that cannot be reached cannot grant it, and a lock held
 * on one side only is no lock at all: two operators each cut off from a
 * different cluster would both proceed. So an action refuses unless the
 * operator declares the silent cluster down (--declare-down, with a reason,
 * recorded in the transcript and in the phase). When the partition heals,
 * the phase copies that both sides wrote do not descend from each other,
 * and every command names the conflict (state.ts, conflictOf).
 *
 * The lock has no expiry. A run that stops or fails releases it; one killed
 * outright keeps it, and `--resume` of its transcript (or `failover abort`
 * with it) takes it back. Nothing else can take it, so a half-done action
 * is never continued by someone who did not read its transcript.
 */
export class LockHeldError extends FailoverError {
  constructor(
    readonly holder: LockHolder,
    readonly cluster: string,
  ) {
    super(
      `the pair is locked by ${holder.operator} on ${holder.host} (pid ${holder.pid}), running ${holder.action}${holder.runbook ? ` of ${holder.runbook}` : ''} since ${holder.startedAt} (lock on ${cluster})`,
      {
        exitCode: ExitCode.usage,
        hint: `wait for that run to end; if it died, resume it with --resume ${holder.transcript} (on ${holder.host}), or take the pair back with \`failover abort <runbook>\`, which also frees a lock its run left behind`,
      },
    );
    this.name = 'LockHeldError';
  }
}

/** The lock cannot be taken on every cluster of the pair, and the silent ones were not declared down. */
export class PairIncompleteError extends FailoverError {
  constructor(readonly unreachable: { cluster: string; error: string }[]) {
    const names = unreachable.map((u) => u.cluster);
    super(
      `the lock of the pair must be held on both clusters, and ${unreachable.map((u) => `${u.cluster} does not answer (${u.error})`).join('; ')}`,
      {
        exitCode: ExitCode.usage,
        hint: `nothing was changed. If ${names.join(' and ')} ${names.length > 1 ? 'are' : 'is'} really down, say so: ${names.map((n) => `--declare-down ${n}`).join(' ')} --declare-reason "..." (recorded in the transcript and on the clusters); otherwise fix the connection and run again`,
      },
    );
    this.name = 'PairIncompleteError';
  }
}

export interface LockResult {
  /** clusters where this run now holds the lock */
  held: string[];
  /** clusters the operator declared down, acted without */
  declaredDown: string[];
}

/**
 * Takes the lock for `me` on every cluster of the pair but those declared
 * down; refuses (PairIncompleteError) when another cluster does not answer,
 * and throws LockHeldError naming the holder (after giving back what it
 * took) when another run holds it anywhere.
 */
export async function acquireLock(
  store: PairStore,
  me: LockHolder,
  declaredDown: ReadonlySet<string> = new Set(),
  takeOver?: { runId: string; confirm: (holder: LockHolder) => Promise<boolean> },
): Promise<LockResult> {
  const silent = store.clusters.flatMap((c) => {
    const r = store.identity.reach[c];
    return r && !r.ok && !declaredDown.has(c) ? [{ cluster: c, error: r.error }] : [];
  });
  if (silent.length > 0) throw new PairIncompleteError(silent);
  // `failover abort` may take the lock of the run it undoes (a killed run keeps it), once the operator says that run is gone.
  let mayReplace: string | undefined;
  if (takeOver) {
    const held = (await store.read()).locks.find((l) => l.holder?.runId === takeOver.runId)?.holder;
    if (held) {
      if (held.host === hostname() && processAlive(held.pid)) throw new LockHeldError(held, 'this host');
      if (!(await takeOver.confirm(held))) throw new LockHeldError(held, 'every cluster');
      mayReplace = takeOver.runId;
    }
  }
  const time = new Date().toISOString();
  const { results, unreachable } = await store.onEachCluster<{ ok: true } | { ok: false; holder: LockHolder }>(
    `lock ${store.topic}`,
    (_cluster, snap) => {
      const holder = holderOf(snap);
      if (holder && holder.runId !== me.runId && holder.runId !== mayReplace) return { refuse: { ok: false, holder } };
      return { write: [{ key: KEY.lock, value: { holder: me, time } }], result: { ok: true } };
    },
    { create: true, stopOnRefusal: (r) => !r.ok, skip: declaredDown },
  );
  const refused = results.find((r) => !r.result.ok);
  if (refused && !refused.result.ok) {
    if (results.some((r) => r.result.ok)) await releaseLock(store, me.runId);
    throw new LockHeldError(refused.result.holder, refused.cluster);
  }
  // A cluster that answered a moment ago and failed now: the lock is not whole.
  const lostNow = unreachable.filter((u) => !declaredDown.has(u.cluster));
  if (lostNow.length > 0) {
    await releaseLock(store, me.runId);
    throw new PairIncompleteError(lostNow);
  }
  return { held: results.map((r) => r.cluster), declaredDown: [...declaredDown] };
}

/** Gives the lock back on every reachable cluster where `runId` holds it. */
export async function releaseLock(store: PairStore, runId: string): Promise<void> {
  const time = new Date().toISOString();
  await store.onEachCluster<boolean>(`unlock ${store.topic}`, (_cluster, snap) => {
    const holder = holderOf(snap);
    if (!holder || holder.runId !== runId) return { refuse: false };
    return { write: [{ key: KEY.lock, value: { holder: null, releasedBy: runId, time } }], result: true };
  });
}

/** Whether a process of this host is still running (signal 0 asks without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
