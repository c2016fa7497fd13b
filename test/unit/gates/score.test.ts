import { describe, expect, it } from 'vitest';
import { gateError, gateResult, scoreEvidence } from '../../../src/gates/score.js';
import { readinessOf } from '../../../src/gates/scorecard.js';
import type { Evidence, GateResult } from '../../../src/gates/types.js';

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

  it('2 only when everything passed', () => {
    expect(scoreEvidence([e('pass'), e('pass', false)]).score).toBe(2);
  });

  it('a gate with no checks, or one that threw, scores 0', () => {
    expect(gateResult('routing', [], 1).score).toBe(0);
    const r = gateError('offsets', new Error('boom'), 1);
    expect(r).toMatchObject({ score: 0, verdict: 'blocked', keyFinding: 'the offsets gate could not run: boom' });
  });

  it('cost is a report whatever its score', () => {
    expect(gateResult('cost', [e('fail')], 1).verdict).toBe('report');
  });
});

describe('readiness', () => {
  const g = (gate: GateResult['gate'], score: 0 | 1 | 2): GateResult => ({ gate, score, verdict: score === 0 ? 'blocked' : 'basic', keyFinding: `${gate} finding`, evidence: [], elapsedMs: 0 });

  it('is not ready when compatibility, offsets, routing or rollback scores 0', () => {
    const r = readinessOf([g('compatibility', 2), g('offsets', 0), g('routing', 1), g('rollback', 1), g('governance', 0)]);
    expect(r.ready).toBe(false);
    expect(r.blockedBy).toEqual(['offsets']);
    expect(r.statement).toMatch(/compatibility, offsets, routing, rollback must not score 0; offsets scores 0 \(offsets finding\)/);
  });

  it('governance at 0 alone does not block readiness, unless asked for by name', () => {
    const gates = [g('compatibility', 2), g('offsets', 1), g('routing', 1), g('rollback', 1), g('governance', 0)];
    expect(readinessOf(gates).ready).toBe(true);
    expect(readinessOf(gates, ['governance']).blockedBy).toEqual(['governance']);
  });
});
