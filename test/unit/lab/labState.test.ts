import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readState } from '../../../src/lab/labState.js';

describe("the lab's state file", () => {
  it('names the folder it was read from as the lab, whatever --dir once recorded (a `lab up --dir .` from inside it)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'failover-labstate-'));
    const settings = { dir: '.', kafkaVersion: '4.3.1', secure: true, ports: { east: 1, west: 2 }, topics: [], groups: [] };
    writeFileSync(join(dir, 'state.json'), JSON.stringify({ version: 1, settings, processes: {}, clusterIds: {} }));
    expect(readState(join(dir, 'state.json'))?.settings.dir).toBe(dir);
  });

  it('knows no state of another version, and none that is not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'failover-labstate-'));
    writeFileSync(join(dir, 'v2.json'), JSON.stringify({ version: 2, settings: { dir: '.' } }));
    writeFileSync(join(dir, 'bad.json'), '{');
    expect(readState(join(dir, 'v2.json'))).toBeUndefined();
    expect(readState(join(dir, 'bad.json'))).toBeUndefined();
    expect(readState(join(dir, 'missing.json'))).toBeUndefined();
  });
});
