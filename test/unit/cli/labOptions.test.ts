import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

describe("lab up on an existing lab takes its own ports unless told others", { timeout: 30_000 }, () => {
  // A stopped lab on other ports, as the tests and a second lab make; a shape change makes `up` refuse before it starts anything.
  const lab = join(dir, 'moved');
  mkdirSync(lab, { recursive: true });
  const settings = { dir: lab, kafkaVersion: '4.3.1', secure: false, ports: { east: 19880, west: 29880 }, topics: ['orders'], groups: ['billing'], withoutAuthorizer: [] };
  writeFileSync(join(lab, 'state.json'), JSON.stringify({ version: 1, settings, processes: {}, clusterIds: {} }));

  it('without --east-port/--west-port the ports are not a change', () => {
    const r = run(['lab', 'up', '--dir', lab, '--secure']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('was made with other settings (plain -> secure)');
  });

  it('other ports given are one', () => {
    const r = run(['lab', 'up', '--dir', lab, '--secure', '--east-port', '19092']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('was made with other settings (plain -> secure, ports)');
  });
});
