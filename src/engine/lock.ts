import { ExitCode, FailoverError } from '../errors.js';
import { KEY, type LockHolder, type PairStore } from './state.js';

/**
 * One action per runbook at a time, from any machine.
 *
 * The lock is a record (`lock`) in the state topic of each cluster of the
 * pair, naming the run that holds it: its id (the hash of its transcript's
 * first entry), operator, host, pid, start time and transcript. Taking it
 * is a compare-and-set (stateTopic.ts): under the runbook's transactional
 * id, InitProducerId fences every other writer, the lock is read with
 * READ_COMMITTED, and it is written only if free or already ours; the
 * commit fails if anyone else initialised the id in between. So two
 * operators racing for a free lock cannot both win: whoever initialises
 * second either sees the winner's committed lock, or fences the other's
 * uncommitted attempt.
 *
 * We use the transactional id as the arbiter of each compare-and-set rather
 * than as the lease itself, because its fencing is "the newest wins": a
 * second operator's InitProducerId would silently take a bare lease from
 * the first. With the record as the lease, the second operator is refused
 * and told who holds it; the holder notices nothing, since its next write
 * simply fences in turn and re-reads a lock that is still its own.
 *
 * Clusters are locked in name order, so two contenders meet on the first
 * cluster and never deadlock holding one each. A cluster that cannot be
 * reached is skipped (with the primary down, the secondary alone decides),
 * and joins the lock at the first state write that reaches it. The cost:
 * two operators each cut off from a different cluster could both proceed;
 * no lock on two clusters can prevent that without a third party.
 *
 * The lock has no expiry. A run that stops or fails releases it; one killed
 * outright keeps it, and `--resume` of its transcript takes it back (same
 * run id). Nothing else can take it, so a half-done action is never
 * continued by someone who did not read its transcript.
 */
export class LockHeldError extends FailoverError {
  constructor(
    readonly runbook: string,
    readonly holder: LockHolder,
    readonly cluster: string,
  ) {
    super(
      `${runbook} is locked by ${holder.operator} on ${holder.host} (pid ${holder.pid}), running ${holder.action} since ${holder.startedAt} (lock on ${cluster})`,
      {
        exitCode: ExitCode.usage,
        hint: `wait for that run to end; if it died, resume it with --resume ${holder.transcript} (on ${holder.host})`,
      },
    );
    this.name = 'LockHeldError';
  }
}

export interface LockResult {
  /** clusters where this run now holds the lock */
  held: string[];
  unreachable: { cluster: string; error: string }[];
}

/** Takes the lock for `me` on every reachable cluster, or throws LockHeldError naming the holder (after giving back what it took). */
export async function acquireLock(store: PairStore, me: LockHolder): Promise<LockResult> {
  const time = new Date().toISOString();
  const { results, unreachable } = await store.onEachCluster<{ ok: true } | { ok: false; holder: LockHolder }>(
    `lock ${store.topic}`,
    (_cluster, snap) => {
      const holder = (snap.get(KEY.lock)?.value as { holder?: LockHolder | null } | null)?.holder ?? null;
      if (holder && holder.runId !== me.runId) return { refuse: { ok: false, holder } };
      return { write: [{ key: KEY.lock, value: { holder: me, time } }], result: { ok: true } };
    },
    { create: true, stopOnRefusal: (r) => !r.ok },
  );
  const refused = results.find((r) => !r.result.ok);
  if (refused && !refused.result.ok) {
    if (results.some((r) => r.result.ok)) await releaseLock(store, me.runId);
    throw new LockHeldError(store.runbookName, refused.result.holder, refused.cluster);
  }
  return { held: results.map((r) => r.cluster), unreachable };
}

/** Gives the lock back on every reachable cluster where `runId` holds it. */
export async function releaseLock(store: PairStore, runId: string): Promise<void> {
  const time = new Date().toISOString();
  await store.onEachCluster<boolean>(`unlock ${store.topic}`, (_cluster, snap) => {
    const holder = (snap.get(KEY.lock)?.value as { holder?: LockHolder | null } | null)?.holder ?? null;
    if (!holder || holder.runId !== runId) return { refuse: false };
    return { write: [{ key: KEY.lock, value: { holder: null, releasedBy: runId, time } }], result: true };
  });
}
