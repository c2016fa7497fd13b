import { hostname, userInfo } from 'node:os';
import { toolVersion } from '../version.js';

export interface RunFacts {
  operator: string;
  host: string;
  pid: number;
  toolVersion: string;
}

/**
 * Who is running this, where: the facts a run-started entry records.
 * FAILOVER_OPERATOR names the person when the OS account is shared (a
 * bastion host, a CI runner).
 */
export function runFacts(env: NodeJS.ProcessEnv = process.env): RunFacts {
  return { operator: operatorName(env), host: hostname(), pid: process.pid, toolVersion };
}

function operatorName(env: NodeJS.ProcessEnv): string {
  if (env.FAILOVER_OPERATOR) return env.FAILOVER_OPERATOR;
  try {
    return userInfo().username;
  } catch {
    // A container user without a passwd entry has no name.
    return env.USER ?? env.USERNAME ?? 'unknown';
  }
}
