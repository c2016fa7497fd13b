import { createServer, type Server } from 'node:net';
import { Admin, type Connection } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientOptions, hearConnectionErrors } from '../../../src/kafka/connection.js';

/** A loopback port nothing listens on, and one that accepts and never answers (a hung broker). */
let closedPort: number;
let silent: Server;
let silentPort: number;
const sockets = new Set<import('node:net').Socket>();

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

beforeAll(async () => {
  const probe = createServer();
  closedPort = await listen(probe);
  await new Promise((r) => probe.close(r));
  silent = createServer((s) => sockets.add(s));
  silentPort = await listen(silent);
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
});

function admin(port: number): Admin {
  return new Admin({ ...clientOptions({ bootstrap: [`127.0.0.1:${port}`], clientId: 'test', requestTimeoutMs: 300, connectionTimeoutMs: 300 }), retries: 0 });
}

/** The connection the client reports on `event`, once a call has made it try. */
async function connectionOn(a: Admin, event: 'client:broker:connect' | 'client:broker:failed'): Promise<Connection> {
  const seen = new Promise<Connection>((r) => a.once(event, ({ connection }) => r(connection)));
  void a.listApis().catch(() => undefined);
  return seen;
}

describe('hearConnectionErrors', () => {
  it("without it, a failed connection's next 'error' is unheard and thrown: the client behaviour it guards against", async () => {
    const a = admin(closedPort);
    const c = await connectionOn(a, 'client:broker:failed');
    expect(() => c.emit('error', new Error('second failure'))).toThrow('second failure');
    await a.close().catch(() => undefined);
  });

  it("with it, every later 'error' of a connection that failed to connect is heard", async () => {
    const a = hearConnectionErrors(admin(closedPort));
    const c = await connectionOn(a, 'client:broker:failed');
    expect(() => c.emit('error', new Error('second failure'))).not.toThrow();
    expect(() => c.emit('error', new Error('third failure'))).not.toThrow();
    await a.close().catch(() => undefined);
  });

  it("with it, a connected connection's errors are heard, also after the pool's one listener is spent", async () => {
    const a = hearConnectionErrors(admin(silentPort));
    const c = await connectionOn(a, 'client:broker:connect');
    expect(() => c.emit('error', new Error('first'))).not.toThrow();
    expect(() => c.emit('error', new Error('second'))).not.toThrow();
    // One listener of ours per connection, however often it is reported.
    expect(c.listeners('error').length).toBeLessThanOrEqual(2);
    await a.close().catch(() => undefined);
  });
});
