import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rollbackGate } from '../../../src/gates/rollback.js';
import { gateResult } from '../../../src/gates/score.js';
import { REVERT_OK_START, revertOkTranscript } from '../transcript/revertOk.js';
import { NOW, contextOf, runbookOf, snapshot } from './fakeContext.js';

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

  describe('under identity naming (one flow at a time)', () => {
    const link = { kind: 'mirrormaker2' as const, replicationPolicy: 'identity' as const, aliases: { east: 'east', west: 'west' }, reverse: true, commands: { pause: ['./p.sh'], resume: ['./r.sh'] } };
    const beats = (name: string, topic: string, ageMs: number | undefined) =>
      snapshot(name, {
        topics: new Map(ageMs === undefined ? [] : [[topic, { partitions: [0], internal: false }]]),
        heartbeats: { ok: true, value: new Map(ageMs === undefined ? [] : [[topic, NOW - ageMs]]) },
      });
    async function reverse(opts: { promoted?: boolean; forwardAge?: number; backAge?: number; revert?: Record<string, unknown>[]; promote?: Record<string, unknown>[] }) {
      const rb = runbookOf({
        link,
        actions: {
          promote: { stopWhen: { lagSecondsAbove: 60 }, steps: opts.promote ?? [{ 'switch-route': { to: 'secondary' } }] },
          revert: { steps: opts.revert ?? [{ 'switch-route': { to: 'primary' } }, { 'translate-offsets': { direction: 'reverse' } }] },
        },
      });
      const east = beats('east', 'west.heartbeats', opts.backAge);
      const west = beats('west', 'east.heartbeats', opts.forwardAge);
      const ctx = contextOf({ runbook: rb, primary: opts.promoted ? west : east, secondary: opts.promoted ? east : west, now: NOW });
      const ev = await rollbackGate(ctx);
      return ev.find((e) => e.check === 'rollback.reverse-replication')!;
    }

    it('steady, nothing starts west->east: warns, naming the flow and what to do, rather than failing on its absence', async () => {
      const e = await reverse({ forwardAge: 1000 });
      expect(e.status).toBe('warn');
      expect(e.finding).toBe("identity naming: west->east cannot run beside east->west, and no step of this runbook starts it; a revert after a promote finds west's writes on east only once west->east runs");
      expect(e.hint).toMatch(/^after a promote, stop east->west, then start west->east with IdentityReplicationPolicy and wait until west\.heartbeats on east is fresh, then revert/);
    });

    it('steady, revert pauses east->west and resumes west->east before it reads west: passes, naming the steps', async () => {
      const e = await reverse({ forwardAge: 1000, revert: [{ 'pause-link': { direction: 'forward' } }, { 'resume-link': { direction: 'reverse' } }, { 'switch-route': { to: 'primary' } }] });
      expect(e.status).toBe('pass');
      expect(e.finding).toContain('revert starts it (pause-link forward at revert step 1, resume-link reverse at revert step 2)');
      const inPromote = await reverse({ forwardAge: 1000, promote: [{ 'switch-route': { to: 'secondary' } }, { 'pause-link': { direction: 'forward' } }], revert: [{ 'resume-link': { direction: 'reverse' } }] });
      expect(inPromote.finding).toContain('pause-link forward at promote step 2, resume-link reverse at revert step 1');
      // Resumed without east->west paused first: not a way back, it is a loop.
      const noPause = await reverse({ forwardAge: 1000, revert: [{ 'resume-link': { direction: 'reverse' } }] });
      expect(noPause.status).toBe('warn');
    });

    it('both flows fresh: fails, a loop', async () => {
      const e = await reverse({ forwardAge: 1000, backAge: 1000 });
      expect(e.status).toBe('fail');
      expect(e.hint).toBe('stop west->east now; keep east->west, which carries the writes east takes');
      const promoted = await reverse({ promoted: true, forwardAge: 1000, backAge: 1000 });
      expect(promoted.hint).toBe('stop east->west now; keep west->east, which carries the writes west takes');
    });

    it('promoted: west->east fresh passes; stale or missing fails unless revert starts it', async () => {
      expect((await reverse({ promoted: true, backAge: 2000 })).status).toBe('pass');
      const missing = await reverse({ promoted: true, forwardAge: 1000 });
      expect(missing.status).toBe('fail');
      expect(missing.finding).toBe("identity naming: west->east is not running (west.heartbeats on east does not exist), so a revert now would find none of west's writes on east");
      const stale = await reverse({ promoted: true, backAge: 600_000 });
      expect(stale.status).toBe('fail');
      expect(stale.finding).toContain('newest heartbeat in west.heartbeats on east is 600.0 s old');
      const started = await reverse({ promoted: true, revert: [{ 'pause-link': { direction: 'forward' } }, { 'resume-link': { direction: 'reverse' } }] });
      expect(started.status).toBe('warn');
      expect(started.finding).toMatch(/revert starts it/);
    });
  });
});
