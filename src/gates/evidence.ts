import type { Evidence, EvidenceStatus } from './types.js';
import type { PhaseInfo } from './phaseSource.js';

/**
 * Constructors for evidence, so that every check reads the same way:
 * `fail('offsets.lag', 'east.orders-2 lags 1200 records', { data, hint })`.
 */
type Extra = { data?: unknown; hint?: string; blocking?: boolean };

function make(status: EvidenceStatus, check: string, finding: string, extra: Extra = {}): Evidence {
  return {
    check,
    status,
    finding,
    ...(extra.data === undefined ? {} : { data: extra.data }),
    ...(extra.hint === undefined ? {} : { hint: extra.hint }),
    ...(extra.blocking === undefined ? {} : { blocking: extra.blocking }),
  };
}

export const pass = (check: string, finding: string, extra?: Extra) => make('pass', check, finding, extra);
export const warn = (check: string, finding: string, extra?: Extra) => make('warn', check, finding, extra);
export const fail = (check: string, finding: string, extra?: Extra) => make('fail', check, finding, extra);
export const skip = (check: string, finding: string, extra?: Extra) => make('skip', check, finding, extra);

/** Evidence from the worst status among parts: fail > warn > skip > pass. */
export function worst(statuses: readonly EvidenceStatus[]): EvidenceStatus {
  for (const s of ['fail', 'warn', 'skip'] as const) if (statuses.includes(s)) return s;
  return 'pass';
}

/** "a, b and 3 more": names in a finding without letting it grow past one line. */
export function listSome(items: readonly string[], max = 3): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

export function seconds(ms: number): string {
  const s = ms / 1000;
  return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
}

/**
 * The secondary does not answer: a failure, unless the operator declared it
 * down for the action under way (a promote with the primary dead, judged
 * in the phase it leads to, where the dead one is the secondary). Then it
 * is expected, and reported as such.
 */
export function secondaryDown(ctx: { phase: PhaseInfo; secondary: { name: string; error?: string } }, check: string, what: string, extra?: Extra): Evidence {
  const S = ctx.secondary;
  if (ctx.phase.expectedDown?.includes(S.name)) {
    return warn(check, `${S.name} does not answer, as declared by the operator (${S.error ?? 'no answer'}): ${what} not checked`, extra);
  }
  return fail(check, `secondary ${S.name} unreachable: ${what} not checked (${S.error ?? 'no answer'})`, extra);
}
