import { execa } from 'execa';

export interface CommandResult {
  argv: string[];
  exitCode: number | null;
  timedOut: boolean;
  /** stdout and stderr interleaved, the last OUTPUT_MAX characters */
  output: string;
  durationMs: number;
  /** why the command could not start (not found, not executable) */
  error?: string;
}

const OUTPUT_MAX = 16 * 1024;

/**
 * Runs one command without a shell (arguments are passed as they are, so
 * a rendered `{{target.bootstrap}}` cannot inject anything), in the runbook
 * folder, killed at the deadline. The output is kept for the transcript,
 * whose writer redacts secrets.
 */
export async function runCommand(argv: readonly string[], opts: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv; signal?: AbortSignal }): Promise<CommandResult> {
  const [file, ...args] = argv;
  const started = Date.now();
  if (file === undefined) return { argv: [], exitCode: null, timedOut: false, output: '', durationMs: 0, error: 'empty command' };
  const r = await execa(file, args, {
    cwd: opts.cwd,
    timeout: opts.timeoutMs,
    reject: false,
    all: true,
    stdin: 'ignore',
    ...(opts.env ? { env: opts.env, extendEnv: false } : {}),
    ...(opts.signal ? { cancelSignal: opts.signal } : {}),
  });
  const all = String(r.all ?? '');
  const failedToStart = r.exitCode === undefined && !r.timedOut;
  return {
    argv: [...argv],
    exitCode: r.exitCode ?? null,
    timedOut: Boolean(r.timedOut),
    output: all.length > OUTPUT_MAX ? `[... ${all.length - OUTPUT_MAX} characters cut]\n${all.slice(-OUTPUT_MAX)}` : all,
    durationMs: Date.now() - started,
    ...(failedToStart ? { error: r.shortMessage ?? r.message ?? 'the command did not start' } : {}),
  };
}

export function describeResult(r: CommandResult): string {
  if (r.error) return `could not run ${r.argv[0] ?? ''}: ${r.error}`;
  if (r.timedOut) return `timed out after ${(r.durationMs / 1000).toFixed(1)} s`;
  return `exit ${r.exitCode} in ${(r.durationMs / 1000).toFixed(1)} s`;
}
