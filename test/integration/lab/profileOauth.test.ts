import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labPaths } from '../../../src/lab/labConfig.js';
import { OAUTH_LAB as LAB, cli, eventually, startProfileLab } from '../labHarness.js';

/**
 * `lab up --sasl oauthbearer`: Kafka's unsecured JWS tokens on the client
 * listener, failover authenticating with the token its runbook names.
 */
describe('lab --sasl oauthbearer', () => {
  const paths = labPaths(LAB.dir);
  let stop: () => Promise<void> = async () => {};
  beforeAll(async () => {
    stop = await startProfileLab(LAB);
  }, 900_000);
  afterAll(async () => stop(), 120_000);

  it('says its tokens are for labs only, and keeps them in 0600 files', async () => {
    const r = await cli(['lab', 'status', '--dir', LAB.dir]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain('SASL/OAUTHBEARER + ACLs');
    expect(r.stdout).toMatch(/unsecured tokens .* for labs only/);
    for (const user of ['admin', 'mm2', 'orders-svc', 'billing']) expect(statSync(paths.token(user)).mode & 0o777, user).toBe(0o600);
  });

  it('failover check of the lab runbook authenticates with the token, echoes no token, and its sessions do not re-authenticate in a loop', async () => {
    const token = readFileSync(paths.token('admin'), 'utf8');
    const r = await eventually('check passes', 120_000, async () => {
      const c = await cli(['check', paths.runbook], { timeoutMs: 120_000 });
      return c.exitCode === 0 ? c : undefined;
    }).catch(async (e: Error) => {
      const last = await cli(['check', paths.runbook, '--verbose'], { timeoutMs: 120_000 });
      throw new Error(`${e.message}\n${last.all}`);
    });
    expect(r.all).not.toContain(token);
    // The broker caps the session below what the client's re-authentication timer can hold (see templates.ts).
    expect(r.all).not.toMatch(/TimeoutOverflowWarning|ILLEGAL_SASL_STATE/);
  });

  it('a token for a user without ACLs authenticates and is refused by the authorizer, naming the cluster', async () => {
    const text = readFileSync(paths.runbook, 'utf8').replaceAll('${file:oauth/admin.token}', '${file:oauth/billing.token}');
    const f = `${LAB.dir}/it-billing.yaml`;
    writeFileSync(f, text);
    const r = await cli(['check', f, '--gate', 'governance'], { timeoutMs: 120_000 });
    expect(r.exitCode, r.all).not.toBe(0);
    expect(r.all).toMatch(/\b(east|west)\b/);
    expect(r.all).not.toContain(readFileSync(paths.token('billing'), 'utf8'));
  });
});
