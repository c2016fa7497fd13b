import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { KafkaConnection } from '../../../src/kafka/connection.js';
import { GENESIS_HASH, chainHash } from '../../../src/transcript/chain.js';
import { TEST_LAB, cli, resetPairState } from '../labHarness.js';
import { connectAs, newestTranscript, prepareWorkload, seedWorkload, writeRoute, writeTestRunbook, type TestRunbook } from './actionLab.js';

/**
 * Tamper evidence that holds (issue: the chain is unkeyed). A forger can
 * edit a line and recompute every hash, or cut the last lines; the chain
 * alone cannot tell. The clusters hold the run's chain head at every phase
 * change and after its closing entry, and `transcript verify --runbook`
 * checks the file against them.
 */
function rechain(lines: string[]): string {
  let prev = GENESIS_HASH;
  const out = lines.map((l) => {
    const { hash: _hash, ...rest } = JSON.parse(l) as Record<string, unknown>;
    const hash = chainHash(prev, rest);
    prev = hash;
    return JSON.stringify({ ...rest, hash });
  });
  return out.join('\n') + '\n';
}

describe('transcripts are anchored on the clusters', () => {
  let admin: { east: KafkaConnection; west: KafkaConnection };
  let rb: TestRunbook;
  let path: string;
  beforeAll(async () => {
    admin = { east: connectAs(TEST_LAB, 'east'), west: connectAs(TEST_LAB, 'west') };
    await resetPairState(TEST_LAB);
    rb = writeTestRunbook(TEST_LAB, { promote: ['wait-replication: { maxLagRecords: 0, timeout: 1m }', 'switch-route: { to: secondary }'] });
    await prepareWorkload(rb, admin);
    await seedWorkload(rb, admin, 5);
    writeRoute(rb, 'east');
    const p = await cli(['promote', rb.path, '--yes', '--transcripts', join(rb.dir, 'transcripts')], { env: rb.env, timeoutMs: 300_000 });
    if (p.exitCode !== 0) throw new Error(p.all);
    path = newestTranscript(join(rb.dir, 'transcripts'), rb.name);
  }, 600_000);
  beforeEach(() => undefined);
  afterAll(async () => {
    await admin.east.close();
    await admin.west.close();
  });
  const verify = (file: string, withRunbook: boolean) => cli(['transcript', 'verify', file, ...(withRunbook ? ['--runbook', rb.path] : [])], { env: rb.env, timeoutMs: 120_000 });

  it('the transcript as written verifies, alone and against the anchors', async () => {
    expect((await verify(path, false)).exitCode).toBe(0);
    const r = await verify(path, true);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(/anchors: entry \d+ matches the anchor on the clusters/);
  });

  it('a line edited with every hash recomputed passes the chain, and is caught against the anchors', async () => {
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    const i = lines.findIndex((l) => l.includes('"type":"step-verified"'));
    lines[i] = lines[i]!.replace(/"finding":"[^"]*"/, '"finding":"everything was fine"');
    const forged = join(rb.dir, 'forged.jsonl');
    writeFileSync(forged, rechain(lines));
    expect((await verify(forged, false)).exitCode).toBe(0);
    const r = await verify(forged, true);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/entry \d+ has hash \w+\.\.\. in the file and \w+\.\.\. on the clusters: the transcript was rewritten/);
  });

  it('a transcript cut before its end is incomplete alone, and caught against the anchors', async () => {
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    const cut = join(rb.dir, 'cut.jsonl');
    writeFileSync(cut, lines.slice(0, -3).join('\n') + '\n');
    const alone = await verify(cut, false);
    expect(alone.exitCode).toBe(1);
    expect(alone.stderr).toContain('incomplete');
    const r = await verify(cut, true);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/the clusters anchored this run at entry \d+ \(its closing entry\), and the file ends at entry \d+: entries were removed/);
  });
});
