import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { DrillResult } from '../../../src/drill/result.js';
import { TEST_LAB, cli, eventually, repoRoot, resetPairState } from '../labHarness.js';
import { drillRunbook } from './drillLab.js';

/**
 * Ctrl-C in the middle of a game day: the drill had no handler of its own,
 * so the first Ctrl-C ended the process with the primary still paused. Now
 * it stops where it is, recovers the fault, and reports what it measured,
 * with exit 130.
 */
const labState = async () => {
  const r = await cli(['lab', 'status', '--dir', TEST_LAB.dir, '--json']);
  return (JSON.parse(r.stdout) as { processes: { name: string; state: string }[] }).processes.find((p) => p.name === 'east')?.state;
};

describe('a drill interrupted with Ctrl-C', () => {
  beforeEach(() => resetPairState(TEST_LAB), 120_000);
  afterAll(async () => {
    // Whatever happened above, east must not stay paused for the next file.
    await cli(['lab', 'resume', 'east', '--dir', TEST_LAB.dir]);
  });

  it('during the dwell after the fault: the fault is recovered (east answers again), the report is written, exit 130', async () => {
    const rb = drillRunbook();
    const child = execa('node', [join(repoRoot, 'bin', 'failover.js'), 'drill', rb.path, '--scenario', 'primary-hung', '--yes', '--json', '--transcripts', rb.transcripts], {
      cwd: repoRoot,
      reject: false,
      env: { NO_COLOR: '1', ...rb.env },
      timeout: 300_000,
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    // The fault is in: east is paused, and the drill dwells 10 s before the promote.
    await eventually('the drill paused east', 120_000, async () => ((await labState()) === 'paused' ? true : undefined));
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode, `${stderr}\n${String(r.stdout)}`).toBe(130);
    expect(stderr).toContain('drill: interrupted; stopping, recovering the fault');
    const result = JSON.parse(String(r.stdout)) as DrillResult;
    expect(result.problem).toContain('interrupted (Ctrl-C)');
    expect(result.completed).toBe(false);
    expect(result.faults.map((f) => [f.label, f.ok])).toEqual([
      ['inject', true],
      ['recover', true],
    ]);
    // No promote was started after the interrupt.
    expect(result.actions).toEqual([]);
    expect(await labState()).toBe('running');
    expect(existsSync(result.files.transcript)).toBe(true);
  }, 400_000);
});
