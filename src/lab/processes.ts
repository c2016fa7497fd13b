import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';

/** A process the lab started: a pid plus the marker that proves the pid is still ours. */
export interface LabProcess {
  pid: number;
  marker: string;
  startedAt: string;
}

export type ProcState = 'running' | 'paused' | 'stopped';

function cmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return undefined;
  }
}

/** Alive, paused (SIGSTOP) or gone; a reused pid that is not ours counts as gone. */
export function procState(p: LabProcess | undefined): ProcState {
  if (!p) return 'stopped';
  const cmd = cmdline(p.pid);
  if (!cmd || !cmd.includes(p.marker)) return 'stopped';
  try {
    const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
    // Field 3, after the parenthesised command name, is the state letter.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return 'stopped';
    if (state === 'T' || state === 't') return 'paused';
  } catch {
    return 'stopped';
  }
  return 'running';
}

export function startJava(opts: {
  java: string;
  classpath: string;
  mainClass: string;
  args: string[];
  jvmArgs: string[];
  marker: string;
  logFile: string;
  env?: NodeJS.ProcessEnv;
}): LabProcess {
  mkdirSync(dirname(opts.logFile), { recursive: true });
  const fd = openSync(opts.logFile, 'a');
  try {
    const child = spawn(
      opts.java,
      [`-Dfailover.lab=${opts.marker}`, ...opts.jvmArgs, '-cp', opts.classpath, opts.mainClass, ...opts.args],
      // Detached in its own process group: the lab outlives the command that started it.
      { detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, ...opts.env } },
    );
    child.unref();
    if (!child.pid) throw new Error(`could not start ${opts.mainClass}`);
    return { pid: child.pid, marker: opts.marker, startedAt: new Date().toISOString() };
  } finally {
    closeSync(fd);
  }
}

export function signal(p: LabProcess, sig: NodeJS.Signals): boolean {
  if (procState(p) === 'stopped') return false;
  try {
    process.kill(p.pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; a paused process is continued first so it can exit. */
export async function stop(p: LabProcess | undefined, graceMs = 15_000): Promise<void> {
  if (!p || procState(p) === 'stopped') return;
  if (procState(p) === 'paused') signal(p, 'SIGCONT');
  signal(p, 'SIGTERM');
  const until = Date.now() + graceMs;
  while (Date.now() < until) {
    if (procState(p) === 'stopped') return;
    await sleep(100);
  }
  signal(p, 'SIGKILL');
  while (procState(p) !== 'stopped') await sleep(50);
}

export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function tail(file: string, lines: number): string {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8');
  return text.split('\n').slice(-lines - 1).join('\n');
}
