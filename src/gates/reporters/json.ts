import type { CheckResult } from '../scorecard.js';

/**
 * The result as one JSON document (schema/check-result.schema.json). Values
 * JSON cannot hold are normalised: bigint becomes a string, non-finite
 * numbers become null, undefined fields are left out.
 */
export function toJson(result: CheckResult): string {
  // JSON.stringify already writes non-finite numbers as null and leaves
  // undefined out; only a bigint makes it throw. The replacer, called for
  // every value, is paid only then (at 4,000 partitions the result has
  // ~200,000 values).
  try {
    return JSON.stringify(result, null, 2) + '\n';
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    return JSON.stringify(result, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n';
  }
}
