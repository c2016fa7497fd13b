import { afterAll, describe, expect, it } from 'vitest';
import { hasKafkaError } from '../../../src/kafka/kafkaErrors.js';
import { StateTopicWriter, ensureStateTopic, readStateTopic } from '../../../src/kafka/stateTopic.js';
import { testLabConnections, unique } from '../labHarness.js';

/*
 * What the state topic's compare-and-set relies on, pinned on a real
 * cluster, one behaviour of the Kafka client per test: a fresh producer
 * fences an older one of the same transactional id (whatever its producer
 * id), the fenced one is told by a Kafka error code, and failover's own
 * READ_COMMITTED read drops every aborted transaction of one producer,
 * several of them in one answer included.
 */
describe('the state topic on the client', () => {
  const conns = testLabConnections(10_000);
  afterAll(async () => {
    await Promise.all([conns.east.close(), conns.west.close()]);
  });

  it('a fresh writer of a transactional id fences the older one, which is told by PRODUCER_FENCED or INVALID_PRODUCER_EPOCH', async () => {
    const conn = conns.east;
    const topic = unique('state');
    await ensureStateTopic(conn, topic);
    const txId = unique('tx');
    // A first producer of the id: the coordinator gives the id a producer id (not 0 on a cluster that has seen others).
    const first = conn.producer({ transactionalId: txId, idempotent: true, timeoutMs: 30_000 });
    const t1 = await first.beginTransaction();
    await t1.send({ acks: -1, messages: [{ topic, key: Buffer.from('a'), value: Buffer.from('"first"') }] });
    // A second, fresh producer of the same id: its InitProducerId bumps the epoch and aborts the first's transaction.
    const second = conn.producer({ transactionalId: txId, idempotent: true, timeoutMs: 30_000 });
    const t2 = await second.beginTransaction();
    await t2.send({ acks: -1, messages: [{ topic, key: Buffer.from('a'), value: Buffer.from('"second"') }] });
    await t2.commit();
    const late = await t1.commit().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(late, 'the older writer could still commit').toBeDefined();
    expect(hasKafkaError(late, 'PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH')).toBe(true);
    await conn.closeProducer(first);
    await conn.closeProducer(second);
    expect((await readStateTopic(conn, topic)).get('a')?.value).toBe('second');
  });

  it('reads only committed values: two aborted transactions of one producer in one answer are both dropped', async () => {
    const conn = conns.east;
    const topic = unique('state');
    await ensureStateTopic(conn, topic);
    const p = conn.producer({ transactionalId: unique('tx'), idempotent: true, timeoutMs: 30_000 });
    const write = async (value: string, commit: boolean) => {
      const t = await p.beginTransaction();
      await t.send({ acks: -1, messages: [{ topic, key: Buffer.from(`k-${value}`), value: Buffer.from(JSON.stringify(value)) }] });
      if (commit) await t.commit();
      else await t.abort();
    };
    await write('aborted-1', false);
    await write('committed', true);
    await write('aborted-2', false);
    await conn.closeProducer(p);
    const snap = await readStateTopic(conn, topic);
    expect([...snap.keys()].sort()).toEqual(['k-committed']);
  });

  // On both clusters: a pair's state lives on both, and so does __transaction_state once failover wrote it (the
  // compatibility gate of the other test files compares the clusters' internal topics).
  it.each(['east', 'west'] as const)('compare-and-set on %s: writers racing on one key, each write lands once and none is lost', async (side) => {
    const conn = conns[side];
    const topic = unique('state');
    await ensureStateTopic(conn, topic);
    const txId = unique('tx');
    // Four writers (as four failover processes would be), one transactional id.
    const writers = Array.from({ length: 4 }, () => new StateTopicWriter(conn, topic, txId));
    // Each appends its name to the list it read: a lost update would drop a name.
    const append = (w: StateTopicWriter, name: string) =>
      w.compareAndSet((current) => {
        const list = (current.get('list')?.value as string[] | undefined) ?? [];
        return { write: [{ key: 'list', value: [...list, name] }], result: name };
      }, 20);
    await Promise.all(writers.map((w, i) => append(w, `w${i}`)));
    await Promise.all(writers.map((w) => w.close()));
    const list = (await readStateTopic(conn, topic)).get('list')?.value as string[];
    expect([...list].sort()).toEqual(['w0', 'w1', 'w2', 'w3']);
  });
});
