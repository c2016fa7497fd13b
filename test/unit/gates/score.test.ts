import { describe, expect, it } from 'vitest';
import { GATE_NAMES } from '../../../src/runbook/gates.js';
import { gateError, gateResult, scoreEvidence, verdictOf } from '../../../src/gates/score.js';
import { CHECK_RESULT_VERSION, checkResult, gatesToRun, readinessOf } from '../../../src/gates/scorecard.js';
import type { Evidence, GateResult } from '../../../src/gates/types.js';
import { contextOf, runbookOf, snapshot, unreachable } from './fakeContext.js';

const e = (status: Evidence['status'], blocking?: boolean): Evidence => ({ check: `x.${status}`, status, finding: `${status} finding`, ...(blocking === undefined ? {} : { blocking }) });

describe('scoring', () => {
  it('0 when a blocking check fails, naming that finding', () => {
    expect(scoreEvidence([e('pass'), e('warn'), e('fail')])).toMatchObject({ score: 0, keyEvidence: { status: 'fail' } });
  });

  it('1 when blocking checks pass but something warns, is skipped, or a non-blocking check fails', () => {
    expect(scoreEvidence([e('pass'), e('warn')]).score).toBe(1);
    expect(scoreEvidence([e('pass'), e('skip')]).score).toBe(1);
    expect(scoreEvidence([e('pass'), e('fail', false)]).score).toBe(1);
  });

  it('the key finding of a 1 is the worst shortfall: a failed check, then a warning, then a skip', () => {
    expect(scoreEvidence([e('skip'), e('warn'), e('fail', false)]).keyEvidence?.status).toBe('fail');
    expect(scoreEvidence([e('skip'), e('warn')]).keyEvidence?.status).toBe('warn');
    expect(scoreEvidence([e('pass'), e('skip')]).keyEvidence?.status).toBe('skip');
  });

  it('2 only when everything passed', () => {
    expect(scoreEvidence([e('pass'), e('pass', false)])).toStrictEqual({ score: 2, keyEvidence: undefined });
  });

  it('each score has its verdict; cost is a report whatever its score', () => {
    expect(verdictOf('offsets', 2)).toBe('ready');
    expect(verdictOf('offsets', 1)).toBe('basic');
    expect(verdictOf('offsets', 0)).toBe('blocked');
    expect(verdictOf('cost', 0)).toBe('report');
    expect(gateResult('cost', [e('fail')], 1).verdict).toBe('report');
  });

  it('a gate result leads with the finding that keeps the score down, else the summary', () => {
    expect(gateResult('routing', [e('pass'), e('warn')], 7)).toStrictEqual({
      gate: 'routing',
      score: 1,
      verdict: 'basic',
      keyFinding: 'warn finding',
      evidence: [e('pass'), e('warn')],
      elapsedMs: 7,
    });
    expect(gateResult('routing', [e('pass')], 1, 'the alias resolves to east').keyFinding).toBe('the alias resolves to east');
    expect(gateResult('routing', [e('pass')], 1)).toMatchObject({ score: 2, verdict: 'ready', keyFinding: 'every check passed' });
  });

  it('a gate with no checks, or one that threw, scores 0', () => {
    expect(gateResult('routing', [], 1, 'unused summary')).toMatchObject({ score: 0, verdict: 'blocked', keyFinding: 'no checks ran' });
    expect(gateError('offsets', new Error('boom'), 3)).toStrictEqual({
      gate: 'offsets',
      score: 0,
      verdict: 'blocked',
      keyFinding: 'the offsets gate could not run: boom',
      evidence: [{ check: 'offsets.run', status: 'fail', finding: 'the offsets gate could not run: boom' }],
      elapsedMs: 3,
    });
    expect(gateError('routing', 'no route', 1).keyFinding).toBe('the routing gate could not run: no route');
  });
});

describe('readiness', () => {
  const g = (gate: GateResult['gate'], score: 0 | 1 | 2): GateResult => ({ gate, score, verdict: score === 0 ? 'blocked' : 'basic', keyFinding: `${gate} finding`, evidence: [], elapsedMs: 0 });

  it('is not ready when compatibility, offsets, routing or rollback scores 0', () => {
    const r = readinessOf([g('compatibility', 2), g('offsets', 0), g('routing', 1), g('rollback', 0), g('governance', 0)]);
    expect(r).toStrictEqual({
      ready: false,
      required: ['compatibility', 'offsets', 'routing', 'rollback'],
      blockedBy: ['offsets', 'rollback'],
      statement: 'not ready: compatibility, offsets, routing, rollback must not score 0; offsets scores 0 (offsets finding); rollback scores 0 (rollback finding)',
    });
  });

  it('when ready, says whether every required gate was checked', () => {
    const all = [g('compatibility', 2), g('offsets', 1), g('routing', 1), g('rollback', 1)];
    expect(readinessOf(all).statement).toBe('ready: compatibility, offsets, routing, rollback must not score 0, and none does');
    expect(readinessOf([g('routing', 1), g('offsets', 2)]).statement).toBe(
      'ready: compatibility, offsets, routing, rollback must not score 0, and none of those checked (routing, offsets) does',
    );
    expect(readinessOf([]).statement).toBe('ready: compatibility, offsets, routing, rollback must not score 0, and none of those checked (none) does');
  });

  it('governance at 0 alone does not block readiness, unless asked for by name; cost never does', () => {
    const gates = [g('compatibility', 2), g('offsets', 1), g('routing', 1), g('rollback', 1), g('governance', 0), g('cost', 0)];
    expect(readinessOf(gates).ready).toBe(true);
    expect(readinessOf(gates, ['governance'])).toMatchObject({ blockedBy: ['governance'], required: ['compatibility', 'offsets', 'routing', 'governance', 'rollback'] });
    expect(readinessOf(gates, ['cost'])).toMatchObject({ ready: true, required: ['compatibility', 'offsets', 'routing', 'rollback'] });
  });
});

describe('the check result', () => {
  it('runs the gates asked for in the registry order, or all of them', () => {
    expect(gatesToRun(['rollback', 'offsets'])).toEqual(['offsets', 'rollback']);
    expect(gatesToRun([])).toEqual([...GATE_NAMES]);
    expect(gatesToRun()).toEqual([...GATE_NAMES]);
  });

  it('names the runbook and both clusters, and carries the gates and the readiness they add up to', () => {
    const runbook = runbookOf();
    const ctx = contextOf({ runbook, primary: snapshot('east', { timings: { metadata: 12 } }), secondary: unreachable('west') });
    const gates = [{ gate: 'routing' as const, score: 0 as const, verdict: 'blocked' as const, keyFinding: 'the alias resolves nowhere', evidence: [], elapsedMs: 4 }];
    const result = checkResult({ runbook, runbookPath: 'orders.yaml', contentHash: 'abc123', gates: ['routing'] }, ctx, gates, 250);
    expect(result).toStrictEqual({
      version: CHECK_RESULT_VERSION,
      runbook: { name: 'orders-east-west', file: 'orders.yaml', sha256: 'abc123' },
      checkedAt: '2026-11-24T12:00:00.000Z',
      elapsedMs: 250,
      phase: ctx.phase,
      clusters: [
        { name: 'east', role: 'primary', bootstrap: ['east:9092'], reachable: true, clusterId: 'east-cluster-id', brokers: 1, timings: { metadata: 12 } },
        { name: 'west', role: 'secondary', bootstrap: ['west:9092'], reachable: false, error: 'west (west:9092): metadata of all topics: cannot connect (connect ECONNREFUSED)', timings: {} },
      ],
      gates,
      readiness: readinessOf(gates, ['routing']),
    });
    expect(result.readiness.blockedBy).toEqual(['routing']);
    expect(checkResult({ runbook, runbookPath: 'orders.yaml' }, ctx, [], 1).runbook).toStrictEqual({ name: 'orders-east-west', file: 'orders.yaml' });
  });
});
