import { describe, expect, it } from 'vitest';
import { isDone, progressOf } from '../../../src/engine/progress.js';
import type { TranscriptEntry } from '../../../src/transcript/entries.js';

let seq = 0;
const env = { v: 1 as const, time: '2026-01-01T00:00:00.000Z', hash: '' };
const e = (x: object) => ({ ...env, seq: ++seq, hash: `h${seq}`, ...x }) as unknown as TranscriptEntry;
const started = () => e({ type: 'run-started', runbook: { path: 'r', name: 'r', sha256: 'x' }, action: 'promote', toolVersion: '0', operator: 'o', host: 'h', pid: 1, argv: [] });
const plan = { summary: 's', details: [] };

describe('progress read back from a transcript', () => {
  it('takes the run id from the first entry and knows each step: planned, applied, verified', () => {
    seq = 0;
    const p = progressOf([
      started(),
      e({ type: 'confirmed', message: 'go?', via: 'flag' }),
      e({ type: 'step-planned', index: 0, step: 'fence-writes', plan }),
      e({ type: 'step-applied', index: 0, step: 'fence-writes', outcome: { summary: 'ok' } }),
      e({ type: 'step-verified', index: 0, step: 'fence-writes', status: 'pass', finding: 'f' }),
      e({ type: 'step-planned', index: 1, step: 'wait-replication', plan }),
      e({ type: 'step-applied', index: 1, step: 'wait-replication', outcome: { summary: 'ok' } }),
      e({ type: 'step-planned', index: 2, step: 'translate-offsets', plan }),
    ])!;
    expect(p.runId).toBe('h1');
    expect(p.confirmed).toBe(true);
    expect(isDone(p.steps.get(0))).toBe(true);
    expect(isDone(p.steps.get(1))).toBe(false);
    expect(p.steps.get(1)).toMatchObject({ applied: 1, outcome: { summary: 'ok' } });
    expect(p.steps.get(2)).toMatchObject({ applied: 0, plan });
    expect(isDone(p.steps.get(3))).toBe(false);
  });

  it('a failed verification is not done; a later pass is', () => {
    seq = 0;
    const entries = [
      started(),
      e({ type: 'step-planned', index: 0, step: 'wait-replication', plan }),
      e({ type: 'step-applied', index: 0, step: 'wait-replication', outcome: { summary: 'x' } }),
      e({ type: 'step-verified', index: 0, step: 'wait-replication', status: 'fail', finding: 'lags' }),
    ];
    expect(isDone(progressOf(entries)!.steps.get(0))).toBe(false);
    entries.push(e({ type: 'step-verified', index: 0, step: 'wait-replication', status: 'pass', finding: 'ok' }));
    expect(isDone(progressOf(entries)!.steps.get(0))).toBe(true);
  });

  it('a run refused before its confirmation is not confirmed (its gates run again on resume); no run-started, no progress', () => {
    seq = 0;
    const p = progressOf([started(), e({ type: 'gate', gate: 'offsets', score: 0 }), e({ type: 'run-finished', outcome: 'failed', exitCode: 1 })])!;
    expect(p.confirmed).toBe(false);
    expect(p.lastOutcome).toBe('failed');
    expect(progressOf([e({ type: 'note', text: 'x' })])).toBeUndefined();
  });
});
