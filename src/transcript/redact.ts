import { FailoverError } from '../errors.js';
import { secretEncodings } from '../secretEncodings.js';

/** Takes any text and returns it with every secret replaced. */
export type Redactor = (text: string) => string;

export const REDACTED = '[redacted]';

/**
 * A redactor for a list of secret values (the runbook's `${env:...}` and
 * `${file:...}` values). Longer secrets are matched first so that a secret
 * containing another is replaced whole. Each secret is also matched in its
 * JSON-escaped form, which is how it looks inside a JSON document someone
 * stored as a string (a command's output, say), and in its base64 forms
 * (secretEncodings), which is how a command that encodes it prints it.
 */
export function secretRedactor(secrets: readonly string[]): Redactor {
  const forms = new Set<string>();
  for (const s of secrets) {
    if (s === '') continue;
    forms.add(s);
    forms.add(JSON.stringify(s).slice(1, -1));
    for (const e of secretEncodings(s)) forms.add(e);
  }
  if (forms.size === 0) return (text) => text;
  const pattern = new RegExp(
    [...forms]
      .sort((a, b) => b.length - a.length)
      .map(escapeRegExp)
      .join('|'),
    'g',
  );
  return (text) => text.replace(pattern, REDACTED);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function toRedactor(r: Redactor | readonly string[] | undefined): Redactor {
  if (r === undefined) return (text) => text;
  if (typeof r === 'function') return r;
  return secretRedactor(r);
}

/**
 * Redacts plain JSON data: every string value and every key, and numbers
 * and booleans whose text is a secret (a numeric PIN is still a secret).
 * Then, as a last guard, the serialized form is run through the redactor
 * once more: a secret that survives (spread over JSON syntax, or in an
 * escaped form the redactor knows) is redacted in the text, and if that
 * leaves invalid JSON the entry is refused rather than written.
 */
export function redactJsonData(data: unknown, redact: Redactor): unknown {
  const walked = walk(data, redact);
  const text = JSON.stringify(walked);
  const again = redact(text);
  if (again === text) return walked;
  try {
    return JSON.parse(again) as unknown;
  } catch {
    throw new FailoverError('refusing to write a transcript entry: a secret appears in it in a form that cannot be redacted safely', {
      hint: 'this is a bug in failover; please report it (without the secret) with the command you ran',
    });
  }
}

function walk(v: unknown, redact: Redactor): unknown {
  if (typeof v === 'string') return redact(v);
  if (typeof v === 'number' || typeof v === 'boolean') {
    const s = String(v);
    const r = redact(s);
    return r === s ? v : r;
  }
  if (Array.isArray(v)) return v.map((x) => walk(x, redact));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[redact(k)] = walk(x, redact);
    return out;
  }
  return v;
}
