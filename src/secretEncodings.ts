/**
 * The base64 forms a secret takes when something encodes it: a `run` step
 * that prints `echo -n "$PASSWORD" | base64`, an HTTP Basic header
 * (`user:password` encoded), a Kubernetes secret. Both redactors (the
 * runbook's registry and the transcript's redactor) add these to the plain
 * forms, so an encoded secret is redacted like a plain one.
 *
 * Standalone, a secret encodes to one string (standard or URL-safe alphabet,
 * with or without `=` padding). Inside a longer encoded text it starts at
 * byte 0, 1 or 2 of a 3-byte group, and only the characters made of its own
 * bits alone are the same wherever it appears: those middle runs are
 * registered for each of the three offsets. Forms shorter than MIN_FORM
 * characters are left out: they would match ordinary text.
 */
const MIN_FORM = 8;

function urlSafe(b64: string): string {
  return b64.replace(/\+/g, '-').replace(/\//g, '_');
}

export function secretEncodings(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length === 0) return [];
  const out = new Set<string>();
  const full = bytes.toString('base64');
  const forms = [full, full.replace(/=+$/, '')];
  // Each offset in a 3-byte group: the characters whose six bits all come from the secret.
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64').replace(/=+$/, '');
    const start = Math.ceil((8 * shift) / 6);
    const end = Math.floor((8 * (shift + bytes.length)) / 6);
    if (end > start) forms.push(encoded.slice(start, end));
  }
  for (const f of forms) {
    if (f.length < MIN_FORM) continue;
    out.add(f);
    out.add(urlSafe(f));
  }
  return [...out];
}
