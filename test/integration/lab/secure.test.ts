import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeCluster } from '../../../src/kafka/clusterInfo.js';
import { KafkaConnection } from '../../../src/kafka/connection.js';
import { readLabSecrets } from '../../../src/lab/secrets.js';
import { labPaths } from '../../../src/lab/labConfig.js';
import { SECURE_LAB, cli } from '../labHarness.js';
import { outcome, testProducer } from '../testClients.js';
import { tempDir, writeRunbook } from '../gates/checkHarness.js';

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
    const why = await outcome(denied.send({ topic: 'orders', acks: -1, messages: [{ key: 'k', value: 'denied' }] }));
    await denied.close();
    // Told by Kafka's error code, which the client keeps deep in its error tree.
    expect(why, 'billing has no WRITE on orders').toMatch(/TOPIC_AUTHORIZATION_FAILED/);
  });

  it("prints no password even with the client's debug logging asked for (DEBUG=plt:kafka:*)", async () => {
    const rb = writeRunbook(tempDir(), { topics: ['orders'], secure: true, lab: SECURE_LAB });
    const r = await cli(['check', rb, '--gate', 'compatibility'], { env: { DEBUG: 'plt:kafka:*', FAILOVER_LAB_ADMIN_PASSWORD: secrets!.admin }, timeoutMs: 120_000 });
    expect(r.exitCode, r.all).not.toBe(2);
    // The client's protocol logger would print the SASL bytes, as text or as hex.
    expect(r.all).not.toContain(secrets!.admin);
    expect(r.all).not.toContain(Buffer.from(secrets!.admin).toString('hex'));
    expect(r.all).not.toMatch(/plt:kafka/);
  });

  it('keeps the generated passwords out of what lab up and lab status print', async () => {
    const status = await cli(['lab', 'status', '--dir', SECURE_LAB.dir, '--json']);
    expect(status.exitCode, status.all).toBe(0);
    for (const pw of Object.values(secrets!)) expect(status.all).not.toContain(pw);
  });
});
