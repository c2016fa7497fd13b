import { secretEncodings } from '../secretEncodings.js';

/**
 * The one place that knows secret values and removes them from text.
 *
 * Every value that came from `${env:...}` or `${file:...}` is a secret. The
 * loader registers each in its runbook's registry and in the process-wide
 * one, so anything this process prints or writes can be passed through
 * `redact` (text) or `redactDeep` (a JSON-able value) without the caller
 * knowing which values are secret.
 *
 * The transcript writer takes a `(text) => string` or the secret values:
 * `new TranscriptWriter(..., { redact })` with `redact` from here, or
 * `{ redact: loaded.secrets.redact }` / `{ redact: loaded.secrets.values() }`
 * for one runbook's secrets only.
 */
export const REDACTED = '[redacted]';

/** Secrets shorter than this are redacted only where they stand alone as a word. */
const SHORT = 4;
/** Lines of a multi-line secret (a PEM key) at least this long are secrets too. */
const LINE_MIN = 8;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class SecretRegistry {
  readonly #values = new Set<string>();
  #pattern: RegExp | undefined;
  #anywhere: RegExp | undefined;

  /** Registers a secret value (and the forms it takes inside JSON, per line, and base64-encoded). */
  add(value: string): void {
    const forms = new Set<string>([value, value.trim()]);
    // JSON output escapes quotes, backslashes and control characters.
    forms.add(JSON.stringify(value).slice(1, -1));
    for (const v of new Set([value, value.trim()])) for (const e of secretEncodings(v)) forms.add(e);
    if (value.includes('\n')) for (const line of value.split(/\r?\n/)) if (line.trim().length >= LINE_MIN) forms.add(line.trim());
    for (const f of forms) if (f.length > 0 && !this.#values.has(f)) {
      this.#values.add(f);
      this.#pattern = undefined;
      this.#anywhere = undefined;
    }
  }

  addAll(other: SecretRegistry): void {
    for (const v of other.values()) this.add(v);
  }

  /** The registered forms, longest first. Hand them to nothing that prints. */
  values(): string[] {
    return [...this.#values].sort((a, b) => b.length - a.length);
  }

  get size(): number {
    return this.#values.size;
  }

  has(value: string): boolean {
    return this.#values.has(value);
  }

  /** Text with every registered secret replaced by [redacted]. Bound, so it can be handed over as a function. */
  readonly redact = (text: string): string => {
    if (this.#values.size === 0 || text.length === 0) return text;
    this.#pattern ??= new RegExp(
      this.values()
        .map((v) => (v.length < SHORT ? `(?<![A-Za-z0-9])${escapeRegExp(v)}(?![A-Za-z0-9])` : escapeRegExp(v)))
        .join('|'),
      'g',
    );
    return text.replace(this.#pattern, REDACTED);
  };

  /** A copy of a JSON-able value with every string (keys included) redacted; the value itself when there is no secret in it. */
  redactDeep<T>(value: T): T {
    if (this.#values.size === 0 || !this.#mayHold(value)) return value;
    return redactValue(value, this) as T;
  }

  /**
   * Whether any string of `value` may hold a secret: one search of its JSON
   * text, far cheaper than copying a large value (a check result at 4,000
   * partitions has ~200,000 values). The search has no word boundaries and
   * the JSON-escaped forms are registered, so it finds every secret
   * `redact` would find in the strings, and then some; a value JSON cannot
   * write counts as holding one.
   */
  #mayHold(value: unknown): boolean {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch {
      return true;
    }
    if (text === undefined) return true;
    this.#anywhere ??= new RegExp(this.values().map(escapeRegExp).join('|'));
    return this.#anywhere.test(text);
  }
}

function redactValue(value: unknown, r: SecretRegistry): unknown {
  if (typeof value === 'string') return r.redact(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, r));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[r.redact(k)] = redactValue(v, r);
    return out;
  }
  return value;
}

/** Every secret loaded by this process. */
export const processSecrets = new SecretRegistry();

/** Redacts every secret this process has loaded. The transcript writer and every renderer use this. */
export function redact(text: string): string {
  return processSecrets.redact(text);
}

/** Redacts every string inside a JSON-able value, e.g. a transcript entry before it is written. */
export function redactDeep<T>(value: T): T {
  return processSecrets.redactDeep(value);
}
