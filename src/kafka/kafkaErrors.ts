import { AuthenticationError, NetworkError, ProtocolError, TimeoutError } from '@platformatic/kafka';
import { FailoverError, errorMessage } from '../errors.js';
import { ClusterTimeoutError } from './timeout.js';

/*
 * Errors are classified by what Kafka and the socket said, never by the
 * wording of a message. The client reports a failed call as a tree: a
 * generic top ("Listing topics failed."), MultipleErrors/ResponseError
 * nodes (`errors`), and at the leaves ProtocolError (Kafka's error code:
 * `apiId` names it, `apiCode` numbers it, `path` says where in the answer),
 * NetworkError (the socket error in `cause`), TimeoutError or
 * AuthenticationError. FailoverError wraps them in `cause`. Every
 * question below walks the whole tree, through `errors` and `cause`.
 */

interface Where {
  cluster: string;
  bootstrap: string[];
  what: string;
}

/** Every error in the tree under `e`, `e` first. */
export function* errorTree(e: unknown): Generator<unknown> {
  const seen = new Set<unknown>();
  const todo: unknown[] = [e];
  while (todo.length > 0 && seen.size < 200) {
    const cur = todo.shift();
    if (cur === undefined || cur === null || seen.has(cur)) continue;
    seen.add(cur);
    yield cur;
    if (cur instanceof AggregateError) todo.push(...(cur.errors as unknown[]));
    if (cur instanceof Error && cur.cause !== undefined) todo.push(cur.cause);
  }
}

export interface KafkaCode {
  /** Kafka's name of the error, e.g. NOT_LEADER_OR_FOLLOWER */
  apiId: string;
  /** Kafka's error code, e.g. 6 */
  apiCode: number;
  /** where in the answer, e.g. /topics/0/partitions/3 */
  path?: string;
  /** what the broker said, when it said more than the code */
  serverMessage?: string;
}

/** Every Kafka error code in the tree, in the order found. */
export function kafkaCodes(e: unknown): KafkaCode[] {
  const out: KafkaCode[] = [];
  for (const x of errorTree(e)) {
    if (!(x instanceof ProtocolError)) continue;
    const p = x as ProtocolError & { apiId?: string; apiCode?: number; path?: string; serverErrorMessage?: string | null };
    if (typeof p.apiId !== 'string' || typeof p.apiCode !== 'number') continue;
    out.push({ apiId: p.apiId, apiCode: p.apiCode, ...(p.path ? { path: p.path } : {}), ...(p.serverErrorMessage ? { serverMessage: p.serverErrorMessage } : {}) });
  }
  return out;
}

/** True when Kafka answered with one of these error names anywhere in the tree. */
export function hasKafkaError(e: unknown, ...apiIds: string[]): boolean {
  return kafkaCodes(e).some((c) => apiIds.includes(c.apiId));
}

const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ETIMEDOUT']);

function socketCode(x: unknown): string | undefined {
  const code = (x as { code?: unknown }).code;
  return typeof code === 'string' && SOCKET_CODES.has(code) ? code : undefined;
}

/** Node's TLS errors: a certificate not trusted or not for this host, or a listener that does not speak TLS. */
const TLS_TRUST_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_SIGNATURE_FAILURE', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const TLS_PROTOCOL_CODES = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'EPROTO', 'ERR_SSL_PACKET_LENGTH_TOO_LONG']);

/**
 * The TLS failure in the tree, if any. Looked for before a refused
 * connection: on a cluster with one node down, the tree holds both, and the
 * certificate is what the operator must fix.
 */
export function tlsFailure(e: unknown): { kind: 'trust' | 'protocol'; message: string } | undefined {
  for (const x of errorTree(e)) {
    const code = (x as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    if (TLS_TRUST_CODES.has(code)) return { kind: 'trust', message: errorMessage(x) };
    if (TLS_PROTOCOL_CODES.has(code)) return { kind: 'protocol', message: errorMessage(x) };
  }
  return undefined;
}

/** A deadline passed: ours, or the client's request or connect timeout. */
export function isTimeout(e: unknown): boolean {
  for (const x of errorTree(e)) if (x instanceof ClusterTimeoutError || x instanceof TimeoutError) return true;
  return false;
}

/** The broker could not be reached: a refused, reset or unroutable connection, or a name that does not resolve. */
export function isConnectError(e: unknown): boolean {
  for (const x of errorTree(e)) if (socketCode(x)) return true;
  return false;
}

/** The broker refused our credentials (or our SASL mechanism). */
export function isAuthError(e: unknown): boolean {
  for (const x of errorTree(e)) if (x instanceof AuthenticationError) return true;
  return hasKafkaError(e, 'SASL_AUTHENTICATION_FAILED', 'ILLEGAL_SASL_STATE', 'UNSUPPORTED_SASL_MECHANISM');
}

/** The broker knows us and refused the operation (any *_AUTHORIZATION_FAILED). */
export function isAuthzError(e: unknown): boolean {
  return kafkaCodes(e).some((c) => c.apiId.endsWith('_AUTHORIZATION_FAILED'));
}

/** The cluster has no authorizer: ACLs can neither be read nor written (SECURITY_DISABLED). */
export function isSecurityDisabled(e: unknown): boolean {
  return hasKafkaError(e, 'SECURITY_DISABLED');
}

/** A leader or partition moved since the metadata was read: read it again and re-route. */
export function isStaleMetadata(e: unknown): boolean {
  return hasKafkaError(e, 'UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_OR_FOLLOWER', 'FENCED_LEADER_EPOCH');
}

/**
 * The most telling words in the tree: the Kafka error's name and what the
 * broker said, or the socket error, or the deepest message. The client's
 * own top messages ("Listing topics failed.") say nothing the caller does
 * not already say.
 */
export function errorDetail(e: unknown): string {
  const codes = kafkaCodes(e);
  if (codes.length > 0) {
    const names = [...new Set(codes.map((c) => (c.serverMessage ? `${c.apiId}: ${c.serverMessage}` : c.apiId)))];
    return names.slice(0, 3).join('; ') + (names.length > 3 ? `; and ${names.length - 3} more` : '');
  }
  let last: unknown = e;
  for (const x of errorTree(e)) {
    if (socketCode(x) || x instanceof TimeoutError || x instanceof ClusterTimeoutError || x instanceof AuthenticationError) return errorMessage(x);
    if (!(x instanceof AggregateError)) last = x;
  }
  return errorMessage(last);
}

/**
 * Turns a client or socket error into a FailoverError that says which
 * cluster, what we were doing, and what to do next. Exit code 2: a cluster
 * that cannot be reached is an operator-fixable condition.
 */
export function describeKafkaError(e: unknown, where: Where): FailoverError {
  if (e instanceof FailoverError) return e;
  const detail = errorDetail(e);
  const at = `${where.cluster} (${where.bootstrap.join(',')})`;
  if (isAuthError(e)) {
    return new FailoverError(`${at}: ${where.what}: authentication failed (${detail})`, {
      cause: e,
      hint: `check the auth section of cluster ${where.cluster} in the runbook and the credentials it references`,
    });
  }
  if (isAuthzError(e)) {
    return new FailoverError(`${at}: ${where.what}: not authorized (${detail})`, {
      cause: e,
      hint: `grant the principal failover uses on ${where.cluster} the ACLs it needs (see the README)`,
    });
  }
  const tls = tlsFailure(e);
  if (tls) {
    return new FailoverError(`${at}: ${where.what}: TLS handshake failed (${tls.message})`, {
      cause: e,
      hint:
        tls.kind === 'trust'
          ? `the certificate ${where.cluster} presents is not trusted for this address: set clusters.${where.cluster}.auth.tls.ca to the PEM of the CA that signed it (and servername, if the certificate names another host)`
          : `${where.cluster}'s listener at the bootstrap address does not speak TLS as configured: set clusters.${where.cluster}.auth.tls only for a TLS listener`,
    });
  }
  if (isConnectError(e)) {
    return new FailoverError(`${at}: ${where.what}: cannot connect (${detail})`, {
      cause: e,
      hint: `check that ${where.cluster} is running and that the bootstrap addresses are right`,
    });
  }
  if (isTimeout(e)) {
    return new FailoverError(`${at}: ${where.what}: timed out (${detail})`, {
      cause: e,
      hint: `${where.cluster} may be overloaded or paused; check it, or raise the request timeout`,
    });
  }
  return new FailoverError(`${at}: ${where.what}: ${detail}`, { cause: e });
}

/**
 * True when the cluster did not answer at all: a deadline passed, the
 * connection was refused, reset or closed. A broker that answers with an
 * error code (not authorized, REQUEST_TIMED_OUT on its side, an unknown
 * topic), or refuses our credentials, is not this: it answered.
 */
export function isNoAnswer(e: unknown): boolean {
  if (kafkaCodes(e).length > 0 || isAuthError(e)) return false;
  if (isTimeout(e) || isConnectError(e)) return true;
  for (const x of errorTree(e)) if (x instanceof NetworkError && !(x as { closed?: boolean }).closed) return true;
  return false;
}

/**
 * A call not made because its cluster is already known not to answer in this
 * command: the probe (or an earlier call) found it unreachable, and asking
 * again would only cost another timeout. The message is the recorded error,
 * which names the cluster and says what happened.
 */
export class ClusterUnreachableError extends FailoverError {
  readonly cluster: string;
  /** what was not done */
  readonly what: string;
  /** why the cluster counts as unreachable (see Reachability) */
  readonly reason: 'no-answer' | 'auth' | 'error';
  constructor(cluster: string, what: string, recorded: { error: string; hint: string; reason: 'no-answer' | 'auth' | 'error' }) {
    super(recorded.error, { hint: recorded.hint });
    this.name = 'ClusterUnreachableError';
    this.cluster = cluster;
    this.what = what;
    this.reason = recorded.reason;
  }
}
