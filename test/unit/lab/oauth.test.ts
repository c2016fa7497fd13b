import { describe, expect, it } from 'vitest';
import { tokenClaims, unsecuredToken } from '../../../src/lab/oauth.js';

describe('unsecuredToken', () => {
  it('is an unsecured JWS as Kafka validates it: alg none, an empty signature, sub and a far exp', () => {
    const now = Date.UTC(2026, 0, 1);
    const t = unsecuredToken('orders-svc', now);
    const parts = t.split('.');
    expect(parts).toHaveLength(3);
    expect(parts[2]).toBe('');
    expect(JSON.parse(Buffer.from(parts[0]!, 'base64url').toString())).toEqual({ alg: 'none' });
    const claims = tokenClaims(t);
    expect(claims.sub).toBe('orders-svc');
    expect(claims.iat).toBe(now / 1000);
    expect(Number(claims.exp) - Number(claims.iat)).toBeGreaterThan(365 * 24 * 3600);
  });

  it("reads the same in the standard and the URL-safe base64 alphabets for the lab's users, with no padding", () => {
    // Claims that encode to '+' or '/' in the standard alphabet would break a decoder of the other alphabet.
    for (const sub of ['admin', 'mm2', 'billing', 'orders-svc', 'a'.repeat(40)]) {
      for (const now of [1_700_000_000_000, 1_700_000_001_000, 1_800_000_000_000]) {
        const t = unsecuredToken(sub, now);
        expect(t, sub).toMatch(/^[A-Za-z0-9]+\.[A-Za-z0-9]+\.$/);
        expect(tokenClaims(t).sub).toBe(sub);
      }
    }
  });

  it('still writes a URL-safe token for a subject no alignment can encode so', () => {
    const t = unsecuredToken('>>>???>>>???', 1_700_000_000_000);
    expect(t).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.$/);
    expect(tokenClaims(t).sub).toBe('>>>???>>>???');
  });
});
