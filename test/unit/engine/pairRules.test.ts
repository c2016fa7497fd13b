import { describe, expect, it } from 'vitest';
import { conflictOf, newLineage } from '../../../src/engine/lineage.js';
import { checkPair, checkPhase, pairHazards, whereWritesGo } from '../../../src/engine/phase.js';
import type { FenceRecord, PairView, PhaseRecord } from '../../../src/engine/state.js';

const roles = { primary: 'east', secondary: 'west' };
const rec = (phase: PhaseRecord['phase'], lineage: string[] | undefined, rev: number, extra: Partial<PhaseRecord> = {}) => ({ phase, roles, ...(lineage ? { lineage } : {}), rev, ...extra });

describe('which copy of the phase stands', () => {
  it('a copy that missed writes is an ancestor of the other: the newer stands, whichever cluster holds it', () => {
    const behind = { cluster: 'east', record: rec('promoting', ['a', 'b', 'c'], 3) };
    const ahead = { cluster: 'west', record: rec('promoted', ['a', 'b', 'c', 'd'], 4) };
    expect(conflictOf([behind, ahead])).toEqual({ winner: ahead });
    expect(conflictOf([ahead, behind])).toEqual({ winner: ahead });
    // The same write on both.
    const same = { cluster: 'east', record: rec('promoted', ['a', 'b', 'c', 'd'], 4) };
    expect(conflictOf([same, ahead]).conflict).toBeUndefined();
  });

  it('copies written on both sides of a partition descend from a common write but not from each other: a conflict naming both', () => {
    const east = { cluster: 'east', record: rec('promoted', ['a', 'x1', 'x2', 'x3'], 4, { operator: 'alice' }) };
    const west = { cluster: 'west', record: rec('promoted', ['a', 'y1', 'y2'], 3, { operator: 'bob' }) };
    const r = conflictOf([east, west]);
    expect(r.winner).toBeUndefined();
    expect(r.conflict).toEqual({ key: 'phase', copies: [east, west] });
    // Equal revisions, different writes: still a conflict.
    expect(conflictOf([{ cluster: 'east', record: rec('steady', ['a', 'b'], 2) }, { cluster: 'west', record: rec('steady', ['a', 'c'], 2) }]).conflict).toBeDefined();
  });

  it('a copy that descends from both (a resolve) stands over each; copies without lineage order by revision', () => {
    const resolved = { cluster: 'east', record: rec('promoted', ['a', 'x1', 'y1', 'r'], 4) };
    expect(conflictOf([resolved, { cluster: 'west', record: rec('promoted', ['a', 'y1'], 2) }])).toEqual({ winner: resolved });
    const old = { cluster: 'west', record: rec('steady', undefined, 5) };
    expect(conflictOf([{ cluster: 'east', record: rec('promoted', ['a', 'b', 'c'], 1) }, old])).toEqual({ winner: old });
    const lineaged = { cluster: 'east', record: rec('promoted', ['a', 'b', 'c'], 6) };
    expect(conflictOf([old, lineaged])).toEqual({ winner: lineaged });
    // An older copy that the newer does not descend from, though the older knows the newer's id: still one lineage.
    const knowsTop = { cluster: 'west', record: rec('steady', ['q', 'c', 'z'], 2) };
    expect(conflictOf([lineaged, knowsTop])).toEqual({ winner: lineaged });
    expect(conflictOf([])).toEqual({});
  });

  it('a new lineage keeps the prior one, adds one fresh id, and keeps the newest 32', () => {
    const first = newLineage(undefined);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatch(/^[0-9a-f]{12}$/);
    const next = newLineage({ phase: 'steady', roles, lineage: first });
    expect(next.slice(0, 1)).toEqual(first);
    expect(next[1]).not.toBe(first[0]);
    const long = newLineage({ phase: 'steady', roles, lineage: Array.from({ length: 40 }, (_, i) => `id${i}`) });
    expect(long).toHaveLength(32);
    expect(long[0]).toBe('id9');
    expect(long[30]).toBe('id39');
  });
});

function view(over: Partial<PairView> = {}): PairView {
  return {
    identity: { clusters: ['east', 'west'], ids: { east: 'E', west: 'W' }, source: { east: 'live', west: 'live' }, reach: { east: { ok: true, clusterId: 'E' }, west: { ok: true, clusterId: 'W' } }, topic: '__failover.pair.E.W', transactionalId: 't' },
    located: true,
    phase: { phase: 'steady', roles },
    recorded: true,
    roles,
    locks: [],
    fences: {},
    translated: {},
    anchors: {},
    clusters: [],
    topic: '__failover.pair.E.W',
    ...over,
  };
}

describe('what every action checks about the pair first', () => {
  it('a pair that cannot be located, copies that disagree, and another runbook\'s unfinished action each refuse, saying what to do', () => {
    expect(checkPair(view(), 'rb.yaml')).toEqual({ ok: true });
    const lost = view({ located: false, identity: { ...view().identity, problem: { message: 'east does not answer', hint: 'declare clusters.east.clusterId' } } });
    expect(checkPair(lost, 'rb.yaml')).toEqual({ ok: false, message: 'east does not answer', hint: 'declare clusters.east.clusterId' });
    const conflict = view({ conflict: { key: 'phase', copies: [{ cluster: 'east', record: { phase: 'promoted', roles, action: 'promote', operator: 'alice', host: 'h1' } }, { cluster: 'west', record: { phase: 'steady', roles, runbook: 'rb2' } }] } });
    const c = checkPair(conflict, 'rb.yaml');
    expect(c).toMatchObject({ ok: false, message: expect.stringContaining('east says promoted (promote by alice on h1); west says steady (no action of rb2)') });
    expect(c.ok || c.hint).toContain('failover resolve rb.yaml --keep <cluster>');
    const held = checkPair(view({ heldByRunbook: 'other', phase: { phase: 'promoting', roles, action: 'promote', runbook: 'other', transcript: '/t.jsonl' } }), 'rb.yaml');
    expect(held).toMatchObject({ ok: false, message: expect.stringContaining('the pair is promoting by runbook other (promote'), hint: expect.stringContaining('/t.jsonl') });
  });

  it('an abort in progress is resumed with abort, and a stuck action names both its resume and abort', () => {
    const aborting = checkPhase('promote', { phase: 'aborting', roles, transcript: '/a.jsonl', aborting: { phase: 'promoting', to: 'steady', roles, runId: 'r' } }, undefined, 'rb.yaml');
    expect(aborting).toMatchObject({ ok: false, hint: 'resume it with `failover abort rb.yaml --resume /a.jsonl`' });
    const stuck = checkPhase('revert', { phase: 'promoting', roles, transcript: '/p.jsonl' }, undefined, 'rb.yaml');
    expect(stuck.ok || stuck.hint).toBe('resume it with --resume /p.jsonl, or take the pair back to where it started with `failover abort rb.yaml`');
  });

  it('a pending fence is a danger on a cluster that answers, and a warning on one that does not, each naming failover fence', () => {
    const pending = (since: string): FenceRecord => ({ cluster: 'east', acls: [], pending: { producers: ['User:p'], topics: ['orders'], reason: 'east did not answer', since, runId: 'r' } });
    expect(pairHazards(view({ fences: { east: pending('T1') } }), 'rb.yaml')).toEqual([
      'east answers again and is NOT fenced: its fence is pending since T1 (east did not answer); apply it now: failover fence rb.yaml',
    ]);
    const down = view({ fences: { east: pending('T2') }, identity: { ...view().identity, reach: { east: { ok: false, error: 'refused' }, west: { ok: true, clusterId: 'W' } } } });
    expect(pairHazards(down, 'rb.yaml')).toEqual(['the fence of east is pending since T2: east does not answer; apply it the moment it returns: failover fence rb.yaml']);
    expect(pairHazards(view({ fences: { east: { cluster: 'east', acls: [] } } }), 'rb.yaml')).toEqual([]);
  });
});

describe('where producers write now', () => {
  it('steady and promoted: the phase says', () => {
    expect(whereWritesGo(view())).toEqual({ cluster: 'east' });
    expect(whereWritesGo(view({ phase: { phase: 'promoted', roles } }))).toEqual({ cluster: 'west' });
  });

  it('mid-promote: the route this run switched says, and a fence on the cluster the route names means nobody can write', () => {
    const promoting = { phase: 'promoting' as const, roles, runId: 'r1', action: 'promote' };
    const fenced = { east: { cluster: 'east', acls: [{ principal: 'User:p', host: '*', resourceType: 'Topic' as const, resourceName: 'o', patternType: 'LITERAL' as const, operation: 'Write' as const, permission: 'DENY' as const }] } };
    expect(whereWritesGo(view({ phase: promoting, fences: fenced }))).toEqual({
      cluster: 'east',
      note: 'promoting: the route still points at east, and east is fenced: producers cannot write anywhere until the action goes on or is aborted',
    });
    const switched = view({ phase: promoting, fences: fenced, route: { mode: 'file', to: 'west', previous: 'e', set: 'w', previousFor: 'east', runId: 'r1' } });
    expect(whereWritesGo(switched)).toEqual({ cluster: 'west', note: 'promoting: the promote in progress switched the route to west' });
    // A route record of an earlier run says nothing about this one.
    expect(whereWritesGo(view({ phase: promoting, route: { mode: 'file', to: 'west', previous: 'e', set: 'w', previousFor: 'east', runId: 'old' } })).cluster).toBe('east');
    expect(whereWritesGo(view({ phase: { phase: 'reverting', roles, runId: 'r2', action: 'revert' } })).cluster).toBe('west');
  });
});
