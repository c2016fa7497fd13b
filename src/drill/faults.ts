import { execa } from 'execa';
import { renderArgv, type TemplateCluster, type TemplateContext } from '../runbook/templates.js';
import type { Runbook } from '../runbook/schema.js';

/**
 * Fault commands: the runbook names them (the lab's are `failover lab kill`,
 * `pause`, `resume`, `up`), the drill runs them in the runbook's folder with
 * the `{{...}}` templates filled (`source` is the primary the fault hits,
 * `target` the secondary), each under a deadline, and records what happened.
 */
export interface CommandResult {
  argv: string[];
  exitCode: number | undefined;
  ms: number;
  /** the last lines of its output, for the transcript and messages */
  output: string;
  timedOut: boolean;
  ok: boolean;
}

export function templateCluster(rb: Pick<Runbook, 'clusters' | 'link' | 'routing'>, name: string): TemplateCluster {
  const c = rb.clusters[name]!;
  const aliases = rb.link.kind === 'mirrormaker2' ? (rb.link.aliases as Record<string, string>) : {};
  return { bootstrap: c.bootstrap.join(','), name, region: c.region ?? '', alias: aliases[name] ?? name };
}

export function drillTemplates(rb: Runbook, transcriptPath: string): TemplateContext {
  return {
    source: templateCluster(rb, rb.roles.primary),
    target: templateCluster(rb, rb.roles.secondary),
    runbook: { name: rb.name },
    transcript: { path: transcriptPath },
  };
}

function lastLines(text: string, n = 12): string {
  const lines = text.trimEnd().split('\n');
  return lines.slice(-n).join('\n');
}

export async function runFaultCommand(argv: readonly string[], ctx: TemplateContext, opts: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<CommandResult> {
  const rendered = renderArgv(argv, ctx);
  const [file, ...args] = rendered;
  const t0 = Date.now();
  const r = await execa(file!, args, {
    cwd: opts.cwd,
    reject: false,
    all: true,
    timeout: opts.timeoutMs,
    forceKillAfterDelay: 2000,
    stdin: 'ignore',
    env: { NO_COLOR: '1', ...opts.env },
  });
  const timedOut = Boolean(r.timedOut);
  return {
    argv: rendered,
    exitCode: r.exitCode,
    ms: Date.now() - t0,
    output: lastLines(String(r.all ?? r.message ?? '')),
    timedOut,
    ok: !timedOut && r.exitCode === 0,
  };
}
