import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaConnection } from '../../../src/kafka/connection.js';
import { SECURE_LAB, cli } from '../labHarness.js';
import { connectAs, labPromote, pairSnapshot, preparedRunbook, type TestRunbook } from './actionLab.js';

/**
 * Defect 7 of issue 10, on the lab: a promote of a live, healthy pair whose
 * transcripts folder cannot be made. It spun for minutes under /proc and
 * crashed with "internal error: ENOTDIR" on a file. It must end at once
 * with exit 2 and the path, before it takes the lock or fences anything:
 * an action that cannot record what it does must not do it.
 */
const PROMPT_MS = 30_000;

describe('a promote that cannot write its transcript changes nothing on the pair', () => {
  let admin: { east: KafkaConnection; west: KafkaConnection };
  let rb: TestRunbook;

  beforeAll(async () => {
    admin = { east: connectAs(SECURE_LAB, 'east'), west: connectAs(SECURE_LAB, 'west') };
    rb = await preparedRunbook(SECURE_LAB, admin, labPromote());
  }, 300_000);

  afterAll(async () => {
    await admin.east.close();
    await admin.west.close();
  });

  const cases: [string, (dir: string) => string, (path: string) => string][] = [
    ['a folder under /proc', () => '/proc/forbidden', (p) => `cannot create the transcripts folder ${p}/`],
    [
      'a file',
      (dir) => {
        const f = join(dir, 'a-file');
        writeFileSync(f, 'not a folder\n');
        return f;
      },
      (p) => `${p} is a file, not a folder`,
    ],
  ];

  it.each(cases)('--transcripts naming %s: exit 2 within seconds, the path named, the pair as it was', async (_what, make, says) => {
    const path = make(mkdtempSync(join(tmpdir(), 'failover-fs-')));
    const before = await pairSnapshot(rb, admin);
    const t0 = Date.now();
    const r = await cli(['promote', rb.path, '--yes', '--transcripts', path], { env: rb.env, timeoutMs: PROMPT_MS });
    const ms = Date.now() - t0;
    expect(r.exitCode, r.all).toBe(2);
    expect(r.stderr).toContain(says(path));
    expect(r.stderr).toContain('--transcripts <dir>');
    expect(r.all).not.toContain('internal error');
    expect(ms, 'ends before the test would kill it').toBeLessThan(PROMPT_MS);
    // No lock, no phase, no fence, no commit, no route: the snapshot holds the state topic's records too.
    expect(await pairSnapshot(rb, admin)).toEqual(before);
  }, 120_000);
});
