import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keytoolFor, keytoolSteps } from '../../../src/lab/tls.js';

const arg = (args: string[], flag: string) => args[args.indexOf(flag) + 1];
const exts = (args: string[]) => args.flatMap((a, i) => (a === '-ext' ? [args[i + 1]] : []));

describe('keytoolSteps', () => {
  const steps = keytoolSteps('/lab/tls', 'PW');

  it('makes a CA that is a CA, and a broker certificate for 127.0.0.1 and localhost, signed by it', () => {
    const ca = steps.find((s) => s.what === 'the lab CA')!.args;
    expect(ca[0]).toBe('-genkeypair');
    expect(exts(ca)).toContain('bc:c');
    const signed = steps.find((s) => s.what === 'the broker certificate')!.args;
    expect(signed[0]).toBe('-gencert');
    expect(arg(signed, '-keystore')).toBe('/lab/tls/ca.p12');
    expect(exts(signed)).toContain('SAN=IP:127.0.0.1,DNS:localhost');
    expect(exts(signed).some((e) => e?.startsWith('EKU=') && e.includes('serverAuth'))).toBe(true);
  });

  it('writes the PEM that runbooks trust, a truststore for Java clients, and never asks on a terminal', () => {
    expect(steps.map((s) => s.args[0])).toEqual(['-genkeypair', '-exportcert', '-genkeypair', '-certreq', '-gencert', '-importcert', '-importcert', '-importcert']);
    expect(arg(steps[1]!.args, '-file')).toBe('/lab/tls/ca.pem');
    expect(arg(steps[7]!.args, '-keystore')).toBe('/lab/tls/truststore.p12');
    for (const s of steps) {
      expect(arg(s.args, '-storepass'), s.what).toBe('PW');
      if (['-genkeypair', '-importcert'].includes(s.args[0]!)) expect(s.args, s.what).toContain('-noprompt');
    }
  });
});

describe('keytoolFor', () => {
  const dir = mkdtempSync(join(tmpdir(), 'failover-keytool-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds keytool beside the real java behind a link on PATH, as /usr/bin/java links into the JDK', () => {
    mkdirSync(join(dir, 'jdk/bin'), { recursive: true });
    mkdirSync(join(dir, 'usr-bin'));
    writeFileSync(join(dir, 'jdk/bin/java'), '');
    writeFileSync(join(dir, 'jdk/bin/keytool'), '');
    symlinkSync(join(dir, 'jdk/bin/java'), join(dir, 'usr-bin/java'));
    expect(keytoolFor('java', { PATH: `${join(dir, 'nothing')}:${join(dir, 'usr-bin')}` })).toBe(join(dir, 'jdk/bin/keytool'));
    expect(keytoolFor(join(dir, 'jdk/bin/java'), {})).toBe(join(dir, 'jdk/bin/keytool'));
    expect(keytoolFor('java', { PATH: join(dir, 'nothing') })).toBe('keytool');
  });
});
