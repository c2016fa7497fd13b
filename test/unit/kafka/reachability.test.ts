import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaConnection } from '../../../src/kafka/connection.js';
import { ClusterUnreachableError } from '../../../src/kafka/kafkaErrors.js';
import { RunbookConnections } from '../../../src/engine/connections.js';
import type { Runbook } from '../../../src/runbook/schema.js';

/**
 * A listener that accepts connections and never answers: what a paused
 * (SIGSTOP) broker looks like from a client, since the kernel still
 * completes the TCP handshake. The lab tests pause a real broker; this one
 * measures the connection's own deadlines in isolation.
 */
interface Silent {
  port: number;
  accepted: () => number;
  close: () => Promise<void>;
}

async function silentListener(): Promise<Silent> {
  const sockets: Socket[] = [];
  let accepted = 0;
  const server: Server = createServer((s) => {
    accepted++;
    sockets.push(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A port nothing listens on: a killed broker. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const TIMEOUT_MS = 800;
const SLACK_MS = 700;

const timed = async <T>(p: Promise<T>): Promise<{ value: T; ms: number }> => {
  const t0 = Date.now();
  const value = await p;
  return { value, ms: Date.now() - t0 };
};

const timedFailure = async (p: Promise<unknown>): Promise<{ error: Error; ms: number }> => {
  const t0 = Date.now();
  try {
    await p;
  } catch (e) {
    return { error: e as Error, ms: Date.now() - t0 };
  }
  throw new Error('expected a failure');
};

describe('KafkaConnection reachability, decided once', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0)) await f();
  });

  const connection = (port: number, reachability?: 'once' | 'every-call') => {
    const conn = new KafkaConnection({ name: 'east', bootstrap: [`127.0.0.1:${port}`], requestTimeoutMs: TIMEOUT_MS, connectionTimeoutMs: 500, ...(reachability ? { reachability } : {}) });
    cleanup.push(() => conn.close());
    return conn;
  };

  it('a cluster that accepts and never answers: one probe within the request timeout, then every call fails at once', async () => {
    const silent = await silentListener();
    cleanup.push(silent.close);
    const conn = connection(silent.port, 'once');
    expect(conn.known).toBeUndefined();

    const first = await timed(conn.reachability());
    expect(first.value.ok).toBe(false);
    expect(first.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(first.ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    if (first.value.ok) return;
    expect(first.value.cluster).toBe('east');
    expect(first.value.reason).toBe('no-answer');
    expect(first.value.error).toBe('east: connect: no answer within 800 ms');
    expect(first.value.hint).toMatch(/^this command treats east as unreachable and does not ask it again; /);
    const probes = silent.accepted();
    expect(probes).toBeGreaterThanOrEqual(1);

    // Remembered: the same answer, no new connection.
    const again = await timed(conn.reachability());
    expect(again.value).toBe(first.value);
    expect(again.ms).toBeLessThan(50);
    expect(conn.known).toBe(first.value);

    let ran = false;
    const call = await timedFailure(conn.call('list topics', async () => {
      ran = true;
      return [];
    }));
    expect(ran).toBe(false);
    expect(call.ms).toBeLessThan(50);
    expect(call.error).toBeInstanceOf(ClusterUnreachableError);
    expect(call.error.message).toBe('east: connect: no answer within 800 ms');
    expect((call.error as ClusterUnreachableError).cluster).toBe('east');
    expect((call.error as ClusterUnreachableError).what).toBe('list topics');

    const admin = await timedFailure(conn.admin());
    expect(admin.error).toBeInstanceOf(ClusterUnreachableError);
    expect(admin.ms).toBeLessThan(50);
    const broker = await timedFailure(conn.broker(1));
    expect(broker.error).toBeInstanceOf(ClusterUnreachableError);
    expect(broker.ms).toBeLessThan(50);
    expect(silent.accepted()).toBe(probes);

    // Closing does not wait for a cluster that does not answer.
    const closed = await timed(conn.close());
    expect(closed.ms).toBeLessThan(100);
  });

  it('concurrent first calls share one probe', async () => {
    const silent = await silentListener();
    cleanup.push(silent.close);
    const conn = connection(silent.port, 'once');
    const t0 = Date.now();
    const results = await Promise.allSettled([conn.call('a', async () => 1), conn.call('b', async () => 2), conn.reachability(), conn.admin()]);
    expect(Date.now() - t0).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled', 'rejected']);
    // One admin client connecting, never one per call.
    expect(silent.accepted()).toBeLessThanOrEqual(2);
  });

  it('a refused connection (a killed broker) is decided as fast as the refusal', async () => {
    const conn = connection(await closedPort(), 'once');
    const r = await timed(conn.reachability());
    expect(r.value.ok).toBe(false);
    expect(r.ms).toBeLessThan(TIMEOUT_MS);
    if (!r.value.ok) {
      expect(r.value.error).toMatch(/^east \(127\.0\.0\.1:\d+\): connect: cannot connect \(.*ECONNREFUSED/);
      expect(r.value.reason).toBe('no-answer');
    }
    await expect(conn.call('describe cluster', async () => 1)).rejects.toThrow(ClusterUnreachableError);
  });

  it('reprobe() looks again, on purpose, with a fresh connection', async () => {
    const silent = await silentListener();
    cleanup.push(silent.close);
    const conn = connection(silent.port, 'once');
    const first = await conn.reachability();
    const before = silent.accepted();
    const second = await timed(conn.reprobe());
    expect(second.value.ok).toBe(false);
    expect(second.value).not.toBe(first);
    expect(second.value.checkedAt).toBeGreaterThan(first.checkedAt);
    expect(second.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(silent.accepted()).toBeGreaterThan(before);
  });

  it('every-call (the default, for waiters such as the lab): each call tries the cluster again', async () => {
    const silent = await silentListener();
    cleanup.push(silent.close);
    const conn = connection(silent.port);
    let runs = 0;
    const hang = () => {
      runs++;
      return new Promise<never>(() => undefined);
    };
    const one = await timedFailure(conn.call('list topics', hang));
    expect(one.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(one.error.message).toBe('east: list topics: no answer within 800 ms');
    const two = await timedFailure(conn.call('list topics', hang));
    expect(two.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(runs).toBe(2);
    expect(conn.known).toBeUndefined();
  });
});

describe('KafkaConnection.admin() past its deadline', () => {
  it('lets the pending connect go, so that a client whose ApiVersions answer comes late never becomes the shared admin', async () => {
    const silent = await silentListener();
    const conn = new KafkaConnection({ name: 'east', bootstrap: [`127.0.0.1:${silent.port}`], requestTimeoutMs: TIMEOUT_MS, connectionTimeoutMs: 500 });
    try {
      const one = await timedFailure(conn.admin());
      expect(one.error.message).toBe('east: connect: no answer within 800 ms');
      // Past the client's own request timeout too: whatever it does late is over.
      await new Promise((r) => setTimeout(r, 1500));
      const after = silent.accepted();
      const two = await timedFailure(conn.admin());
      expect(two.error.message).toBe('east: connect: no answer within 800 ms');
      expect(two.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
      expect(silent.accepted()).toBeGreaterThan(after);
    } finally {
      await conn.close();
      await silent.close();
    }
  });
});

describe('RunbookConnections.reachability', () => {
  it('probes the clusters of a runbook together: two silent clusters cost one deadline, and each connection keeps its answer', async () => {
    const [a, b] = [await silentListener(), await silentListener()];
    const spec = (port: number) => ({ bootstrap: [`127.0.0.1:${port}`], timeouts: { requestTimeout: TIMEOUT_MS, connectionTimeout: 500 }, clientId: 'failover' });
    const runbook = { name: 'rb', clusters: { east: spec(a.port), west: spec(b.port) } } as unknown as Runbook;
    const conns = new RunbookConnections(runbook);
    try {
      const { value, ms } = await timed(conns.reachability());
      expect(ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
      expect(Object.keys(value).sort()).toEqual(['east', 'west']);
      expect(value.east!.ok || value.west!.ok).toBe(false);
      expect(conns.get('east').known).toBe(value.east);
      expect(conns.get('west').known).toBe(value.west);
      await expect(conns.get('west').call('list topics', async () => [])).rejects.toThrow('west: connect: no answer within 800 ms');
    } finally {
      await conns.close();
      await a.close();
      await b.close();
    }
  });
});
