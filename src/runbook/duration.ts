import * as z from 'zod';
import { expecting } from './expecting.js';

/**
 * Durations are written the way operators say them: `500ms`, `30s`, `2m`,
 * `1h`. One unit per value keeps them unambiguous (no `1m30s`; write `90s`).
 */
const DURATION = /^(\d+)(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

export const DURATION_EXAMPLES = '500ms, 30s, 2m or 1h';

/** Milliseconds for a duration string, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] as keyof typeof UNIT_MS;
  const ms = n * UNIT_MS[unit];
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** The shortest exact spelling of a millisecond count, for plans and reports. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0 && ms > 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}

/** A duration field: written as a string, read as milliseconds. */
export function duration() {
  return z
    .string()
    .regex(DURATION, { error: expecting('not a duration', `a whole number with a unit: ${DURATION_EXAMPLES}`) })
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined) {
        ctx.issues.push({ code: 'custom', input: text, message: 'duration is too large', continue: false });
        return z.NEVER;
      }
      return ms;
    })
    .meta({ description: `A duration: ${DURATION_EXAMPLES}` });
}
