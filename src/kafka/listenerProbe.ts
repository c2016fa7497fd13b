import { promises as dns } from 'node:dns';
import { isIP, connect } from 'node:net';

export interface ListenerProbe {
  host: string;
  port: number;
  /** the addresses the host resolved to (the host itself for an IP literal) */
  addresses: string[];
  resolved: boolean;
  /** a TCP connection was accepted */
  connected: boolean;
  error?: string;
  elapsedMs: number;
}

/**
 * Does `host:port` resolve, and does it accept a TCP connection from here?
 * What a client needs of an advertised listener before it can speak Kafka
 * to it; both steps are bounded by `timeoutMs`.
 */
export async function probeListener(host: string, port: number, timeoutMs: number): Promise<ListenerProbe> {
  const t0 = Date.now();
  const done = (p: Omit<ListenerProbe, 'host' | 'port' | 'elapsedMs'>): ListenerProbe => ({ host, port, ...p, elapsedMs: Date.now() - t0 });
  let addresses: string[];
  if (isIP(host)) {
    addresses = [host];
  } else {
    try {
      const found = await bounded(dns.lookup(host, { all: true }), timeoutMs, `resolving ${host}`);
      addresses = found.map((a) => a.address);
    } catch (e) {
      return done({ addresses: [], resolved: false, connected: false, error: (e as Error).message });
    }
  }
  const first = addresses[0];
  if (first === undefined) return done({ addresses, resolved: false, connected: false, error: `${host} resolved to no address` });
  try {
    await tcpConnect(first, port, Math.max(1, timeoutMs - (Date.now() - t0)));
    return done({ addresses, resolved: true, connected: true });
  } catch (e) {
    return done({ addresses, resolved: true, connected: false, error: (e as Error).message });
  }
}

function tcpConnect(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no TCP connection to ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    timer.unref();
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      socket.destroy();
      resolve();
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      socket.destroy();
      reject(e);
    });
  });
}

export interface DnsAnswer {
  host: string;
  addresses: string[];
  /** the smallest TTL among the answers, in seconds */
  ttlSeconds?: number;
  error?: string;
}

/** A and AAAA records of `host` with their TTLs (the resolver's answer, as clients cache it). */
export async function resolveWithTtl(host: string, timeoutMs: number): Promise<DnsAnswer> {
  if (isIP(host)) return { host, addresses: [host] };
  const [v4, v6] = await Promise.allSettled([
    bounded(dns.resolve4(host, { ttl: true }), timeoutMs, `resolving ${host}`),
    bounded(dns.resolve6(host, { ttl: true }), timeoutMs, `resolving ${host}`),
  ]);
  const records = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
  if (records.length === 0) {
    const err = v4.status === 'rejected' ? (v4.reason as Error).message : `${host} has no A or AAAA record`;
    return { host, addresses: [], error: err };
  }
  return { host, addresses: records.map((r) => r.address), ttlSeconds: Math.min(...records.map((r) => r.ttl)) };
}

function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Splits `host:port` (IPv6 in brackets); undefined when it is not one. */
export function splitHostPort(address: string): { host: string; port: number } | undefined {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:]+):(\d{1,5})$/.exec(address.trim());
  if (!m) return undefined;
  const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
  return { host, port: Number(m[2]) };
}
