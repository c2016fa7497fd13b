import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeCluster } from '../../../src/kafka/clusterInfo.js';
import { describeTopicConfigs } from '../../../src/kafka/configs.js';
import { labConnections } from '../../../src/lab/lab.js';
import { labPaths } from '../../../src/lab/labConfig.js';
import { readLabSecrets } from '../../../src/lab/secrets.js';
import { ensureLabTls, keytoolFor } from '../../../src/lab/tls.js';
import { TLS_SCRAM512_LAB as LAB, cli, eventually, labUpArgs, startProfileLab } from '../labHarness.js';
import { tempDir } from '../gates/checkHarness.js';

/**
 * The production-shaped lab: `lab up --brokers 3 --tls --sasl scram-sha-512`.
 * Three combined KRaft nodes per cluster, SASL_SSL client listeners with the
 * lab's own CA, SCRAM-SHA-512 users and the StandardAuthorizer, and the
 * runbook the lab writes for its shape.
 */
describe('lab --brokers 3 --tls --sasl scram-sha-512', () => {
  const paths = labPaths(LAB.dir);
  let stop: () => Promise<void> = async () => {};
  let admin = '';

  beforeAll(async () => {
    stop = await startProfileLab(LAB);
    admin = readLabSecrets(paths.secrets)!.admin;
  }, 900_000);
  afterAll(async () => stop(), 120_000);

  it('runs three nodes per cluster and MirrorMaker 2, and says so', async () => {
    const r = await cli(['lab', 'status', '--dir', LAB.dir, '--json']);
    expect(r.exitCode, r.all).toBe(0);
    const d = JSON.parse(r.stdout) as { settings: Record<string, unknown>; processes: { name: string; state: string; cluster?: string }[] };
    expect(d.processes.map((p) => `${p.name}:${p.state}`)).toEqual(['east-1', 'east-2', 'east-3', 'west-1', 'west-2', 'west-3', 'mm2'].map((n) => `${n}:running`));
    expect(d.settings).toMatchObject({ brokers: 3, tls: true, secure: true, sasl: 'scram-sha-512' });
    const text = await cli(['lab', 'status', '--dir', LAB.dir]);
    expect(text.stdout).toContain('3 brokers per cluster, TLS, SASL/SCRAM-SHA-512 + ACLs');
  });

  it('replicates workload topics three ways with their leaders spread, min.insync.replicas=2', { timeout: 150_000 }, async () => {
    const { east, west } = labConnections(LAB.dir, 10_000);
    try {
      for (const conn of [east, west]) {
        const info = await describeCluster(conn);
        expect(info.brokers.map((b) => b.nodeId)).toEqual([1, 2, 3]);
        const a = await conn.admin();
        // Spread at creation; a node that restarted (a reused lab) gets its leaderships back within seconds.
        await eventually(`leaders of orders spread on ${conn.name}`, 60_000, async () => {
          const md = await a.metadata({ topics: ['orders'], forceUpdate: true });
          const parts = [...md.topics.get('orders')!.partitions.values()];
          expect(parts.every((p) => p.replicas.length === 3), JSON.stringify(parts)).toBe(true);
          return new Set(parts.map((p) => p.leader)).size === 3 ? true : undefined;
        });
        const cfg = (await describeTopicConfigs(conn, ['orders'], ['min.insync.replicas'])).get('orders');
        expect(cfg?.['min.insync.replicas']?.value).toBe('2');
      }
    } finally {
      await Promise.all([east.close(), west.close()]);
    }
  });

  it('wrote what its users need: the route at east, the CA, a runbook for its shape', () => {
    expect(readFileSync(join(paths.route, 'orders.properties'), 'utf8')).toBe(`bootstrap.servers=127.0.0.1:${LAB.eastPort},127.0.0.1:${LAB.eastPort + 3},127.0.0.1:${LAB.eastPort + 6}\n`);
    expect(readFileSync(paths.caPem, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(readFileSync(paths.runbook, 'utf8')).toContain('mechanism: scram-sha-512');
  });

  it('failover check of the lab runbook passes over TLS and SCRAM-SHA-512, and echoes no secret', async () => {
    const r = await eventually('check passes', 180_000, async () => {
      const c = await cli(['check', paths.runbook], { timeoutMs: 120_000 });
      return c.exitCode === 0 ? c : undefined;
    }).catch(async (e: Error) => {
      const last = await cli(['check', paths.runbook, '--verbose'], { timeoutMs: 120_000 });
      throw new Error(`${e.message}\n${last.all}`);
    });
    expect(r.all).not.toContain(admin);
  });

  describe('a runbook that gets the security wrong is exit 2, naming the cluster, with no secret echoed', () => {
    const original = () => readFileSync(paths.runbook, 'utf8');
    const variant = (name: string, text: string) => {
      // Beside the lab's runbook, so that its relative paths (passwords, CA, route) still resolve.
      const f = join(LAB.dir, `it-${name}.yaml`);
      writeFileSync(f, text);
      return f;
    };
    const expectRefused = (r: { exitCode: number; all: string }, what: RegExp) => {
      expect(r.exitCode, r.all).toBe(2);
      expect(r.all).toMatch(/\b(east|west)\b/);
      expect(r.all, r.all).toMatch(what);
      expect(r.all).not.toContain(admin);
    };

    it('a CA that did not sign the brokers', async () => {
      const other = tempDir('failover-other-ca-');
      await ensureLabTls({ dir: other, caPem: join(other, 'ca.pem'), keystore: join(other, 'broker.p12'), truststore: join(other, 'truststore.p12'), storePassword: join(other, 'store.password') }, keytoolFor('java'), 'some-other-ca');
      const f = variant('wrong-ca', original().replaceAll('ca: tls/ca.pem', `ca: ${join(other, 'ca.pem')}`));
      expectRefused(await cli(['check', f, '--gate', 'compatibility'], { timeoutMs: 120_000 }), /certificate|TLS/i);
    }, 120_000);

    it('a wrong password', async () => {
      const f = variant('wrong-password', original().replaceAll('${file:passwords/admin}', '${env:IT_WRONG_PASSWORD}'));
      const r = await cli(['check', f, '--gate', 'compatibility'], { env: { IT_WRONG_PASSWORD: 'not-the-admin-password-7' }, timeoutMs: 120_000 });
      expectRefused(r, /authenticat|credential|password/i);
      expect(r.all).not.toContain('not-the-admin-password-7');
    });

    it('a mechanism the brokers do not offer', async () => {
      const f = variant('wrong-mechanism', original().replaceAll('mechanism: scram-sha-512', 'mechanism: scram-sha-256'));
      expectRefused(await cli(['check', f, '--gate', 'compatibility'], { timeoutMs: 120_000 }), /mechanism|SCRAM|authenticat/i);
    });
  });

  it('lab kill east-2 kills one node: the others run on, and the cluster still answers', async () => {
    const k = await cli(['lab', 'kill', 'east-2', '--dir', LAB.dir]);
    expect(k.exitCode, k.all).toBe(0);
    expect(k.stdout).toMatch(/^killed east-2 \(pid \d+\)$/m);
    const s = await cli(['lab', 'status', '--dir', LAB.dir, '--json']);
    const d = JSON.parse(s.stdout) as { processes: { name: string; state: string }[] };
    expect(d.processes.filter((p) => p.state !== 'running').map((p) => p.name)).toEqual(['east-2']);
    const c = await cli(['check', paths.runbook, '--gate', 'compatibility'], { timeoutMs: 120_000 });
    expect(c.exitCode, c.all).not.toBe(2);
    // With the lab's own ports and options: `lab up --dir` alone takes the default ports, and refuses this lab.
    const up = await cli(labUpArgs(LAB), { timeoutMs: 600_000 });
    expect(up.exitCode, up.all).toBe(0);
    expect(up.all).toContain('starting east-2');
  }, 700_000);
});
