import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'failover-labopts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]) {
  if (!existsSync(join(ROOT, 'lib/cli.js'))) throw new Error('run `npm run build` first: these tests start the built CLI');
  return spawnSync(process.execPath, [join(ROOT, 'bin/failover.js'), ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
}

describe('lab up refuses a profile it does not run, before it starts anything', { timeout: 30_000 }, () => {
  it.each([
    [['--brokers', '2'], /--brokers 2: the lab runs 1 or 3 nodes per cluster\nhint: give --brokers 3/],
    [['--sasl', 'foo'], /--sasl foo: not a mechanism the lab runs\nhint: choose one of: scram-sha-256, scram-sha-512, plain, oauthbearer/],
    [['--replication-policy', 'x'], /--replication-policy x: not a policy the lab runs\nhint: choose default .* or identity/],
  ])('%s: exit 2 with a hint', (extra, message) => {
    const lab = join(dir, 'lab');
    const r = run(['lab', 'up', '--dir', lab, ...extra]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(existsSync(lab)).toBe(false);
  });

  it('lab kill/pause name what they can act on', () => {
    const r = run(['lab', 'pause', 'mm2', '--dir', join(dir, 'none')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('cannot pause "mm2"');
  });
});
