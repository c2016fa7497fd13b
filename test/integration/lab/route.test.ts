import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_LAB, cli, labUpArgs } from '../labHarness.js';

/**
 * The lab runbooks switch a route file under the lab's folder; `lab up`
 * writes it, pointing at east, so that a newcomer's first `check` or
 * `drill` after a plain `failover lab up` finds it. A route a promote
 * switched is never put back by `lab up`.
 */
describe('lab up and the lab runbooks\' route', () => {
  const route = join(TEST_LAB.dir, 'route', 'orders.properties');

  it('names east after lab up, and comes back when it was removed, also on a running lab', async () => {
    expect(readFileSync(route, 'utf8')).toBe(`bootstrap.servers=127.0.0.1:${TEST_LAB.eastPort}\n`);
    rmSync(route);
    const r = await cli(labUpArgs(TEST_LAB), { timeoutMs: 300_000 });
    expect(r.exitCode, r.all).toBe(0);
    expect(readFileSync(route, 'utf8')).toBe(`bootstrap.servers=127.0.0.1:${TEST_LAB.eastPort}\n`);
  }, 320_000);

  it('a switched route is kept', async () => {
    const west = `bootstrap.servers=127.0.0.1:${TEST_LAB.westPort}\n`;
    writeFileSync(route, west);
    try {
      const r = await cli(labUpArgs(TEST_LAB), { timeoutMs: 300_000 });
      expect(r.exitCode, r.all).toBe(0);
      expect(readFileSync(route, 'utf8')).toBe(west);
    } finally {
      writeFileSync(route, `bootstrap.servers=127.0.0.1:${TEST_LAB.eastPort}\n`);
    }
  }, 320_000);
});
