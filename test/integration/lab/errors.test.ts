import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, freePortBlock } from '../labHarness.js';

/** Start-up refusals: each must exit 2, say what is wrong and what to do, and start nothing. */
describe('lab up refuses clearly', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'failover-lab-errors-'));
  let server: Server;
  let takenPort = 0;
  beforeAll(async () => {
    takenPort = await freePortBlock();
    server = createServer();
    await new Promise<void>((r) => server.listen(takenPort, '127.0.0.1', () => r()));
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('names a port that is taken', async () => {
    const r = await cli(['lab', 'up', '--dir', join(tmp, 'port'), '--east-port', String(takenPort), '--west-port', String(await freePortBlock())]);
    expect(r.exitCode, r.all).toBe(2);
    expect(r.stderr).toContain(`port ${takenPort} on 127.0.0.1 is taken; east cannot start`);
    expect(r.stderr).toMatch(/hint: .*--east-port/);
  });

  it('refuses a JDK older than 17', async () => {
    const home = join(tmp, 'jdk11');
    mkdirSync(join(home, 'bin'), { recursive: true });
    writeFileSync(join(home, 'bin', 'java'), '#!/bin/sh\necho \'openjdk version "11.0.2" 2019-01-15\' >&2\n');
    chmodSync(join(home, 'bin', 'java'), 0o755);
    const r = await cli(['lab', 'up', '--dir', join(tmp, 'old')], { env: { JAVA_HOME: home } });
    expect(r.exitCode, r.all).toBe(2);
    expect(r.stderr).toContain('Java 11 is too old');
    expect(r.stderr).toMatch(/hint: .*JDK 17/);
  });

  it('says when java is missing', async () => {
    const r = await cli(['lab', 'up', '--dir', join(tmp, 'nojava')], { env: { JAVA_HOME: join(tmp, 'nowhere') } });
    expect(r.exitCode, r.all).toBe(2);
    expect(r.stderr).toMatch(/java not found/);
  });

  it('says when mvn is missing', async () => {
    const bin = join(tmp, 'bin-without-mvn');
    mkdirSync(bin, { recursive: true });
    symlinkSync(process.execPath, join(bin, 'node'));
    const javaHome = dirname(dirname(realpathSync(execFileSync('sh', ['-c', 'command -v java']).toString().trim())));
    const [e, w] = [await freePortBlock(), await freePortBlock()];
    const r = await cli(['lab', 'up', '--dir', join(tmp, 'nomvn'), '--east-port', String(e), '--west-port', String(w)], {
      env: { PATH: bin, JAVA_HOME: javaHome },
    });
    expect(r.exitCode, r.all).toBe(2);
    expect(r.stderr).toContain('mvn (Apache Maven) not found');
    expect(r.stderr).toMatch(/hint: install Maven/);
  });

  it('says when Maven cannot resolve a Kafka version', async () => {
    const [e, w] = [await freePortBlock(), await freePortBlock()];
    const r = await cli(['lab', 'up', '--dir', join(tmp, 'nover'), '--kafka', '4.0.99', '--east-port', String(e), '--west-port', String(w)], { timeoutMs: 300_000 });
    expect(r.exitCode, r.all).toBe(2);
    expect(r.stderr).toMatch(/Maven could not resolve Kafka 4\.0\.99/);
  }, 300_000);

  it('rejects a malformed version and a bad port before doing anything', async () => {
    const v = await cli(['lab', 'up', '--dir', join(tmp, 'badver'), '--kafka', 'latest']);
    expect(v.exitCode).toBe(2);
    expect(v.stderr).toContain('not a Kafka version: latest');
    const p = await cli(['lab', 'up', '--dir', join(tmp, 'badport'), '--east-port', '70000']);
    expect(p.exitCode).toBe(2);
    expect(p.stderr).toContain('not a port: 70000');
  });
});
