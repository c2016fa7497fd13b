import type { Evidence, EvidenceStatus } from './types.js';

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
