import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeCluster } from '../../../src/kafka/clusterInfo.js';
import { KafkaConnection } from '../../../src/kafka/connection.js';
import { readLabSecrets } from '../../../src/lab/secrets.js';
import { labPaths } from '../../../src/lab/labConfig.js';
import { SECURE_LAB, cli } from '../labHarness.js';
import { testProducer } from '../testClients.js';

const east = `127.0.0.1:${SECURE_LAB.eastPort}`;

function as(user: string, password: string): KafkaConnection {
  return new KafkaConnection({ name: 'east', bootstrap: [east], requestTimeoutMs: 5000, auth: { sasl: { mechanism: 'scram-sha-256', username: user, password } } });
}

describe('secure lab (SASL/SCRAM-SHA-256, StandardAuthorizer)', () => {
  const secrets = readLabSecrets(labPaths(SECURE_LAB.dir).secrets);
  const open: KafkaConnection[] = [];
  const conn = (c: KafkaConnection) => (open.push(c), c);
  beforeAll(() => {
    expect(secrets, 'the secure lab wrote its passwords').toBeDefined();
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
  });

  it('refuses an unauthenticated client', async () => {
    const anon = conn(new KafkaConnection({ name: 'east', bootstrap: [east], requestTimeoutMs: 3000 }));
    await expect(describeCluster(anon)).rejects.toThrow(/east/);
  });

  it('refuses a wrong password', async () => {
    const wrong = conn(as('orders-svc', 'not-the-password'));
    await expect(describeCluster(wrong)).rejects.toThrow(/authentication failed/);
  });

  it('lets orders-svc write to orders, and refuses a produce by a principal without WRITE', async () => {
    const svc = conn(as('orders-svc', secrets!['orders-svc']));
    const ok = testProducer(svc);
    await expect(ok.send({ topic: 'orders', acks: -1, messages: [{ key: 'k', value: 'allowed' }] })).resolves.toBeDefined();
    await ok.close();

    const billing = conn(as('billing', secrets!.billing));
    const denied = testProducer(billing);
    const err = await denied.send({ topic: 'orders', acks: -1, messages: [{ key: 'k', value: 'denied' }] }).then(
      () => undefined,
      (e: unknown) => e as { type?: string; message: string },
    );
    await denied.close();
    expect(err, 'billing has no WRITE on orders').toBeDefined();
    expect(`${err!.type} ${err!.message}`).toMatch(/TOPIC_AUTHORIZATION_FAILED|not authorized/i);
  });

  it('keeps the generated passwords out of what lab up and lab status print', async () => {
    const status = await cli(['lab', 'status', '--dir', SECURE_LAB.dir, '--json']);
    expect(status.exitCode, status.all).toBe(0);
    for (const pw of Object.values(secrets!)) expect(status.all).not.toContain(pw);
  });
});
