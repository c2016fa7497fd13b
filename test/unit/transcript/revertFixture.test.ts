import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTranscript, verifyChain } from '../../../src/transcript/reader.js';
import { tmpFile } from './helpers.js';
import { revertOkTranscript, writeRevertOk } from './revertOk.js';

const FIXTURE = revertOkTranscript();

describe('fixture revert-ok.jsonl', () => {
  it('is the same bytes every time it is written (a fixed clock, so a stable chain)', () => {
    const fresh = tmpFile();
    writeRevertOk(fresh);
    const text = readFileSync(fresh, 'utf8');
    expect(readFileSync(FIXTURE, 'utf8')).toBe(text);
  });

  it('records a finished, successful, non-dry-run revert with a valid chain', () => {
    const read = parseTranscript(readFileSync(FIXTURE));
    expect(verifyChain(read)).toMatchObject({ ok: true, finished: true, entries: read.entries.length });
    const first = read.entries[0];
    const end = read.entries.at(-1);
    expect(first).toMatchObject({ type: 'run-started', action: 'revert', runbook: { name: 'orders-east-west' } });
    expect(first && 'dryRun' in first && first.dryRun).toBeFalsy();
    expect(end).toMatchObject({ type: 'run-finished', outcome: 'ok', exitCode: 0 });
    expect(read.entries.filter((e) => e.type === 'step-verified' && e.status === 'pass')).toHaveLength(3);
  });
});
