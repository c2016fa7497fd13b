import { describe, expect, it } from 'vitest';
import { checkPhase, gateRoles, writerIn } from '../../../src/engine/phase.js';

const roles = { primary: 'east', secondary: 'west' };

describe('which action may start in which phase', () => {
  it('promote needs steady; revert and continue-forward need promoted', () => {
    expect(checkPhase('promote', { phase: 'steady', roles }).ok).toBe(true);
    expect(checkPhase('revert', { phase: 'steady', roles })).toMatchObject({ ok: false, message: expect.stringContaining('needs the pair promoted') });
    expect(checkPhase('continue-forward', { phase: 'steady', roles }).ok).toBe(false);
    expect(checkPhase('revert', { phase: 'promoted', roles }).ok).toBe(true);
    expect(checkPhase('continue-forward', { phase: 'promoted', roles }).ok).toBe(true);
    expect(checkPhase('promote', { phase: 'promoted', roles }).ok).toBe(false);
  });

  it('an unfinished action blocks every other and names its transcript; only its own run may resume it', () => {
    const half = { phase: 'promoting' as const, roles, runId: 'r1', transcript: '/t/p.jsonl', operator: 'alice', host: 'h1' };
    const other = checkPhase('revert', half);
    expect(other).toMatchObject({ ok: false, message: expect.stringContaining('alice'), hint: expect.stringContaining('--resume /t/p.jsonl') });
    expect(checkPhase('promote', half).ok).toBe(false);
    expect(checkPhase('promote', half, 'r2').ok).toBe(false);
    expect(checkPhase('promote', half, 'r1').ok).toBe(true);
    // Died after recording its final phase: the same run may finish.
    expect(checkPhase('promote', { ...half, phase: 'promoted' }, 'r1').ok).toBe(true);
  });

  it('the writer is the secondary from promoted until the pair settles, and gates see it as primary', () => {
    expect(writerIn('steady', roles)).toBe('east');
    expect(writerIn('promoting', roles)).toBe('east');
    expect(writerIn('promoted', roles)).toBe('west');
    expect(gateRoles('promoted', roles)).toEqual({ primary: 'west', secondary: 'east' });
    expect(gateRoles('steady', roles)).toEqual(roles);
  });
});
