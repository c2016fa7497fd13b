import { createHash } from 'node:crypto';

/**
 * The hash chain of a transcript.
 *
 *   hash(1) = sha256hex(GENESIS_HASH + canonicalJson(entry 1 without `hash`))
 *   hash(n) = sha256hex(hash(n-1)    + canonicalJson(entry n without `hash`))
 *
 * The genesis value is 64 zeros, so the first link has the same shape as
 * every other. The chain shows an edited, deleted, reordered or torn line. It
 * is not a signature: whoever can rewrite the file can recompute every hash
 * after an edit, so quote the last hash (`transcript verify` prints it)
 * wherever the run is reported to pin the whole file.
 */
export const GENESIS_HASH = '0'.repeat(64);

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * JSON with object keys sorted by code unit at every depth and no
 * whitespace, so that the hash does not depend on key order or formatting.
 * Input must already be plain JSON data (see `toJsonData`).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const s = JSON.stringify(value);
    // undefined, functions and symbols have no JSON form; toJsonData removes them first.
    return s === undefined ? 'null' : s;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/**
 * Turns what a caller hands in into plain JSON data: bigint becomes a decimal
 * string (offsets are INT64), undefined properties vanish, Dates become ISO
 * strings, Errors keep name and message. What the writer hashes is then
 * exactly what a reader parses back.
 */
export function toJsonData(value: unknown): unknown {
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Error) return { name: v.name, message: v.message };
    return v;
  });
  return text === undefined ? null : (JSON.parse(text) as unknown);
}

export function chainHash(prevHash: string, entryWithoutHash: unknown): string {
  return sha256Hex(prevHash + canonicalJson(entryWithoutHash));
}
