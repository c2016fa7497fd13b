import * as z from 'zod';
import { duration } from './duration.js';
import { expecting } from './expecting.js';
import { hostPort, text } from './fields.js';

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512', 'oauthbearer'] as const;
/** The mechanisms that log in with a user and a password. */
export const PASSWORD_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

const passwordSasl = z.strictObject({
  mechanism: z.enum(PASSWORD_MECHANISMS),
  username: text('the SASL user; ${env:NAME} keeps it out of the file'),
  password: text('the SASL password; write ${env:NAME} or ${file:path} rather than the password itself'),
});

// OAUTHBEARER with a token obtained outside failover (an identity provider's client, or the lab's unsecured token):
// failover sends it as it is, and never refreshes it.
const oauthSasl = z.strictObject({
  mechanism: z.literal('oauthbearer'),
  token: text('the OAUTHBEARER token (a JWT); write ${env:NAME} or ${file:path} rather than the token itself'),
});

const sasl = z
  .discriminatedUnion('mechanism', [passwordSasl, oauthSasl], {
    error: expecting('not a supported SASL mechanism', `${SASL_MECHANISMS.join(', ')} (oauthbearer takes a token; the others a username and a password)`),
  })
  .meta({ description: 'SASL authentication: PLAIN or SCRAM with username and password, or OAUTHBEARER with a token' });

// Paths are relative to the runbook's folder; the loader makes them absolute.
const tls = z.union(
  [
    z.literal(true),
    z
      .strictObject({
        ca: text('PEM file of the certificate authorities to trust (default: the system store)').optional(),
        cert: text('PEM client certificate, for mutual TLS').optional(),
        key: text('PEM private key of the client certificate').optional(),
        servername: text('the TLS server name to verify, when it differs from the bootstrap host').optional(),
      })
      .refine((t) => (t.cert === undefined) === (t.key === undefined), {
        error: expecting('cert and key go together', 'both cert and key, or neither'),
      }),
  ],
  { error: expecting('not a TLS setting', 'true, or a map with ca, cert, key (paths)') },
);

const auth = z
  .strictObject({
    sasl: sasl.optional(),
    tls: tls.optional().meta({ description: 'TLS: true for the system trust store, or PEM file paths' }),
  })
  .meta({ description: 'how failover authenticates to the cluster' });

const timeouts = z
  .strictObject({
    requestTimeout: duration().prefault('10s').meta({ description: 'one admin request (default 10s)' }),
    connectionTimeout: duration().prefault('5s').meta({ description: 'establishing a connection (default 5s)' }),
  })
  .meta({ description: 'client timeouts against this cluster' });

export const clusterSpec = z
  .strictObject({
    bootstrap: z
      .array(hostPort())
      .min(1, { error: expecting('no bootstrap servers', 'at least one host:port') })
      .meta({ description: 'bootstrap servers, host:port' }),
    auth: auth.optional(),
    controllers: z
      .strictObject({
        bootstrap: z
          .array(hostPort())
          .min(1, { error: expecting('no controller addresses', 'at least one host:port of a controller listener') })
          .meta({ description: "the KRaft controllers' listeners, host:port (bootstrap.controllers, KIP-919)" }),
        auth: auth.optional().meta({ description: "how failover authenticates to the controllers (default: the cluster's auth)" }),
      })
      .optional()
      .meta({
        description:
          "the cluster's KRaft controller quorum: a fence that cannot reach the brokers is written there, so that a primary coming back loads it before it serves clients (Kafka 3.7+)",
      }),
    clusterId: text(
      "the cluster's id (`kafka-cluster cluster-id`); optional: failover reads it live, and checks it against this when given. Declare it so that the pair's state can be found while this cluster is down",
    ).optional(),
    region: text('the region the cluster runs in, e.g. us-east-1; checked against policy.allowedRegions').optional(),
    labels: z
      .record(z.string(), z.string())
      .default(() => ({}))
      .meta({ description: 'free labels, e.g. jurisdiction: us; checked against policy.residency' }),
    timeouts: timeouts.prefault({}),
    clientId: text('client id failover uses (default failover)').default('failover'),
  })
  .meta({ description: 'a Kafka cluster' });

export type ClusterSpec = z.output<typeof clusterSpec>;
export type ClusterAuth = NonNullable<ClusterSpec['auth']>;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];
