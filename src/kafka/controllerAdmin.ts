import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { Socket, connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Acl } from './acls.js';
import type { ClusterAuth } from './connection.js';
import { Reader, Writer } from './protocol.js';

/**
 * ACLs written straight to a KRaft cluster's controller quorum (KIP-919:
 * `bootstrap.controllers`), bypassing its brokers.
 *
 * Why: a primary that died during a promote comes back writable, and a
 * fence applied through its brokers loses the race with any client that
 * kept its address: the broker serves produce requests the moment it
 * serves anything, and an ACL it learns afterwards applies later still.
 * Measured on the lab, a stale producer was acknowledged before the fence
 * in every trial through the broker, and never through the controllers:
 * the controller is active seconds before the broker part serves, and the
 * broker's authorizer loads the ACL with its first metadata image, before
 * it opens for clients.
 *
 * The controller listener speaks the Kafka protocol, but answers neither
 * Metadata nor anything a client library expects to bootstrap with; this
 * is the smallest client for the few requests a fence needs: ApiVersions,
 * SASL (PLAIN, SCRAM-SHA-256/512), CreateAcls, and DescribeAcls where the
 * controller serves it.
 */
const API = { apiVersions: 18, saslHandshake: 17, saslAuthenticate: 36, createAcls: 30, describeAcls: 29 } as const;
const RESOURCE: Record<Acl['resourceType'], number> = { Topic: 2, Group: 3, Cluster: 4, TransactionalId: 5 };
const OPERATION: Record<Acl['operation'], number> = {
  All: 2, Read: 3, Write: 4, Create: 5, Delete: 6, Alter: 7, Describe: 8, ClusterAction: 9, DescribeConfigs: 10, AlterConfigs: 11, IdempotentWrite: 12,
};
const PATTERN = { LITERAL: 3, PREFIXED: 4 } as const;
const PERMISSION = { DENY: 2, ALLOW: 3 } as const;

export interface ControllerEndpoint {
  /** host:port of controller listeners */
  bootstrap: string[];
  auth?: ClusterAuth;
  timeoutMs: number;
  clientId?: string;
}

/** One framed, one-request-at-a-time connection to a controller. */
class Wire {
  private correlation = 0;
  private buffered = Buffer.alloc(0);
  private waiting: { resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly clientId: string,
    private readonly timeoutMs: number,
    readonly where: string,
  ) {
    socket.on('data', (d: Buffer) => this.onData(d));
    const fail = (e: Error) => {
      this.failure ??= e;
      this.waiting?.reject(e);
      this.waiting = undefined;
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error(`${where}: the controller closed the connection`)));
  }

  private onData(d: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, d]);
    if (this.buffered.length < 4) return;
    const size = this.buffered.readInt32BE(0);
    if (this.buffered.length < 4 + size) return;
    const frame = this.buffered.subarray(4, 4 + size);
    this.buffered = this.buffered.subarray(4 + size);
    const w = this.waiting;
    this.waiting = undefined;
    w?.resolve(Buffer.from(frame));
  }

  /** Sends one request and returns a reader at the start of the response body. */
  async send(apiKey: number, version: number, flexible: boolean, body: Buffer): Promise<Reader> {
    if (this.failure) throw this.failure;
    const id = ++this.correlation;
    const header = new Writer().int16(apiKey).int16(version).int32(id).string(this.clientId);
    if (flexible) header.noTags();
    const head = header.done();
    const frame = Buffer.alloc(4 + head.length + body.length);
    frame.writeInt32BE(head.length + body.length, 0);
    head.copy(frame, 4);
    body.copy(frame, 4 + head.length);
    let timer: NodeJS.Timeout | undefined;
    const answer = new Promise<Buffer>((resolve, reject) => {
      this.waiting = { resolve, reject };
      timer = setTimeout(() => reject(new Error(`${this.where}: no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      timer.unref();
    });
    this.socket.write(frame);
    let raw: Buffer;
    try {
      raw = await answer;
    } finally {
      clearTimeout(timer);
    }
    const r = new Reader(raw);
    if (r.int32() !== id) throw new Error(`${this.where}: an answer to another request`);
    // ApiVersions answers with header v0 whatever its version (KIP-511).
    if (flexible && apiKey !== API.apiVersions) r.tags();
    return r;
  }

  close(): void {
    this.socket.destroy();
  }
}

async function open(hostPort: string, ep: ControllerEndpoint): Promise<Wire> {
  const i = hostPort.lastIndexOf(':');
  const host = hostPort.slice(0, i);
  const port = Number(hostPort.slice(i + 1));
  const tls = ep.auth?.tls;
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = tls
      ? tlsConnect({ host, port, ...(tls === true ? {} : { ...(tls.ca ? { ca: tls.ca } : {}), ...(tls.cert ? { cert: tls.cert } : {}), ...(tls.key ? { key: tls.key } : {}) }), servername: host })
      : netConnect({ host, port });
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`controller ${hostPort}: no connection within ${ep.timeoutMs} ms`));
    }, ep.timeoutMs);
    t.unref();
    s.once(tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(t);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(t);
      reject(new Error(`controller ${hostPort}: ${e.message}`));
    });
  });
  const wire = new Wire(socket, ep.clientId ?? 'failover', ep.timeoutMs, `controller ${hostPort}`);
  try {
    if (ep.auth?.sasl) await authenticate(wire, ep.auth.sasl);
    return wire;
  } catch (e) {
    wire.close();
    throw e;
  }
}

async function authenticate(wire: Wire, sasl: NonNullable<ClusterAuth['sasl']>): Promise<void> {
  const mechanism = sasl.mechanism.toUpperCase();
  const hs = await wire.send(API.saslHandshake, 1, false, new Writer().string(mechanism).done());
  const code = hs.int16();
  if (code !== 0) throw new Error(`${wire.where}: the controller does not accept SASL ${mechanism} (error code ${code}; it offers ${hs.array((r) => r.string()).join(', ')})`);
  const step = async (bytes: Buffer): Promise<Buffer> => {
    const r = await wire.send(API.saslAuthenticate, 1, false, new Writer().int32(bytes.length).raw(bytes).done());
    const err = r.int16();
    const message = r.string();
    const answer = r.bytes() ?? Buffer.alloc(0);
    if (err !== 0) throw new Error(`${wire.where}: authentication failed (${message ?? `error code ${err}`})`);
    return Buffer.from(answer);
  };
  if (sasl.mechanism === 'oauthbearer') {
    // RFC 7628's initial response: a GS2 header, then the bearer token, no extensions.
    await step(Buffer.from(`n,,\x01auth=Bearer ${sasl.token}\x01\x01`, 'utf8'));
    return;
  }
  if (sasl.mechanism === 'plain') {
    await step(Buffer.from(`\0${sasl.username}\0${sasl.password}`, 'utf8'));
    return;
  }
  const hash = mechanism === 'SCRAM-SHA-512' ? 'sha512' : 'sha256';
  const nonce = randomBytes(24).toString('base64');
  const bare = `n=${sasl.username.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${nonce}`;
  const first = (await step(Buffer.from(`n,,${bare}`, 'utf8'))).toString('utf8');
  const f = Object.fromEntries(first.split(',').map((kv) => [kv.slice(0, 1), kv.slice(2)]));
  if (!f.r?.startsWith(nonce) || !f.s || !f.i) throw new Error(`${wire.where}: an unexpected SCRAM challenge`);
  const salted = pbkdf2Sync(sasl.password, Buffer.from(f.s, 'base64'), Number(f.i), hash === 'sha512' ? 64 : 32, hash);
  const clientKey = createHmac(hash, salted).update('Client Key').digest();
  const storedKey = createHash(hash).update(clientKey).digest();
  const withoutProof = `c=biws,r=${f.r}`;
  const authMessage = `${bare},${first},${withoutProof}`;
  const signature = createHmac(hash, storedKey).update(authMessage).digest();
  const proof = Buffer.from(clientKey.map((b, k) => b ^ signature[k]!));
  const final = (await step(Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8'))).toString('utf8');
  const serverKey = createHmac(hash, salted).update('Server Key').digest();
  const expected = createHmac(hash, serverKey).update(authMessage).digest('base64');
  if (final !== `v=${expected}`) throw new Error(`${wire.where}: the controller's SCRAM signature does not verify`);
}

async function apiVersions(wire: Wire): Promise<Map<number, { min: number; max: number }>> {
  const r = await wire.send(API.apiVersions, 0, false, Buffer.alloc(0));
  const code = r.int16();
  if (code !== 0) throw new Error(`${wire.where}: ApiVersions failed with error code ${code}`);
  return new Map(r.array((x) => [x.int16(), { min: x.int16(), max: x.int16() }] as const));
}

/** Connects to the first controller that answers (and authenticates), within each one's deadline. */
async function firstController(ep: ControllerEndpoint): Promise<{ wire: Wire; versions: Map<number, { min: number; max: number }> }> {
  const errors: string[] = [];
  for (const hp of ep.bootstrap) {
    try {
      const wire = await open(hp, ep);
      return { wire, versions: await apiVersions(wire) };
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  throw new Error(errors.join('; '));
}

/**
 * Creates ACLs through the controllers. Resolves when the quorum committed
 * them (CreateAcls answers after the record is committed); throws, naming
 * the controller, when none answers or one refuses.
 */
export async function createAclsOnControllers(ep: ControllerEndpoint, acls: readonly Acl[]): Promise<void> {
  if (acls.length === 0) return;
  const { wire, versions } = await firstController(ep);
  try {
    const v = versions.get(API.createAcls);
    if (!v || v.max < 2) throw new Error(`${wire.where} does not take CreateAcls v2 or later (Kafka 3.7+ controllers do, KIP-919)`);
    const body = new Writer()
      .compactArray(acls, (w, a) =>
        w
          .int8(RESOURCE[a.resourceType])
          .compactString(a.resourceName)
          .int8(PATTERN[a.patternType])
          .compactString(a.principal)
          .compactString(a.host)
          .int8(OPERATION[a.operation])
          .int8(PERMISSION[a.permission])
          .noTags(),
      )
      .noTags()
      .done();
    const r = await wire.send(API.createAcls, Math.min(v.max, 3), true, body);
    r.int32(); // throttle
    const results = r.compactArray((x) => {
      const code = x.int16();
      const message = x.compactString();
      x.tags();
      return { code, message };
    });
    const bad = results.find((x) => x.code !== 0);
    if (bad) throw new Error(`${wire.where}: CreateAcls failed (${bad.message ?? `error code ${bad.code}`})`);
  } finally {
    wire.close();
  }
}
