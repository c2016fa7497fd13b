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

describe('routing.secondary-listeners on a cluster with a broker down', () => {
  const brokers = [
    { nodeId: 1, host: '127.0.0.1', port: 29092 },
    { nodeId: 2, host: '127.0.0.1', port: 29095 },
    { nodeId: 3, host: '127.0.0.1', port: 29098 },
  ];
  const base = { primary: snapshot('east'), secondary: snapshot('west', { brokers }) };
  const refuses2 = async (host: string, port: number) =>
    port === 29095
      ? { host, port, addresses: [host], resolved: true, connected: false, error: 'connect ECONNREFUSED', elapsedMs: 1 }
      : { host, port, addresses: [host], resolved: true, connected: true, elapsedMs: 1 };

  it('warns, naming the broker, once the controller has fenced it (it leaves the metadata), polling until it does', async () => {
    const sleeps: number[] = [];
    let polls = 0;
    const probes = fakeProbes({
      listener: refuses2,
      brokersNow: async () => (++polls < 4 ? [1, 2, 3] : [1, 3]),
      sleep: async (ms) => void sleeps.push(ms),
    });
    const ev = (await routingGate(contextOf({ ...base, probes })))[1]!;
    expect(ev).toMatchObject({ check: 'routing.secondary-listeners', status: 'warn' });
    expect(ev.finding).toBe('broker 2 (127.0.0.1:29095) of west down and fenced by its controller; 2 advertised listeners accept connections: 127.0.0.1:29092, 127.0.0.1:29098');
    expect(sleeps).toEqual([1000, 1000, 1000]);
  });

  it('fails when the refusing broker is still listed after the wait: a listener to fix, not a broker down', async () => {
    const sleeps: number[] = [];
    const probes = fakeProbes({ listener: refuses2, brokersNow: async () => [1, 2, 3], sleep: async (ms) => void sleeps.push(ms) });
    const ev = (await routingGate(contextOf({ ...base, probes })))[1]!;
    expect(ev).toMatchObject({ status: 'fail' });
    expect(ev.finding).toBe('advertised listeners of west unusable from here: 127.0.0.1:29095 (connect ECONNREFUSED)');
    expect(sleeps).toHaveLength(19);
  });

  it('fails at once when no listener accepts, and when the metadata cannot be read', async () => {
    let asked = 0;
    const none = fakeProbes({
      listener: async (host, port) => ({ host, port, addresses: [host], resolved: true, connected: false, error: 'connect ECONNREFUSED', elapsedMs: 1 }),
      brokersNow: async () => {
        asked++;
        return [];
      },
    });
    expect((await routingGate(contextOf({ ...base, probes: none })))[1]).toMatchObject({ status: 'fail' });
    expect(asked).toBe(0);
    const unread = fakeProbes({
      listener: refuses2,
      brokersNow: async () => {
        throw new Error('no answer');
      },
    });
    expect((await routingGate(contextOf({ ...base, probes: unread })))[1]).toMatchObject({ status: 'fail' });
  });
});
