import { spawnSync } from 'node:child_process';
import { NetworkError, ProtocolError, TimeoutError } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { isStrayConnectionError } from '../../../src/kafka/strayErrors.js';

describe('isStrayConnectionError', () => {
  it("knows the client's own connection failures", () => {
    expect(isStrayConnectionError(new NetworkError('Connection to 127.0.0.1:19292 failed.'))).toBe(true);
    expect(isStrayConnectionError(new TimeoutError('Connection to broker-1.example:9093 timed out.'))).toBe(true);
    expect(isStrayConnectionError(new NetworkError('Connection error'))).toBe(true);
  });

  it('lets nothing else pass: other client errors, other messages, look-alikes without the code, non-errors', () => {
    expect(isStrayConnectionError(new NetworkError('Connection closed'))).toBe(false);
    expect(isStrayConnectionError(new NetworkError('Cannot connect to any broker.'))).toBe(false);
    expect(isStrayConnectionError(new NetworkError('Connection to h:1 failed. And more'))).toBe(false);
    expect(isStrayConnectionError(new ProtocolError(6))).toBe(false);
    expect(isStrayConnectionError(new Error('Connection to 127.0.0.1:19292 failed.'))).toBe(false);
    expect(isStrayConnectionError({ code: 'PLT_KFK_NETWORK', message: 42 })).toBe(false);
    expect(isStrayConnectionError({ code: 7, message: 'Connection error' })).toBe(false);
    expect(isStrayConnectionError('Connection error')).toBe(false);
    expect(isStrayConnectionError(null)).toBe(false);
    expect(isStrayConnectionError(undefined)).toBe(false);
  });
});

describe('guardStrayConnectionErrors', () => {
  const run = (thrown: string) =>
    spawnSync(process.execPath, ['--input-type=module', '--no-warnings', '-e', `
      const { guardStrayConnectionErrors } = await import(${JSON.stringify(new URL('../../../src/kafka/strayErrors.ts', import.meta.url).pathname)});
      guardStrayConnectionErrors((e) => console.log('noted: ' + e.message));
      setTimeout(() => { ${thrown} }, 5);
      setTimeout(() => console.log('still running'), 50);
    `], { encoding: 'utf8', input: '' });

  it('notes a stray connection failure and the process goes on', () => {
    const r = run("const e = new Error('Connection to 127.0.0.1:1 failed.'); e.code = 'PLT_KFK_NETWORK'; throw e;");
    expect(r.stdout).toBe('noted: Connection to 127.0.0.1:1 failed.\nstill running\n');
    expect(r.status).toBe(0);
  });

  it('any other uncaught exception still ends the process', () => {
    const r = run("throw new Error('a real fault');");
    expect(r.stdout).not.toContain('still running');
    expect(r.stderr).toContain('a real fault');
    expect(r.status).not.toBe(0);
  });
});
