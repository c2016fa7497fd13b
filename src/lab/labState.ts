import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { LabProcess } from './processes.js';
import type { LabSettings, ProcessName, BrokerName } from './labConfig.js';

export interface LabState {
  version: 1;
  settings: LabSettings;
  processes: Partial<Record<ProcessName, LabProcess>>;
  clusterIds: Partial<Record<BrokerName, string>>;
}

export function readState(file: string): LabState | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as LabState;
    if (s.version !== 1) return undefined;
    // The lab is the folder its state was read from, whatever `--dir` once named it: a `lab up --dir .` run
    // from the lab's own folder (a drill's recover command) records "."; read from anywhere else that would
    // point at another folder's CA, credentials and logs.
    s.settings.dir = dirname(resolve(file));
    return s;
  } catch {
    return undefined;
  }
}

export function writeState(file: string, state: LabState): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n');
  renameSync(tmp, file);
}
