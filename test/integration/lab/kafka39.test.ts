import { afterAll, beforeAll, describe, expect } from 'vitest';
import { join } from 'node:path';
import { TEST_LAB, cli, labUpArgs, repoRoot, type TestLab } from '../labHarness.js';
import { replicationSuite } from './replicationSuite.js';

/**
 * Smoke subset on Kafka 3.9.x (reload4j logging, the 3.x StorageTool), on a
 * lab of its own. Runs when FAILOVER_SMOKE_KAFKA39=1 (CI sets it); locally:
 * `FAILOVER_SMOKE_KAFKA39=1 npx vitest run --project integration test/integration/lab/kafka39.test.ts`.
 */
const enabled = process.env.FAILOVER_SMOKE_KAFKA39 === '1';
const LAB39: TestLab = {
  ...TEST_LAB,
  dir: join(repoRoot, '.lab-test-39'),
  eastPort: Number(process.env.FAILOVER_TEST_39_EAST_PORT ?? 19492),
  westPort: Number(process.env.FAILOVER_TEST_39_WEST_PORT ?? 29492),
  kafka: process.env.FAILOVER_SMOKE_KAFKA39_VERSION ?? '3.9.2',
};

describe.runIf(enabled)('Kafka 3.9 smoke', () => {
  beforeAll(async () => {
    const up = await cli(labUpArgs(LAB39), { timeoutMs: 600_000 });
    expect(up.exitCode, up.all).toBe(0);
    expect(up.stdout).toMatch(/Kafka 3\.9/);
  }, 600_000);
  afterAll(async () => {
    if (!process.env.FAILOVER_KEEP_LAB) await cli(['lab', 'down', '--purge', '--dir', LAB39.dir]);
  });
  replicationSuite(`replication on Kafka ${LAB39.kafka}`, () => LAB39);
});
