import { FailoverError, errorMessage } from '../errors.js';

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
