import { join, resolve } from 'node:path';

export const DEFAULT_KAFKA_VERSION = '4.3.1';
export const DEFAULT_TOPICS = ['orders', 'payments', 'failover.probe'];
export const DEFAULT_GROUPS = ['billing', 'shipping', 'failover-probe'];
/** A cluster of the lab. */
export type BrokerName = 'east' | 'west';
/**
 * A process of the lab: a cluster's one node on a 1-broker lab (`east`), one
 * node of a 3-broker cluster (`east-2`), or MirrorMaker 2.
 */
export type ProcessName = string;
export const BROKERS: readonly BrokerName[] = ['east', 'west'];
/** The processes of a 1-broker lab, the default shape. */
export const PROCESSES: readonly ProcessName[] = ['east', 'west', 'mm2'];

export const SASL_MECHANISMS = ['scram-sha-256', 'scram-sha-512', 'plain', 'oauthbearer'] as const;
export type LabSaslMechanism = (typeof SASL_MECHANISMS)[number];
export const BROKER_COUNTS = [1, 3] as const;
export type BrokerCount = (typeof BROKER_COUNTS)[number];
export const REPLICATION_POLICIES = ['default', 'identity'] as const;
export type ReplicationPolicyName = (typeof REPLICATION_POLICIES)[number];

export interface LabSettings {
  dir: string;
  kafkaVersion: string;
  /** SASL on the client listener, the StandardAuthorizer and the lab's ACLs (the mechanism is `sasl`) */
  secure: boolean;
  ports: Record<BrokerName, number>;
  topics: string[];
  groups: string[];
  /** secure lab only: clusters that run without an authorizer (a real misconfiguration, for tests) */
  withoutAuthorizer?: BrokerName[];
  /** nodes per cluster; absent on labs made before profiles: 1 */
  brokers?: BrokerCount;
  /** TLS on the client listener; absent: false */
  tls?: boolean;
  /** the client listener's SASL mechanism when `secure`; absent on a secure lab: scram-sha-256 */
  sasl?: LabSaslMechanism;
  /** MirrorMaker 2's naming; `identity` runs east->west only; absent: default */
  replicationPolicy?: ReplicationPolicyName;
  /** MirrorMaker 2's sync.group.offsets.enabled; absent: true */
  syncGroupOffsets?: boolean;
}

/** The lab's shape with every default filled in, for labs whose state.json predates a setting. */
export interface LabShape {
  brokers: BrokerCount;
  tls: boolean;
  sasl: LabSaslMechanism | undefined;
  replicationPolicy: ReplicationPolicyName;
  syncGroupOffsets: boolean;
}

export function shapeOf(s: LabSettings): LabShape {
  return {
    brokers: s.brokers ?? 1,
    tls: s.tls ?? false,
    sasl: s.secure ? (s.sasl ?? 'scram-sha-256') : undefined,
    replicationPolicy: s.replicationPolicy ?? 'default',
    syncGroupOffsets: s.syncGroupOffsets ?? true,
  };
}

/**
 * Each node uses three consecutive ports: the client listener, the KRaft
 * controller listener, and the inter-broker listener (used by a secure, TLS
 * or 3-broker lab). Node i (0-based) of a cluster whose client port is P
 * starts at P + 3i, so the 1-broker lab keeps the ports it always had.
 */
export function portsOf(clientPort: number, index = 0): { client: number; controller: number; internal: number } {
  const base = clientPort + 3 * index;
  return { client: base, controller: base + 1, internal: base + 2 };
}

/** One node of a cluster: its process name, node id and index among the cluster's nodes. */
export interface LabNode {
  cluster: BrokerName;
  name: ProcessName;
  nodeId: number;
  index: number;
}

/** A 1-broker cluster's node is named after the cluster (as labs always were); a 3-broker cluster's are `east-1`..`east-3`. */
export function nodesOf(s: LabSettings, cluster: BrokerName): LabNode[] {
  const n = shapeOf(s).brokers;
  if (n === 1) return [{ cluster, name: cluster, nodeId: 1, index: 0 }];
  return Array.from({ length: n }, (_, i) => ({ cluster, name: `${cluster}-${i + 1}`, nodeId: i + 1, index: i }));
}

export function allNodes(s: LabSettings): LabNode[] {
  return BROKERS.flatMap((b) => nodesOf(s, b));
}

/** Every process of the lab, nodes first, MirrorMaker 2 last. */
export function processNames(s: LabSettings): ProcessName[] {
  return [...allNodes(s).map((n) => n.name), 'mm2'];
}

/** The node a process name names, if it names one. */
export function nodeNamed(s: LabSettings, name: string): LabNode | undefined {
  return allNodes(s).find((n) => n.name === name);
}

/** The client addresses of a cluster's nodes. */
export function bootstrapServers(settings: LabSettings, name: BrokerName): string[] {
  return nodesOf(settings, name).map((n) => `127.0.0.1:${portsOf(settings.ports[name], n.index).client}`);
}

/** The cluster's bootstrap as one string, comma-separated (Kafka's bootstrap.servers). */
export function bootstrapOf(settings: LabSettings, name: BrokerName): string {
  return bootstrapServers(settings, name).join(',');
}

export function labPaths(dir: string) {
  const root = resolve(dir);
  return {
    root,
    state: join(root, 'state.json'),
    secrets: join(root, 'secrets.json'),
    logs: join(root, 'logs'),
    log: (name: ProcessName) => join(root, 'logs', `${name}.log`),
    data: (name: ProcessName) => join(root, name, 'data'),
    config: (name: ProcessName) => join(root, name, name === 'mm2' ? 'mm2.properties' : 'server.properties'),
    logConfig: (name: ProcessName, major: number) => join(root, name, major >= 4 ? 'log4j2.properties' : 'log4j.properties'),
    jaas: (name: ProcessName) => join(root, name, 'jaas.conf'),
    classpath: (version: string) => join(root, 'classpath', `${version}.txt`),
    route: join(root, 'route'),
    tls: join(root, 'tls'),
    /** the lab CA's certificate, for runbooks' auth.tls.ca */
    caPem: join(root, 'tls', 'ca.pem'),
    /** the brokers' keystore (one key for every node: all listen on 127.0.0.1) */
    keystore: join(root, 'tls', 'broker.p12'),
    /** the lab CA as a PKCS12 truststore, for MirrorMaker 2 and Kafka's tools */
    truststore: join(root, 'tls', 'truststore.p12'),
    storePassword: join(root, 'tls', 'store.password'),
    /** unsecured OAUTHBEARER tokens, one file per user */
    token: (user: string) => join(root, 'oauth', `${user}.token`),
    /** a secure lab user's password, for runbooks' `${file:...}` */
    password: (user: string) => join(root, 'passwords', user),
    /** a runbook for this lab's shape, written by `lab up` for profiles the checked-in runbooks do not describe */
    runbook: join(root, 'runbook.yaml'),
  };
}

export function kafkaMajor(version: string): number {
  return Number.parseInt(version.split('.')[0] ?? '0', 10);
}
