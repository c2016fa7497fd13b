import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderTranscriptMarkdown } from '../../../src/transcript/markdown.js';
import { parseTranscript, verifyChain } from '../../../src/transcript/reader.js';
import { TranscriptWriter } from '../../../src/transcript/writer.js';
import { clock, tmpFile } from './helpers.js';
import { revertOkTranscript } from './revertOk.js';

const FIXTURE = revertOkTranscript();

describe('renderTranscriptMarkdown', () => {
  const read = parseTranscript(readFileSync(FIXTURE));
  const md = renderTranscriptMarkdown(read.entries, { file: 'revert-ok.jsonl', chain: verifyChain(read) });

  it('opens with who ran what, where, when and how it ended', () => {
    expect(md.startsWith('# revert — orders-east-west\n')).toBe(true);
    expect(md).toContain('| runbook | `runbooks/orders-east-west.yaml` (sha256 `');
    expect(md).toContain('| operator | dana on ops-bastion-1 (pid 48213) |');
    expect(md).toContain('| tool | failover 0.1.0 |');
    expect(md).toContain('| started | 2026-11-20T14:00:00.000Z |');
    expect(md).toMatch(/\| finished \| 2026-11-20T14:00:\d\d\.\d{3}Z \(\d+\.\ds\) \|/);
    expect(md).toContain('| outcome | **ok** (exit 0): east is primary again; 3 of 3 steps verified |');
    expect(md).toMatch(/\| hash chain \| holds \(\d+ entries, last hash `[0-9a-f]{64}`\) \|/);
  });

  it('has a timeline row per entry', () => {
    const timeline = md.split('## Timeline')[1]!.split('\n## ')[0]!;
    expect(timeline.split('\n').filter((l) => /^\| \d+ \|/.test(l))).toHaveLength(read.entries.length);
  });

  it('shows each step with plan, confirmation, apply and verify', () => {
    expect(md).toContain('### 1. unfence-writes');
    expect(md).toContain('### 2. switch-route');
    expect(md).toContain('### 3. translate-offsets');
    expect(md).toContain('- **verified** (2026-11-20T14:00:');
    expect(md).toContain('pass — committed offsets on east equal the plan; no offset beyond the log end');
    expect(md).toContain('- **confirmed** (');
    expect(md).toContain('"maxReplay": 37');
  });

  it('lists gates and checks', () => {
    expect(md).toContain('| rollback | 1 | no | reverse replication fresh; no revert on record yet |');
    expect(md).toContain('| rollback | reverse-replication | pass | west->east MirrorMaker 2 flow is running; heartbeat 4s old |');
  });

  it('puts a stop, an override and an unfinished run in plain sight', () => {
    const path = tmpFile();
    const w = TranscriptWriter.create(path, { now: clock() });
    w.append({
      type: 'run-started',
      runbook: { path: 'r.yaml', name: 'r', sha256: 'c'.repeat(64) },
      action: 'promote',
      toolVersion: '0.1.0',
      operator: 'kim',
      host: 'h',
      pid: 7,
      argv: ['promote', 'r.yaml', '--override', 'offsets'],
    });
    w.append({ type: 'override', gate: 'offsets', score: 0, reason: 'east is down | lag cannot be read' });
    w.append({ type: 'step-planned', index: 0, step: 'wait-replication', plan: { maxLagRecords: 0 } });
    w.append({ type: 'stopped', reason: 'lag 412s is above lagSecondsAbove 300', criterion: 'lagSecondsAbove', index: 0, resumable: true });
    w.close();
    const out = renderTranscriptMarkdown(parseTranscript(readFileSync(path)).entries);
    expect(out).toContain('## Stopped');
    expect(out).toContain('- 2026-01-15T09:00:03.000Z at step 1: lag 412s is above lagSecondsAbove 300 (criterion `lagSecondsAbove`); resumable with `--resume`');
    expect(out).toContain('## Overrides');
    expect(out).toContain('- `offsets` (score 0) overridden at 2026-01-15T09:00:01.000Z: east is down | lag cannot be read');
    expect(out).toContain('| outcome | **unfinished**: no run-finished entry; last entry #4 (stopped)');
    expect(out).toContain('override offsets: east is down \\| lag cannot be read');
    expect(out).toContain('- **applied**: no');
  });

  it('warns when the chain is broken', () => {
    const out = renderTranscriptMarkdown(read.entries, { chain: { ok: false, entries: 3, lastHash: 'x', finished: false, firstBad: { line: 4, reason: 'edited' } } });
    expect(out).toContain('| hash chain | **broken** at line 4: edited; only the first 3 entries are trustworthy |');
  });
});
