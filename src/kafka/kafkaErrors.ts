import { FailoverError, errorMessage } from '../errors.js';
import { ClusterTimeoutError } from './timeout.js';

interface Where {
  cluster: string;
  bootstrap: string[];
  what: string;
}

/**
 * Turns a kafkajs or socket error into a FailoverError that says which
 * cluster, what we were doing, and what to do next. Exit code 2: a cluster
 * that cannot be reached is an operator-fixable condition.
 */
export function describeKafkaError(e: unknown, where: Where): FailoverError {
  if (e instanceof FailoverError) return e;
  const msg = errorMessage(e);
  const name = e instanceof Error ? e.name : '';
  const type = (e as { type?: string }).type ?? '';
  const at = `${where.cluster} (${where.bootstrap.join(',')})`;
  if (/ECONNREFUSED|Connection error|KafkaJSConnectionError|ENOTFOUND|EHOSTUNREACH|connect ETIMEDOUT/.test(msg + name)) {
    return new FailoverError(`${at}: ${where.what}: cannot connect (${msg})`, {
      cause: e,
      hint: `check that ${where.cluster} is running and that the bootstrap addresses are right`,
    });
  }
  if (/SASL|Authentication|SaslAuthenticate|ILLEGAL_SASL_STATE/i.test(msg + name + type)) {
    return new FailoverError(`${at}: ${where.what}: authentication failed (${msg})`, {
      cause: e,
      hint: `check the auth section of cluster ${where.cluster} in the runbook and the credentials it references`,
    });
  }
  if (/AUTHORIZATION_FAILED|not authorized/i.test(msg + type)) {
    return new FailoverError(`${at}: ${where.what}: not authorized (${msg})`, {
      cause: e,
      hint: `grant the principal failover uses on ${where.cluster} the ACLs it needs (see the README)`,
    });
  }
  if (/timed out|timeout/i.test(msg + name)) {
    return new FailoverError(`${at}: ${where.what}: timed out (${msg})`, {
      cause: e,
      hint: `${where.cluster} may be overloaded or paused; check it, or raise the request timeout`,
    });
  }
  return new FailoverError(`${at}: ${where.what}: ${msg}`, { cause: e });
}

const NO_ANSWER_NAMES = new Set(['ClusterTimeoutError', 'KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError']);
const NO_ANSWER_CODES = /\b(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EPIPE|ETIMEDOUT)\b/;

/**
 * True when the cluster did not answer at all: our deadline passed, the
 * connection was refused, reset or timed out, or kafkajs gave up for one of
 * these reasons. A broker that answers with an error code (not authorized,
 * REQUEST_TIMED_OUT on its side, an unknown topic) is not this: it answered.
 */
export function isNoAnswer(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur !== undefined && cur !== null && depth < 6; depth++) {
    if (cur instanceof ClusterTimeoutError) return true;
    const name = cur instanceof Error ? cur.name : '';
    if (NO_ANSWER_NAMES.has(name)) return true;
    if (name !== 'KafkaJSProtocolError' && NO_ANSWER_CODES.test(errorMessage(cur))) return true;
    cur = (cur as { cause?: unknown; originalError?: unknown }).cause ?? (cur as { originalError?: unknown }).originalError;
  }
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
