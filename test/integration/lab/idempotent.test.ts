import { describe, expect, it } from 'vitest';
import { TEST_LAB, cli, labUpArgs } from '../labHarness.js';

interface Status {
  processes: { name: string; state: string; pid?: number; clusterId?: string }[];
  heartbeats: { flow: string; ageMs?: number }[];
}

describe('lab up on a running lab', () => {
  it('says so and changes nothing', async () => {
    const before = JSON.parse((await cli(['lab', 'status', '--dir', TEST_LAB.dir, '--json'])).stdout) as Status;
    const up = await cli(labUpArgs(TEST_LAB));
    expect(up.exitCode, up.all).toBe(0);
    expect(up.stdout).toContain('The lab is already running; nothing changed.');
    const after = JSON.parse((await cli(['lab', 'status', '--dir', TEST_LAB.dir, '--json'])).stdout) as Status;
    expect(after.processes.map((p) => [p.name, p.pid, p.clusterId])).toEqual(before.processes.map((p) => [p.name, p.pid, p.clusterId]));
    expect(after.heartbeats.map((h) => h.flow)).toEqual(['east->west', 'west->east']);
    for (const h of after.heartbeats) expect(h.ageMs).toBeLessThan(10_000);
  });

  it('lab logs prints the tail of a process log, and names the choices for an unknown one', async () => {
    const logs = await cli(['lab', 'logs', 'east', '--dir', TEST_LAB.dir, '-n', '5']);
    expect(logs.exitCode).toBe(0);
    const bad = await cli(['lab', 'logs', 'north', '--dir', TEST_LAB.dir]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('no lab process "north"');
  });
});
