import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labUp } from '../../../src/lab/lab.js';
import { labPaths, type LabSettings } from '../../../src/lab/labConfig.js';
import { labRunbook } from '../../../src/lab/labRunbook.js';
import { writeState } from '../../../src/lab/labState.js';
import { loadRunbook } from '../../../src/runbook/load.js';

const root = mkdtempSync(join(tmpdir(), 'failover-labrunbook-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function lab(name: string, extra: Partial<LabSettings>): LabSettings {
  const dir = join(root, name);
  mkdirSync(join(dir, 'passwords'), { recursive: true });
  mkdirSync(join(dir, 'tls'), { recursive: true });
  mkdirSync(join(dir, 'oauth'), { recursive: true });
  writeFileSync(join(dir, 'passwords/admin'), 'lab-admin-password');
  writeFileSync(join(dir, 'passwords/orders-svc'), 'lab-orders-svc-password');
  writeFileSync(join(dir, 'oauth/admin.token'), 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.');
  writeFileSync(join(dir, 'tls/ca.pem'), '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
  return { dir, kafkaVersion: '4.3.1', secure: false, ports: { east: 19892, west: 29892 }, topics: ['orders', 'payments'], groups: ['billing'], ...extra };
}

describe('the runbook a lab writes for its shape', () => {
  it('--brokers 3 --tls --sasl scram-sha-512: loads clean, with every node, the CA and the mechanism', async () => {
    const s = lab('scram512', { brokers: 3, tls: true, secure: true, sasl: 'scram-sha-512' });
    const file = labPaths(s.dir).runbook;
    writeFileSync(file, labRunbook(s));
    const r = await loadRunbook(file, { env: {} });
    expect(r.problems).toEqual([]);
    const east = r.runbook!.clusters.east!;
    expect(east.bootstrap).toEqual(['127.0.0.1:19892', '127.0.0.1:19895', '127.0.0.1:19898']);
    expect(east.auth?.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'admin', password: 'lab-admin-password' });
    expect(east.auth?.tls).toEqual({ ca: join(s.dir, 'tls/ca.pem') });
    expect(east.controllers?.bootstrap).toEqual(['127.0.0.1:19893', '127.0.0.1:19896', '127.0.0.1:19899']);
    expect(r.runbook!.actions.promote!.steps[0]!.type).toBe('fence-writes');
    expect(r.secrets.has('lab-admin-password')).toBe(true);
  });

  it('a 3-broker lab: a broker-down drill on one node of the primary, and a stale client the fence names', async () => {
    const s = lab('scram512-drill', { brokers: 3, tls: true, secure: true, sasl: 'scram-sha-512' });
    const file = labPaths(s.dir).runbook;
    writeFileSync(file, labRunbook(s, ['node', '/opt/failover/bin/failover.js']));
    const r = await loadRunbook(file, { env: {} });
    expect(r.problems).toEqual([]);
    const drill = r.runbook!.drill!;
    expect(Object.keys(drill.scenarios)).toEqual(['planned', 'broker-down', 'link-down']);
    expect(drill.scenarios['link-down']).toMatchObject({ kind: 'link-down', outcome: 'stopped', dwell: 2000, fault: { during: 'fence-writes', inject: ['node', '/opt/failover/bin/failover.js', 'lab', 'kill', 'mm2', '--dir', '.'] } });
    expect(drill.scenarios['broker-down']).toMatchObject({
      kind: 'broker-down',
      action: 'promote',
      dwell: 15_000,
      fault: {
        inject: ['node', '/opt/failover/bin/failover.js', 'lab', 'kill', '{{source.name}}-2', '--dir', '.'],
        recover: ['node', '/opt/failover/bin/failover.js', 'lab', 'up', '--dir', '.'],
      },
    });
    expect(drill.probe).toMatchObject({ staleTopic: 'orders', staleSasl: { mechanism: 'scram-sha-512', username: 'orders-svc', password: 'lab-orders-svc-password' } });
    // The fence denies orders-svc: no write to the demoted cluster is allowed.
    expect(drill.expect?.maxWritesToDemoted).toBeUndefined();
    expect(r.secrets.has('lab-orders-svc-password')).toBe(true);
  });

  it('--sasl oauthbearer: a token from the lab file, kept secret', async () => {
    const s = lab('oauth', { secure: true, sasl: 'oauthbearer' });
    const file = labPaths(s.dir).runbook;
    writeFileSync(file, labRunbook(s));
    const r = await loadRunbook(file, { env: {} });
    expect(r.problems).toEqual([]);
    expect(r.runbook!.clusters.west!.auth?.sasl).toEqual({ mechanism: 'oauthbearer', token: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.' });
    expect(r.secrets.has('eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.')).toBe(true);
  });

  it('a plain 1-broker lab: no auth, no fence', async () => {
    const s = lab('plain', {});
    const file = labPaths(s.dir).runbook;
    writeFileSync(file, labRunbook(s));
    const r = await loadRunbook(file, { env: {} });
    // A promote without a fence is warned about, as in lab.yaml: the plain lab has no principal to deny.
    expect(r.problems.map((p) => p.severity)).toEqual(['warning']);
    expect(r.runbook!.clusters.east!.auth).toBeUndefined();
    expect(r.runbook!.actions.promote!.steps.map((x) => x.type)).not.toContain('fence-writes');
    // One node per cluster: no broker-down; nothing can fence the stale client, so its writes to the demoted cluster are bounded.
    expect(Object.keys(r.runbook!.drill!.scenarios)).toEqual(['planned']);
    expect(r.runbook!.drill!.probe?.staleSasl).toBeUndefined();
    expect(r.runbook!.drill!.expect?.maxWritesToDemoted).toBe(100000);
  });

  it('--replication-policy identity: a MirrorMaker 2 link with identity naming, so workload topics keep their names on west', async () => {
    const s = lab('identity', { replicationPolicy: 'identity' });
    const file = labPaths(s.dir).runbook;
    writeFileSync(file, labRunbook(s));
    const r = await loadRunbook(file, { env: {} });
    expect(r.problems.map((p) => p.severity)).toEqual(['warning']);
    const link = r.runbook!.link;
    expect(link.kind === 'mirrormaker2' && link.replicationPolicy).toBe('identity');
    expect(r.runbook!.name).toBe('lab-1b-identity');
    // The default lab's runbook stays the default policy.
    writeFileSync(file, labRunbook(lab('default-policy', {})));
    const d = await loadRunbook(file, { env: {} });
    expect(d.runbook!.link.kind === 'mirrormaker2' && d.runbook!.link.replicationPolicy).toBe('default');
  });
});

describe('a lab keeps the shape it was made with', () => {
  it('refuses another shape before it starts anything, naming what differs', async () => {
    const s = lab('shape', { brokers: 3, tls: true, secure: true, sasl: 'scram-sha-512' });
    writeState(labPaths(s.dir).state, { version: 1, settings: s, processes: {}, clusterIds: {} });
    await expect(labUp({ dir: s.dir, brokers: 1 })).rejects.toThrow(/other settings \(brokers 3 -> 1\)/);
    await expect(labUp({ dir: s.dir, sasl: 'plain' })).rejects.toThrow(/SASL scram-sha-512 -> plain/);
    await expect(labUp({ dir: s.dir, replicationPolicy: 'identity', syncGroupOffsets: false })).rejects.toThrow(/replication policy default -> identity, group offset sync on -> off/);
  });

  it('a lab made before profiles reads as the 1-broker lab it is', async () => {
    const s = lab('legacy', { secure: true });
    writeState(labPaths(s.dir).state, { version: 1, settings: s, processes: {}, clusterIds: {} });
    await expect(labUp({ dir: s.dir, sasl: 'scram-sha-512' })).rejects.toThrow(/SASL scram-sha-256 -> scram-sha-512/);
    await expect(labUp({ dir: s.dir, tls: true })).rejects.toThrow(/plaintext -> TLS/);
  });
});
