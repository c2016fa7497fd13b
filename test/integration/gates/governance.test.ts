import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAcls, deleteAcls, type Acl } from '../../../src/kafka/acls.js';
import { SECURE_LAB, cli, repoRoot, testLabConnections, unique, type TestLab } from '../labHarness.js';
import { labEnv } from '../actions/actionLab.js';
import { FAULT_TIMEOUT_MS, evidence, gate, labUp, runCheck, scorecard, seedTopics, tempDir, writeRunbook } from './checkHarness.js';

/** A secure lab whose west runs without an authorizer: a real misconfiguration, started for this file only. */
const NOAUTH_LAB: TestLab = {
  ...SECURE_LAB,
  dir: process.env.FAILOVER_TEST_NOAUTH_LAB_DIR ?? join(repoRoot, '.lab-test-noauth'),
  eastPort: Number(process.env.FAILOVER_TEST_NOAUTH_EAST_PORT ?? 19392),
  westPort: Number(process.env.FAILOVER_TEST_NOAUTH_WEST_PORT ?? 29392),
};

describe('governance gate on the secure lab', () => {
  const topic = unique('gov');
  const conns = testLabConnections(10_000, SECURE_LAB);
  const readAcl: Acl = { principal: 'User:billing', host: '*', resourceType: 'Topic', resourceName: topic, patternType: 'LITERAL', operation: 'Read', permission: 'ALLOW' };

  beforeAll(async () => {
    await seedTopics(conns, [topic], { partitions: 1, records: 10, rounds: 1 });
  }, 180_000);

  afterAll(async () => {
    await deleteAcls(conns.east, [readAcl]).catch(() => undefined);
    await Promise.all([conns.east.close(), conns.west.close()]);
  });

  it('an ALLOW ACL on east missing on west fails, naming principal, resource and operation', async () => {
    const rb = writeRunbook(tempDir(), { lab: SECURE_LAB, topics: [topic], secure: true });
    const env = labEnv(SECURE_LAB);
    const before = await runCheck(rb, ['--gate', 'governance'], env);
    expect(evidence(before.result, 'governance.acl-parity').status, scorecard(before.result)).toBe('pass');
    expect(evidence(before.result, 'governance.authorizer').status).toBe('pass');

    await createAcls(conns.east, [readAcl]);
    const { result, cli: r } = await runCheck(rb, ['--gate', 'governance'], env);
    const e = evidence(result, 'governance.acl-parity');
    expect(e.status).toBe('fail');
    expect(e.finding).toContain(`ALLOW User:billing Read on Topic:${topic}`);
    expect(gate(result, 'governance').score).toBe(0);
    // The password came from the environment: it is a secret and never printed.
    expect(r.all).not.toContain(env.FAILOVER_LAB_ADMIN_PASSWORD);
  });
});

describe('governance gate when west has no authorizer and east has one', () => {
  beforeAll(async () => {
    await labUp(NOAUTH_LAB, ['--without-authorizer', 'west']);
  }, FAULT_TIMEOUT_MS);

  afterAll(async () => {
    // Always: a third lab must not outlive the file on a shared machine.
    await cli(['lab', 'down', '--purge', '--dir', NOAUTH_LAB.dir], { timeoutMs: 120_000 });
  }, 180_000);

  it('fails, naming both clusters', async () => {
    const rb = writeRunbook(tempDir(), { lab: NOAUTH_LAB, topics: ['orders'], secure: true });
    const { result } = await runCheck(rb, ['--gate', 'governance'], labEnv(NOAUTH_LAB));
    const e = evidence(result, 'governance.authorizer');
    expect(e.status).toBe('fail');
    expect(e.finding).toMatch(/^east runs org\.apache\.kafka\.metadata\.authorizer\.StandardAuthorizer but west has no authorizer/);
    expect(evidence(result, 'governance.acl-parity').finding).toMatch(/west has no authorizer, so none of east's ACLs is enforced there/);
    expect(gate(result, 'governance').score).toBe(0);
  });
});
