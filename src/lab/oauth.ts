import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Unsecured JWS tokens (RFC 7515 with alg "none") for the lab's OAUTHBEARER
 * profile, as Kafka's OAuthBearerUnsecuredValidatorCallbackHandler accepts
 * them: three dot-separated base64url parts, the last one empty, a `sub`
 * claim (the principal) and an `exp`. Anyone can write one: for labs only,
 * never for a cluster that matters.
 */
export function unsecuredToken(sub: string, nowMs = Date.now(), lifetimeSeconds = 10 * 365 * 24 * 3600): string {
  const iat = Math.floor(nowMs / 1000);
  const header = b64(JSON.stringify({ alg: 'none' }));
  // Some Kafka versions decode the parts with the standard base64 alphabet, others with the URL-safe one: a part
  // that uses neither '+/' nor '-_' reads the same with both. A `jti` claim placed first shifts the alignment of
  // the others until the claims part does; a subject no alignment can encode so keeps the URL-safe form.
  let claims = '';
  for (let jti = 0; jti < 64; jti++) {
    const json = JSON.stringify({ jti: 'x'.repeat(jti % 3) + String(jti), sub, iat, exp: iat + lifetimeSeconds });
    claims = Buffer.from(json, 'utf8').toString('base64').replace(/=+$/, '');
    if (!/[+/]/.test(claims)) return `${header}.${claims}.`;
  }
  return `${header}.${claims.replace(/\+/g, '-').replace(/\//g, '_')}.`;
}

function b64(text: string): string {
  const s = Buffer.from(text, 'utf8').toString('base64');
  if (/[+/]/.test(s)) throw new Error(`not encodable in both alphabets: ${text}`);
  return s.replace(/=+$/, '');
}

/** The claims of an unsecured token, for tests and for `lab status`. */
export function tokenClaims(token: string): Record<string, unknown> {
  const [, claims] = token.split('.');
  return JSON.parse(Buffer.from(claims ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Writes each user's token to its file (mode 0600), unless the file is there already. */
export function writeTokens(users: readonly string[], fileOf: (user: string) => string): void {
  for (const user of users) {
    const file = fileOf(user);
    if (existsSync(file)) continue;
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, unsecuredToken(user), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
}
