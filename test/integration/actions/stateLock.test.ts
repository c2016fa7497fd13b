import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { RunbookConnections } from '../../../src/engine/connections.js';
import { acquireLock, LockHeldError, releaseLock } from '../../../src/engine/lock.js';
import { KEY, PairStore, type LockHolder } from '../../../src/engine/state.js';
import { readStateTopic } from '../../../src/kafka/stateTopic.js';
import { SECURE_LAB, resetPairState } from '../labHarness.js';
import { loadTestRunbook, writeTestRunbook } from './actionLab.js';

function holder(runId: string, operator: string): LockHolder {
  return { runId, action: 'promote', operator, host: 'host-' + operator, pid: 1, startedAt: new Date().toISOString(), transcript: `/tmp/${runId}.jsonl` };
}

describe('state topic and lock on the secure lab', () => {
  const closers: (() => Promise<void>)[] = [];
  beforeEach(() => resetPairState(SECURE_LAB));
  afterAll(async () => {
    for (const c of closers) await c();
  });

  async function storeFor(loaded: Awaited<ReturnType<typeof loadTestRunbook>>) {
    const conns = new RunbookConnections(loaded.runbook);
    const store = await PairStore.open(loaded.runbook, (c) => conns.get(c));
    closers.push(async () => {
      await store.close();
      await conns.close();
    });
    return { store, conns };
  }

  it('lets exactly one of two racing contenders take the lock, and names the holder to the other', async () => {
    const rb = writeTestRunbook(SECURE_LAB);
    const loaded = await loadTestRunbook(rb);
    const a = await storeFor(loaded);
    const b = await storeFor(loaded);
    const results = await Promise.allSettled([acquireLock(a.store, holder('run-a', 'alice')), acquireLock(b.store, holder('run-b', 'bob'))]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const err = (lost[0] as PromiseRejectedResult).reason as LockHeldError;
    expect(err).toBeInstanceOf(LockHeldError);
    const winner = results[0]!.status === 'fulfilled' ? 'alice' : 'bob';
    expect(err.message).toContain(winner);
    expect(err.message).toContain(`host-${winner}`);
    expect(err.exitCode).toBe(2);

    // Both clusters hold the winner's lock; the loser left nothing behind.
    for (const c of ['east', 'west']) {
      const snap = await readStateTopic(a.conns.get(c), a.store.topic!);
      expect((snap.get(KEY.lock)?.value as { holder: LockHolder }).holder.operator).toBe(winner);
    }

    // The loser cannot write; the winner can, and the record reads back merged.
    const [w, l] = winner === 'alice' ? [a, b] : [b, a];
    const wId = winner === 'alice' ? 'run-a' : 'run-b';
    const lId = winner === 'alice' ? 'run-b' : 'run-a';
    await expect(l.store.write(holder(lId, 'x'), [{ key: KEY.phase, value: { phase: 'promoting', roles: { primary: 'east', secondary: 'west' } } }])).rejects.toThrow(/held by/);
    await w.store.write(holder(wId, winner), [{ key: KEY.phase, value: { phase: 'promoting', roles: { primary: 'east', secondary: 'west' } } }]);
    const view = await l.store.read();
    expect(view.phase.phase).toBe('promoting');
    expect(view.recorded).toBe(true);

    // Released, the other takes it.
    await releaseLock(w.store, wId);
    await expect(acquireLock(l.store, holder(lId, 'late'))).resolves.toMatchObject({ held: ['east', 'west'] });
    await releaseLock(l.store, lId);
  });

  it('takes its own lock back (a resumed run) and reads nothing from a pair that never ran an action', async () => {
    const rb = writeTestRunbook(SECURE_LAB);
    const loaded = await loadTestRunbook(rb);
    const a = await storeFor(loaded);
    const view = await a.store.read();
    expect(view.located).toBe(true);
    expect(view.recorded).toBe(false);
    expect(view.phase).toMatchObject({ phase: 'steady', roles: { primary: 'east', secondary: 'west' } });
    expect(view.clusters.every((c) => c.reachable && !c.topicExists)).toBe(true);
    await acquireLock(a.store, holder('run-r', 'carol'));
    const again = await storeFor(loaded);
    await expect(acquireLock(again.store, { ...holder('run-r', 'carol'), pid: 2 })).resolves.toBeDefined();
    await expect(acquireLock(again.store, holder('run-other', 'dave'))).rejects.toThrow(/carol/);
    await releaseLock(again.store, 'run-r');
  });
});
