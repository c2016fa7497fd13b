import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rollbackGate } from '../../../src/gates/rollback.js';
import { gateResult } from '../../../src/gates/score.js';
import { REVERT_OK_START, revertOkTranscript } from '../transcript/revertOk.js';
import { contextOf, runbookOf, snapshot } from './fakeContext.js';

const FIXTURE = revertOkTranscript();
const DAY = 86_400_000;

function transcripts(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'failover-rollback-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, 'orders-east-west'), { recursive: true });
    writeFileSync(join(dir, 'orders-east-west', name), text);
  }
  return dir;
}

function freshReverse(now: number) {
  return snapshot('east', { topics: new Map([['west.heartbeats', { partitions: [0], internal: false }]]), heartbeats: { ok: true, value: new Map([['west.heartbeats', now - 2000]]) } });
}

async function score(opts: { now: number; dir: string; runbook?: ReturnType<typeof runbookOf> }) {
  const ctx = contextOf({ primary: freshReverse(opts.now), secondary: snapshot('west'), transcriptsDir: opts.dir, now: opts.now, ...(opts.runbook ? { runbook: opts.runbook } : {}) });
  const ev = await rollbackGate(ctx);
  return { ev, result: gateResult('rollback', ev, 0) };
}

describe('rollback gate', () => {
  const fixture = readFileSync(FIXTURE, 'utf8');

  it('a successful revert on record within rehearsedWithinDays earns 2', async () => {
    const dir = transcripts({ 'revert-ok.jsonl': fixture });
    const { result } = await score({ now: REVERT_OK_START + 4 * DAY, dir });
    expect(result.evidence.find((e) => e.check === 'rollback.rehearsal')).toMatchObject({ status: 'pass' });
    expect(result.score).toBe(2);
  });

  it('the same revert outside the window earns 1', async () => {
    const dir = transcripts({ 'revert-ok.jsonl': fixture });
    const { result } = await score({ now: REVERT_OK_START + 31 * DAY, dir });
    expect(result.score).toBe(1);
    expect(result.keyFinding).toMatch(/older than 30 days/);
  });

  it('an edited transcript does not count', async () => {
    const dir = transcripts({ 'revert-ok.jsonl': fixture.replace('"operator":"dana"', '"operator":"mallory"') });
    const { result } = await score({ now: REVERT_OK_START + DAY, dir });
    expect(result.score).toBe(1);
    expect(result.keyFinding).toMatch(/none counts \(its hash chain breaks at line 1/);
  });

  it('a revert of another runbook does not count', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'failover-rollback-'));
    copyFileSync(FIXTURE, join(dir, 'x.jsonl'));
    const { result } = await score({ now: REVERT_OK_START + DAY, dir, runbook: runbookOf({ name: 'payments-pair' }) });
    expect(result.keyFinding).toMatch(/no revert of payments-pair on record/);
  });

  it('no revert action scores 0', async () => {
    const rb = runbookOf({ actions: { promote: { steps: [{ 'fence-writes': { cluster: 'primary' } }, { 'switch-route': { to: 'secondary' } }] } } });
    const { result } = await score({ now: REVERT_OK_START, dir: '/nonexistent', runbook: rb });
    expect(result.score).toBe(0);
    expect(result.keyFinding).toMatch(/no revert action: nothing undoes promote's fence-writes east, switch-route to west/);
  });

  it('no reverse flow fails', async () => {
    const rb = runbookOf({
      link: { kind: 'mirrormaker2', aliases: { east: 'east', west: 'west' }, reverse: false },
      actions: {
        promote: { steps: [{ 'switch-route': { to: 'secondary' } }] },
        revert: { steps: [{ 'switch-route': { to: 'primary' } }] },
      },
    });
    const { ev } = await score({ now: REVERT_OK_START, dir: '/nonexistent', runbook: rb });
    expect(ev.find((e) => e.check === 'rollback.reverse-replication')).toMatchObject({ status: 'fail', finding: expect.stringMatching(/^no reverse flow/) });
  });
});
