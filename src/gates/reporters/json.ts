import type { CheckResult } from '../scorecard.js';

/**
 * The result as one JSON document (schema/check-result.schema.json). Values
 * JSON cannot hold are normalised: bigint becomes a string, non-finite
 * numbers become null, undefined fields are left out.
 */
export function toJson(result: CheckResult): string {
  return JSON.stringify(result, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'number' && !Number.isFinite(v)) return null;
    return v;
  }, 2) + '\n';
}
