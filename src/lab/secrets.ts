import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { LAB_USERS, type LabSecrets } from './templates.js';

/** `FAILOVER_LAB_ORDERS_SVC_PASSWORD` for user `orders-svc`. */
export function passwordEnvName(user: string): string {
  return `FAILOVER_LAB_${user.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_PASSWORD`;
}

/**
 * Passwords of the secure lab's users: from the environment when set,
 * otherwise generated once into `.lab/secrets.json` (mode 0600) and reused.
 */
export function labSecrets(file: string, env: NodeJS.ProcessEnv = process.env): LabSecrets {
  const saved: Partial<LabSecrets> = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<LabSecrets>) : {};
  const out = {} as LabSecrets;
  for (const user of LAB_USERS) {
    out[user] = env[passwordEnvName(user)] || saved[user] || randomBytes(12).toString('base64url');
  }
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return out;
}

export function readLabSecrets(file: string): LabSecrets | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as LabSecrets) : undefined;
}
