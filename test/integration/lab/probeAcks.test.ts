import { tracingChannel } from 'node:diagnostics_channel';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureTopics } from '../../../src/kafka/clusterInfo.js';
import { ProbeProducer } from '../../../src/kafka/probeClients.js';
import { TEST_LAB, testLabConnections, unique } from '../labHarness.js';

/**
 * The drill's probe measures loss against acks=all: an event it counts as
 * acknowledged must be on every in-sync replica. The client takes a
 * non-idempotent producer's acks from each send (its default there is the
 * leader's alone), so this checks the produce requests the probe makes, as
 * the client's own diagnostics channel shows them, on the lab.
 */
describe("the probe's producer", () => {
  const conns = testLabConnections(10_000);
  afterAll(async () => {
    await conns.east.close();
    await conns.west.close();
  });

  it('asks for acks=all on every send', async () => {
    const topic = unique('probe-acks');
    await ensureTopics(conns.east, [{ topic, partitions: 2 }]);
    const sends: { acks?: number }[] = [];
    const channel = tracingChannel<unknown, { options?: { acks?: number } }>('plt:kafka:producer:sends');
    const handlers = { start: (ctx: { options?: { acks?: number } }) => void sends.push({ ...(ctx.options?.acks === undefined ? {} : { acks: ctx.options.acks }) }) };
    channel.subscribe(handlers as never);
    const opts = { bootstrap: [`127.0.0.1:${TEST_LAB.eastPort}`], requestTimeoutMs: 10_000, connectionTimeoutMs: 5000, clientId: 'failover-probe-test' };
    const producer = await ProbeProducer.connect(opts, topic);
    try {
      const acks = await producer.send([
        { key: 'k1', value: 'one', headers: { 'event-id': 'e1' } },
        { key: 'k2', value: 'two', headers: { 'event-id': 'e2' } },
      ]);
      expect(acks.every((a) => Number.isInteger(a.offset))).toBe(true);
      await producer.send([{ key: 'k3', value: 'three', headers: { 'event-id': 'e3' } }]);
    } finally {
      channel.unsubscribe(handlers as never);
      await producer.close();
    }
    expect(sends).toEqual([{ acks: -1 }, { acks: -1 }]);
  }, 60_000);
});
