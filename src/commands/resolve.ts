import { resolve } from 'node:path';
import { resolveConflict } from '../engine/resolve.js';
import type { ExitCodeValue } from '../errors.js';
import { loadRunbookOrThrow } from '../runbook/load.js';
import { redact } from '../runbook/secrets.js';
import { askConfirm, requirePromptOrYes } from '../ui/prompts.js';
import { printError } from '../ui/report.js';

export interface ResolveOptions {
  runbook: string;
  keep: string;
  reason: string;
  yes: boolean;
  transcripts: string;
  cwd: string;
  argv: string[];
}

/** `failover resolve <runbook> --keep <cluster> --reason "..."`: settles copies of the pair's state that disagree. */
export async function resolveCommand(opts: ResolveOptions): Promise<ExitCodeValue> {
  requirePromptOrYes(opts.yes);
  const loaded = await loadRunbookOrThrow(resolve(opts.cwd, opts.runbook), { displayPath: opts.runbook });
  const say = (line: string) => process.stderr.write(redact(line) + '\n');
  const r = await resolveConflict(
    { loaded, keep: opts.keep, reason: opts.reason, transcriptsDir: resolve(opts.cwd, opts.transcripts), argv: opts.argv },
    async (q) => (opts.yes ? { yes: true, via: 'flag' } : { yes: await askConfirm(q.message), via: 'prompt' }),
    say,
  );
  if (r.exitCode === 0) say(r.message);
  else printError(r.message, r.hint);
  if (r.exitCode === 0 && r.hint) say(`next: ${r.hint}`);
  if (r.transcript) say(`transcript: ${r.transcript}`);
  return r.exitCode;
}
