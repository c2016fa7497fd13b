import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clusterOfBootstrap, readRoute, sameRoute } from '../../../src/drill/route.js';
import type { Runbook } from '../../../src/runbook/schema.js';

const clusters = { east: { bootstrap: ['127.0.0.1:19092'] }, west: { bootstrap: ['127.0.0.1:29092', '127.0.0.1:29093'] } } as unknown as Runbook['clusters'];
const roles = { primary: 'east', secondary: 'west' };

describe('the probe route', () => {
  it('names the cluster a bootstrap list belongs to by any of its addresses', () => {
    expect(clusterOfBootstrap({ clusters }, ['127.0.0.1:29093'])).toBe('west');
    expect(clusterOfBootstrap({ clusters }, ['localhost:19092'])).toBe('east');
    expect(clusterOfBootstrap({ clusters }, ['10.0.0.1:9092'])).toBeUndefined();
  });

  it('follows the route file as it is rewritten, and refuses a file without the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'failover-route-'));
    const path = join(dir, 'orders.properties');
    const rb = { clusters, roles, routing: { alias: 'orders-kafka:9092', switch: { file: { path, key: 'bootstrap.servers' } } } } as unknown as Runbook;
    writeFileSync(path, 'bootstrap.servers=127.0.0.1:19092\n');
    const a = readRoute(rb);
    expect(a).toMatchObject({ bootstrap: ['127.0.0.1:19092'], cluster: 'east' });
    writeFileSync(path, 'bootstrap.servers=127.0.0.1:29092,127.0.0.1:29093\n');
    const b = readRoute(rb);
    expect(b).toMatchObject({ bootstrap: ['127.0.0.1:29092', '127.0.0.1:29093'], cluster: 'west' });
    expect(sameRoute(a, b)).toBe(false);
    expect(sameRoute(b, readRoute(rb))).toBe(true);
    writeFileSync(path, 'client.id=x\n');
    expect(() => readRoute(rb)).toThrow(/has no bootstrap.servers/);
  });

  it('with a command switch the clients use the alias itself, resolved on every connect', () => {
    const rb = { clusters, roles, routing: { alias: 'orders-kafka.internal:9092', switch: { command: ['./point.sh'] } } } as unknown as Runbook;
    expect(readRoute(rb)).toMatchObject({ bootstrap: ['orders-kafka.internal:9092'], cluster: undefined });
  });
});
