import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootstrapOf, nodesOf, portsOf, processNames, type LabSettings } from '../../../src/lab/labConfig.js';
import { mm2Properties, serverProperties, type LabSecrets, type LabTlsStores } from '../../../src/lab/templates.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/lab');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

const BASE: LabSettings = {
  dir: '/lab',
  kafkaVersion: '4.3.1',
  secure: false,
  ports: { east: 19092, west: 29092 },
  topics: ['orders', 'payments', 'failover.probe', '/it-.*/'],
  groups: ['billing', 'shipping', 'failover-probe', '/it-.*/'],
};
const SECRETS: LabSecrets = { admin: 'ADMINPW', mm2: 'MM2PW', 'orders-svc': 'OPW', billing: 'BPW' };
const TLS: LabTlsStores = { keystore: '/lab/tls/broker.p12', truststore: '/lab/tls/truststore.p12', password: 'STOREPW' };

/** A properties text as a map (the last value of a key wins, as in Java). */
function props(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf('=');
    m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

describe('the 1-broker labs are what they always were', () => {
  // Existing labs, their data and the tests that use them depend on these files byte for byte.
  it('plain: server.properties and mm2.properties', () => {
    expect(serverProperties(BASE, 'east', '/lab/east/data')).toBe(fixture('plain-east.properties'));
    expect(mm2Properties(BASE)).toBe(fixture('plain-mm2.properties'));
  });
  it('secure (SCRAM-SHA-256, authorizer), with and without an authorizer', () => {
    const s = { ...BASE, secure: true };
    expect(serverProperties(s, 'west', '/lab/west/data', SECRETS)).toBe(fixture('secure-west.properties'));
    expect(serverProperties({ ...s, withoutAuthorizer: ['east'] }, 'east', '/lab/east/data', SECRETS)).toBe(fixture('secure-noauth-east.properties'));
    expect(mm2Properties(s, SECRETS)).toBe(fixture('secure-mm2.properties'));
  });
});

describe('port scheme and node names', () => {
  it('keeps the 1-broker ports and names; a 3-broker cluster takes three ports per node from the base', () => {
    expect(portsOf(19892)).toEqual({ client: 19892, controller: 19893, internal: 19894 });
    expect(portsOf(19892, 2)).toEqual({ client: 19898, controller: 19899, internal: 19900 });
    expect(nodesOf(BASE, 'east')).toEqual([{ cluster: 'east', name: 'east', nodeId: 1, index: 0 }]);
    expect(processNames(BASE)).toEqual(['east', 'west', 'mm2']);
    const three = { ...BASE, brokers: 3 as const, ports: { east: 19892, west: 29892 } };
    expect(processNames(three)).toEqual(['east-1', 'east-2', 'east-3', 'west-1', 'west-2', 'west-3', 'mm2']);
    expect(bootstrapOf(three, 'west')).toBe('127.0.0.1:29892,127.0.0.1:29895,127.0.0.1:29898');
  });
});

describe('server.properties per profile', () => {
  const three: LabSettings = { ...BASE, brokers: 3, ports: { east: 19892, west: 29892 } };

  it('3 brokers: a 3-voter quorum of combined nodes, replication factor 3 and min.insync.replicas=2 everywhere', () => {
    const node = nodesOf(three, 'east')[1]!;
    const p = props(serverProperties(three, node, '/lab/east-2/data'));
    expect(p.get('node.id')).toBe('2');
    expect(p.get('process.roles')).toBe('broker,controller');
    expect(p.get('controller.quorum.voters')).toBe('1@127.0.0.1:19893,2@127.0.0.1:19896,3@127.0.0.1:19899');
    expect(p.get('listeners')).toBe('CLIENT://127.0.0.1:19895,CONTROLLER://127.0.0.1:19896');
    for (const k of ['default.replication.factor', 'offsets.topic.replication.factor', 'transaction.state.log.replication.factor', 'share.coordinator.state.topic.replication.factor']) {
      expect(p.get(k), k).toBe('3');
    }
    for (const k of ['min.insync.replicas', 'transaction.state.log.min.isr', 'share.coordinator.state.topic.min.isr']) expect(p.get(k), k).toBe('2');
    expect(p.get('leader.imbalance.check.interval.seconds')).toBe('10');
  });

  it('--tls without SASL: an SSL client listener with the lab keystore; inner listeners stay plaintext on loopback', () => {
    const p = props(serverProperties({ ...BASE, tls: true }, 'east', '/d', undefined, TLS));
    expect(p.get('listener.security.protocol.map')).toBe('CLIENT:SSL,CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT');
    expect(p.get('inter.broker.listener.name')).toBe('INTERNAL');
    expect(p.get('listener.name.client.ssl.keystore.location')).toBe(TLS.keystore);
    expect(p.get('listener.name.client.ssl.keystore.password')).toBe('STOREPW');
    expect(p.get('authorizer.class.name')).toBeUndefined();
    expect(() => serverProperties({ ...BASE, tls: true }, 'east', '/d')).toThrow(/keystore/);
  });

  it('--brokers 3 --tls --sasl scram-sha-512: SASL_SSL with SCRAM-SHA-512, the authorizer on', () => {
    const s = { ...three, tls: true, secure: true, sasl: 'scram-sha-512' as const };
    const p = props(serverProperties(s, nodesOf(s, 'west')[2]!, '/d', SECRETS, TLS));
    expect(p.get('listener.security.protocol.map')).toBe('CLIENT:SASL_SSL,CONTROLLER:SASL_PLAINTEXT,INTERNAL:SASL_PLAINTEXT');
    expect(p.get('listener.name.client.sasl.enabled.mechanisms')).toBe('SCRAM-SHA-512');
    expect(p.get('listener.name.client.scram-sha-512.sasl.jaas.config')).toMatch(/ScramLoginModule required;/);
    expect(p.get('listeners')).toBe('CLIENT://127.0.0.1:29898,CONTROLLER://127.0.0.1:29899,INTERNAL://127.0.0.1:29900');
    expect(p.get('authorizer.class.name')).toBe('org.apache.kafka.metadata.authorizer.StandardAuthorizer');
  });

  it('--sasl plain: every lab user in the client listener JAAS line', () => {
    const p = props(serverProperties({ ...BASE, secure: true, sasl: 'plain' }, 'east', '/d', SECRETS));
    const jaas = p.get('listener.name.client.plain.sasl.jaas.config')!;
    for (const [u, pw] of Object.entries(SECRETS)) expect(jaas).toContain(`user_${u}="${pw}"`);
    expect(p.get('listener.name.client.sasl.enabled.mechanisms')).toBe('PLAIN');
  });

  it('--sasl oauthbearer: the unsecured JWS validator and login handlers', () => {
    const p = props(serverProperties({ ...BASE, secure: true, sasl: 'oauthbearer' }, 'east', '/d', SECRETS));
    expect(p.get('listener.name.client.sasl.enabled.mechanisms')).toBe('OAUTHBEARER');
    expect(p.get('listener.name.client.oauthbearer.sasl.server.callback.handler.class')).toMatch(/OAuthBearerUnsecuredValidatorCallbackHandler$/);
    expect(p.get('listener.name.client.oauthbearer.sasl.login.callback.handler.class')).toMatch(/OAuthBearerUnsecuredLoginCallbackHandler$/);
    expect(p.get('listener.name.client.oauthbearer.sasl.jaas.config')).toContain('unsecuredLoginStringClaim_sub="admin"');
    // Sessions are capped below 2^31 ms: the client's re-authentication timer overflows past that.
    expect(Number(p.get('listener.name.client.oauthbearer.connections.max.reauth.ms'))).toBeLessThan(2 ** 31 / 0.8);
  });
});

describe('mm2.properties per profile', () => {
  it('identity naming: the identity policy, east->west only', () => {
    const p = props(mm2Properties({ ...BASE, replicationPolicy: 'identity' }));
    expect(p.get('replication.policy.class')).toBe('org.apache.kafka.connect.mirror.IdentityReplicationPolicy');
    expect(p.get('east->west.enabled')).toBe('true');
    expect(p.get('west->east.enabled')).toBe('false');
    expect(props(mm2Properties(BASE)).get('replication.policy.class')).toBeUndefined();
  });

  it('3 brokers: replication factor 3 for remote and internal topics, every node in the bootstrap', () => {
    const p = props(mm2Properties({ ...BASE, brokers: 3 }));
    for (const k of ['replication.factor', 'checkpoints.topic.replication.factor', 'heartbeats.topic.replication.factor', 'offset-syncs.topic.replication.factor', 'offset.storage.replication.factor', 'status.storage.replication.factor', 'config.storage.replication.factor']) {
      expect(p.get(k), k).toBe('3');
    }
    expect(p.get('east.bootstrap.servers')).toBe('127.0.0.1:19092,127.0.0.1:19095,127.0.0.1:19098');
  });

  it('group offset sync: on by default, off on request', () => {
    expect(props(mm2Properties(BASE)).get('sync.group.offsets.enabled')).toBe('true');
    expect(props(mm2Properties({ ...BASE, syncGroupOffsets: false })).get('sync.group.offsets.enabled')).toBe('false');
  });

  it('TLS and SASL: SASL_SSL with the lab truststore and the mechanism, per cluster', () => {
    const p = props(mm2Properties({ ...BASE, secure: true, tls: true, sasl: 'scram-sha-512' }, SECRETS, TLS));
    for (const c of ['east', 'west']) {
      expect(p.get(`${c}.security.protocol`)).toBe('SASL_SSL');
      expect(p.get(`${c}.sasl.mechanism`)).toBe('SCRAM-SHA-512');
      expect(p.get(`${c}.sasl.jaas.config`)).toContain('username="mm2" password="MM2PW"');
      expect(p.get(`${c}.ssl.truststore.location`)).toBe(TLS.truststore);
    }
    const tlsOnly = props(mm2Properties({ ...BASE, tls: true }, undefined, TLS));
    expect(tlsOnly.get('east.security.protocol')).toBe('SSL');
    expect(tlsOnly.get('east.sasl.mechanism')).toBeUndefined();
  });

  it('OAUTHBEARER: MM2 logs in with an unsecured token for its own subject', () => {
    const p = props(mm2Properties({ ...BASE, secure: true, sasl: 'oauthbearer' }, SECRETS));
    expect(p.get('east.sasl.mechanism')).toBe('OAUTHBEARER');
    expect(p.get('east.sasl.jaas.config')).toContain('unsecuredLoginStringClaim_sub="mm2"');
    expect(p.get('east.sasl.jaas.config')).not.toContain('MM2PW');
  });
});
