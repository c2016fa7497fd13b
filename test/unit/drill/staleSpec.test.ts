import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { loadRunbook } from '../../../src/runbook/load.js';

/** runbooks/lab.yaml with its drill section changed, loaded as the CLI loads it. */
async function labWith(change: (drill: Record<string, unknown>) => void, env: Record<string, string> = {}) {
  const doc = parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'runbooks', 'lab.yaml'), 'utf8')) as { drill: Record<string, unknown> };
  change(doc.drill);
  const file = join(mkdtempSync(join(tmpdir(), 'failover-stale-')), 'lab.yaml');
  writeFileSync(file, stringify(doc));
  return loadRunbook(file, { env });
}

const probe = (d: Record<string, unknown>) => d.probe as Record<string, unknown>;

describe('drill.probe: the stale client in the runbook', () => {
  it('runs at 20 events/s on the probe topic unless the runbook says otherwise', async () => {
    const { runbook, problems } = await labWith(() => {});
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(runbook!.drill!.probe).toMatchObject({ staleRatePerSecond: 20 });
    expect(runbook!.drill!.probe!.staleTopic).toBeUndefined();
  });

  it('takes its own topic and SASL credentials, the password from the environment and registered as a secret', async () => {
    const { runbook, secrets } = await labWith((d) => {
      Object.assign(probe(d), { staleRatePerSecond: 5, staleTopic: 'orders', staleSasl: { mechanism: 'scram-sha-256', username: 'orders-svc', password: '${env:STALE_PW}' } });
    }, { STALE_PW: 'stale-secret-9' });
    expect(runbook!.drill!.probe).toMatchObject({ staleRatePerSecond: 5, staleTopic: 'orders', staleSasl: { mechanism: 'scram-sha-256', username: 'orders-svc', password: 'stale-secret-9' } });
    expect(secrets.has('stale-secret-9')).toBe(true);
  });

  it('refuses a negative rate, a bad topic name and an unknown mechanism, naming where', async () => {
    const { runbook, problems } = await labWith((d) => {
      Object.assign(probe(d), { staleRatePerSecond: -1, staleTopic: 'no spaces', staleSasl: { mechanism: 'kerberos', username: 'u', password: 'p' } });
    });
    expect(runbook).toBeUndefined();
    expect(problems.filter((p) => p.severity === 'error').map((p) => p.path).sort()).toEqual(['drill.probe.staleRatePerSecond', 'drill.probe.staleSasl.mechanism', 'drill.probe.staleTopic']);
  });

  it('warns of a bound on writes to the demoted cluster with no stale client to measure it', async () => {
    const { problems } = await labWith((d) => {
      probe(d).staleRatePerSecond = 0;
      (d.scenarios as Record<string, Record<string, unknown>>).planned!.expect = { maxWritesToDemoted: 3 };
    });
    expect(problems.filter((p) => p.path.includes('maxWritesToDemoted')).map((p) => [p.severity, p.path, p.message])).toEqual([
      ['warning', 'drill.expect.maxWritesToDemoted', 'a bound on writes to the demoted cluster, and no stale client to measure them (staleRatePerSecond is 0)'],
      ['warning', 'drill.scenarios.planned.expect.maxWritesToDemoted', 'a bound on writes to the demoted cluster, and no stale client to measure them (staleRatePerSecond is 0)'],
    ]);
    const running = await labWith(() => {});
    expect(running.problems.filter((p) => p.path.includes('maxWritesToDemoted'))).toEqual([]);
  });
});
