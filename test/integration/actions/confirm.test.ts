import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaConnection } from '../../../src/kafka/connection.js';
import { parseTranscript } from '../../../src/transcript/reader.js';
import { SECURE_LAB, cli, repoRoot } from '../labHarness.js';
import { connectAs, onlyTranscript, pairSnapshot, preparedRunbook, type TestRunbook } from './actionLab.js';

/**
 * Everything but the state topic's bookkeeping: the lock records, which
 * taking and giving back the lock writes, and the run's chain anchor, which
 * pins its transcript (a refused run's too).
 */
function withoutLock(s: Awaited<ReturnType<typeof pairSnapshot>>) {
  const strip = (x: { exists: boolean; records: Record<string, unknown> }) => Object.fromEntries(Object.entries(x.records).filter(([k]) => k !== 'lock' && !k.startsWith('anchor/')));
  return { ...s, stateTopic: { east: strip(s.stateTopic.east as never), west: strip(s.stateTopic.west as never) } };
}

describe('confirmation', () => {
  let rb: TestRunbook;
  let admin: { east: KafkaConnection; west: KafkaConnection };
  beforeAll(async () => {
    admin = { east: connectAs(SECURE_LAB, 'east'), west: connectAs(SECURE_LAB, 'west') };
    rb = await preparedRunbook(SECURE_LAB, admin, {}, 10);
  });
  afterAll(async () => {
    await admin.east.close();
    await admin.west.close();
  });

  it('without a terminal and without --yes, an action refuses before anything (exit 2)', async () => {
    const before = await pairSnapshot(rb, admin);
    const r = await cli(['promote', rb.path, '--transcripts', join(rb.dir, 'none')], { env: rb.env });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--yes');
    expect(await pairSnapshot(rb, admin)).toEqual(before);
  });

  it('answering no at the prompt (on a pseudo-terminal) changes nothing and exits 3 with a resumable transcript', async () => {
    const before = await pairSnapshot(rb, admin);
    const dir = join(rb.dir, 'transcripts');
    const command = ['node', join(repoRoot, 'bin', 'failover.js'), 'promote', rb.path, '--transcripts', dir].map((a) => `'${a}'`).join(' ');
    // A pseudo-terminal made without a terminal around it has no size; give it one, or the prompt wraps at every character.
    const child = execa('script', ['-qefc', `stty cols 200 rows 50; ${command}`, '/dev/null'], { env: { ...process.env, ...rb.env, NO_COLOR: '1', TERM: 'xterm' }, reject: false, timeout: 60_000 });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/Run promote of/.test(out) && !out.includes('\u0000sent')) {
        out += '\u0000sent';
        child.stdin!.write('n');
      }
    });
    const r = await child;
    expect(r.exitCode, out).toBe(3);
    expect(out).toMatch(/did not confirm; nothing was changed/);

    const after = await pairSnapshot(rb, admin);
    expect(withoutLock(after)).toEqual(withoutLock(before));
    // The lock was taken and given back; the phase was never written.
    for (const c of ['east', 'west'] as const) {
      const recs = (after.stateTopic[c] as { records: Record<string, { holder: unknown }> }).records;
      expect(recs.lock?.holder ?? null).toBeNull();
      expect(recs.phase).toBeUndefined();
    }
    const entries = parseTranscript(readFileSync(onlyTranscript(dir, rb.name), 'utf8')).entries;
    expect(entries.filter((e) => e.type === 'step-applied')).toEqual([]);
    expect(entries.find((e) => e.type === 'stopped')).toMatchObject({ resumable: true });
    expect(entries.at(-1)).toMatchObject({ type: 'run-finished', outcome: 'stopped', exitCode: 3 });
  });
});
