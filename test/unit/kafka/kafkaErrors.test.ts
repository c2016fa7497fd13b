import { AuthenticationError, MultipleErrors, NetworkError, ResponseError, TimeoutError } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { FailoverError } from '../../../src/errors.js';
import {
  describeKafkaError,
  errorDetail,
  hasKafkaError,
  isAuthError,
  isAuthzError,
  isNoAnswer,
  isSecurityDisabled,
  kafkaCodes,
} from '../../../src/kafka/kafkaErrors.js';

/*
 * The error trees the client builds (shapes observed against Kafka 4.3,
 * built here with its own public error classes): a generic top, the Kafka
 * code or the socket error deep inside, in `errors` and `cause`.
 */
const socket = (code: string, message: string) => Object.assign(new Error(message), { code });
const refused = () =>
  new MultipleErrors('Listing topics failed.', [
    new MultipleErrors('Cannot connect to any broker.', [new NetworkError('Connection to 127.0.0.1:1 failed.', { cause: socket('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1') })]),
  ]);
const wrongPassword = () =>
  new MultipleErrors('Listing topics failed.', [
    new NetworkError('Connection to 127.0.0.1:9092 failed.', {
      cause: new AuthenticationError('SASL authentication failed.', { cause: new ResponseError(36, 2, { '/': [58, 'Authentication failed: Invalid username or password'] }, {}) }),
    }),
  ]);
const denied = () => new MultipleErrors('Describing ACLs failed.', [new ResponseError(29, 3, { '/': [31, null] }, {})]);
const noAuthorizer = () => new MultipleErrors('Describing ACLs failed.', [new ResponseError(29, 3, { '/': [54, 'No Authorizer is configured.'] }, {})]);
const requestTimedOut = () => new MultipleErrors('Listing offsets failed.', [new TimeoutError('Request timed out')]);
const closed = () => new MultipleErrors('Listing topics failed.', [new NetworkError('Connection closed')]);
const where = { cluster: 'east', bootstrap: ['127.0.0.1:9092'], what: 'describe ACLs' };

describe('Kafka error codes, found anywhere in the tree', () => {
  it('reads the Kafka error name, code and path', () => {
    expect(kafkaCodes(denied())).toEqual([{ apiId: 'CLUSTER_AUTHORIZATION_FAILED', apiCode: 31, path: '/' }]);
    expect(kafkaCodes(wrongPassword())[0]).toMatchObject({ apiId: 'SASL_AUTHENTICATION_FAILED', apiCode: 58, serverMessage: 'Authentication failed: Invalid username or password' });
    // through a FailoverError's cause too
    expect(hasKafkaError(new FailoverError('x', { cause: noAuthorizer() }), 'SECURITY_DISABLED')).toBe(true);
    expect(kafkaCodes(refused())).toEqual([]);
  });

  it('tells the kinds apart: no answer, refused credentials, not allowed, no authorizer', () => {
    expect([isNoAnswer(refused()), isNoAnswer(requestTimedOut()), isNoAnswer(closed())]).toEqual([true, true, true]);
    // A wrong password comes as a NetworkError at the top, yet the cluster answered.
    expect(isNoAnswer(wrongPassword())).toBe(false);
    expect(isAuthError(wrongPassword())).toBe(true);
    expect([isNoAnswer(denied()), isAuthError(denied()), isAuthzError(denied())]).toEqual([false, false, true]);
    expect([isSecurityDisabled(noAuthorizer()), isAuthzError(noAuthorizer()), isNoAnswer(noAuthorizer())]).toEqual([true, false, false]);
    // Words decide nothing.
    expect(isNoAnswer(new Error('connect ECONNREFUSED 127.0.0.1:1'))).toBe(false);
    expect(isAuthzError(new Error('TOPIC_AUTHORIZATION_FAILED'))).toBe(false);
  });

  it('describes each with the cluster, what was done, the telling detail and what to do next', () => {
    const c = describeKafkaError(refused(), where);
    expect(c.message).toBe('east (127.0.0.1:9092): describe ACLs: cannot connect (connect ECONNREFUSED 127.0.0.1:1)');
    expect(c.hint).toMatch(/check that east is running/);
    expect(describeKafkaError(wrongPassword(), where).message).toBe(
      'east (127.0.0.1:9092): describe ACLs: authentication failed (SASL_AUTHENTICATION_FAILED: Authentication failed: Invalid username or password)',
    );
    expect(describeKafkaError(denied(), where).message).toBe('east (127.0.0.1:9092): describe ACLs: not authorized (CLUSTER_AUTHORIZATION_FAILED)');
    expect(describeKafkaError(requestTimedOut(), where).message).toBe('east (127.0.0.1:9092): describe ACLs: timed out (Request timed out)');
    expect(describeKafkaError(noAuthorizer(), where).message).toBe('east (127.0.0.1:9092): describe ACLs: SECURITY_DISABLED: No Authorizer is configured.');
    expect(errorDetail(closed())).toBe('Connection closed');
  });
});

describe('a TLS failure is named as one', () => {
  const where = { cluster: 'east', bootstrap: ['127.0.0.1:19892', '127.0.0.1:19895'], what: 'connect' };
  const untrusted = () =>
    new MultipleErrors('Cannot connect to any broker.', [
      new NetworkError('Connection to 127.0.0.1:19892 failed.', { cause: socket('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain') }),
      new NetworkError('Connection to 127.0.0.1:19895 failed.', { cause: socket('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:19895') }),
    ]);

  it('an untrusted certificate, even beside a node that refused the connection: says to set auth.tls.ca', () => {
    const e = describeKafkaError(untrusted(), where);
    expect(e.message).toBe('east (127.0.0.1:19892,127.0.0.1:19895): connect: TLS handshake failed (self-signed certificate in certificate chain)');
    expect(e.hint).toContain('set clusters.east.auth.tls.ca to the PEM of the CA that signed it');
  });

  it('a listener that does not speak TLS: says so', () => {
    const e = describeKafkaError(new NetworkError('Connection failed.', { cause: socket('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number') }), where);
    expect(e.message).toContain('TLS handshake failed (wrong version number)');
    expect(e.hint).toContain('set clusters.east.auth.tls only for a TLS listener');
  });
});
