import { join, resolve } from 'node:path';

export const DEFAULT_KAFKA_VERSION = '4.3.1';
export const DEFAULT_TOPICS = ['orders', 'payments', 'failover.probe'];
export const DEFAULT_GROUPS = ['billing', 'shipping', 'failover-probe'];
export type BrokerName = 'east' | 'west';
export type ProcessName = BrokerName | 'mm2';
export const BROKERS: readonly BrokerName[] = ['east', 'west'];
export const PROCESSES: readonly ProcessName[] = ['east', 'west', 'mm2'];

export interface LabSettings {
  dir: string;
  kafkaVersion: string;
  secure: boolean;
  ports: Record<BrokerName, number>;
  topics: string[];
  groups: string[];
  /** secure lab only: clusters that run without an authorizer (a real misconfiguration, for tests) */
  withoutAuthorizer?: BrokerName[];
}

/**
 * Each broker uses three consecutive ports: the client listener, the KRaft
 * controller listener, and (secure lab only) the inter-broker listener.
 */
export function portsOf(clientPort: number): { client: number; controller: number; internal: number } {
  return { client: clientPort, controller: clientPort + 1, internal: clientPort + 2 };
}

export function bootstrapOf(settings: LabSettings, name: BrokerName): string {
  return `127.0.0.1:${settings.ports[name]}`;
}

export function labPaths(dir: string) {
  const root = resolve(dir);
  return {
    root,
    state: join(root, 'state.json'),
    secrets: join(root, 'secrets.json'),
    logs: join(root, 'logs'),
    log: (name: ProcessName) => join(root, 'logs', `${name}.log`),
    data: (name: BrokerName) => join(root, name, 'data'),
    config: (name: ProcessName) => join(root, name, name === 'mm2' ? 'mm2.properties' : 'server.properties'),
    logConfig: (name: ProcessName, major: number) => join(root, name, major >= 4 ? 'log4j2.properties' : 'log4j.properties'),
    jaas: (name: ProcessName) => join(root, name, 'jaas.conf'),
    classpath: (version: string) => join(root, 'classpath', `${version}.txt`),
    route: join(root, 'route'),
  };
}

export function kafkaMajor(version: string): number {
  return Number.parseInt(version.split('.')[0] ?? '0', 10);
}
