import { describe, expect, it } from 'vitest';
import { routingGate } from '../../../src/gates/routing.js';
import { contextOf, fakeProbes, snapshot } from './fakeContext.js';

describe('routing gate', () => {
  const base = { primary: snapshot('east'), secondary: snapshot('west') };

  it('fails when the route reaches the secondary while the phase says the primary', async () => {
    const probes = fakeProbes({ readText: async () => 'bootstrap.servers=127.0.0.1:29092\n', clusterIdAt: async () => ({ clusterId: 'west-cluster-id' }) });
    const ev = await routingGate(contextOf({ ...base, probes }));
    expect(ev[0]).toMatchObject({ check: 'routing.route', status: 'fail' });
    expect(ev[0]!.finding).toMatch(/reaches west \(cluster id west-cluster-id\), but the phase \(steady\) says east is primary/);
  });

  it('passes when it reaches the primary, and names listeners that do not accept connections', async () => {
    const probes = fakeProbes({
      readText: async () => 'bootstrap.servers=127.0.0.1:19092\n',
      clusterIdAt: async () => ({ clusterId: 'east-cluster-id' }),
      listener: async (host, port) => ({ host, port, addresses: [host], resolved: true, connected: false, error: 'connect ECONNREFUSED', elapsedMs: 1 }),
    });
    const ev = await routingGate(contextOf({ ...base, probes }));
    expect(ev[0]).toMatchObject({ status: 'pass' });
    expect(ev[1]).toMatchObject({ check: 'routing.secondary-listeners', status: 'fail' });
    expect(ev[1]!.finding).toMatch(/127\.0\.0\.1:9092 \(connect ECONNREFUSED\)/);
  });
});
