import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SecretRegistry } from '../../src/runbook/secrets.js';
import { secretRedactor, type Redactor } from '../../src/transcript/redact.js';
import { TranscriptWriter } from '../../src/transcript/writer.js';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const url = (s: string) => b64(s).replace(/\+/g, '-').replace(/\//g, '_');

// Its base64 has '+', '/' and padding, so every alphabet and form differs.
const SECRET = 's3cret~~~???>>>x';

const redactors: [string, (secrets: string[]) => Redactor][] = [
  [
    'the runbook registry (runbook/secrets.ts)',
    (secrets) => {
      const r = new SecretRegistry();
      for (const s of secrets) r.add(s);
      return r.redact;
    },
  ],
  ['the transcript redactor (transcript/redact.ts)', (secrets) => secretRedactor(secrets)],
];

describe.each(redactors)('base64 forms of a secret, in %s', (_name, make) => {
  const redact = make([SECRET]);

  it('standalone: standard and URL-safe, with and without padding', () => {
    expect(b64(SECRET)).toBe('czNjcmV0fn5+Pz8/Pj4+eA==');
    expect(url(SECRET)).toBe('czNjcmV0fn5-Pz8_Pj4-eA==');
    expect(redact(`token ${b64(SECRET)} end`)).toBe('token [redacted] end');
    expect(redact(`token ${b64(SECRET).replace(/=+$/, '')} end`)).toBe('token [redacted] end');
    expect(redact(`token ${url(SECRET)} end`)).toBe('token [redacted] end');
    expect(redact(`token ${url(SECRET).replace(/=+$/, '')} end`)).toBe('token [redacted] end');
  });

  it('inside a longer encoded text, at each of the three byte offsets', () => {
    // HTTP Basic: "admin:" is 6 bytes, so the secret starts a 3-byte group.
    expect(redact(`Authorization: Basic ${b64(`admin:${SECRET}`)}`)).toBe('Authorization: Basic YWRtaW46[redacted]');
    // One byte before it: only the characters mixing its bits with its neighbours' remain.
    expect(b64(`x${SECRET}y`)).toBe('eHMzY3JldH5+fj8/Pz4+Pnh5');
    expect(redact(b64(`x${SECRET}y`))).toBe('eH[redacted]h5');
    expect(redact(url(`x${SECRET}y`))).toBe('eH[redacted]h5');
    // Two bytes before it.
    expect(b64(`xy${SECRET}`)).toBe('eHlzM2NyZXR+fn4/Pz8+Pj54');
    expect(redact(b64(`xy${SECRET}`))).toBe('eHl[redacted]');
    // Whatever is left does not decode to the secret.
    for (const text of [b64(`xy${SECRET}`), b64(`x${SECRET}y`), b64(`admin:${SECRET}`)]) {
      expect(Buffer.from(redact(text).replace('[redacted]', ''), 'base64').toString('latin1')).not.toContain(SECRET.slice(0, 4));
    }
  });

  it('a short secret is redacted where its whole encoding stands, and does not eat ordinary text', () => {
    const short = make(['abcd']);
    expect(short(`x ${b64('abcd')} y`)).toBe('x [redacted] y');
    expect(short('YWJjZ is not it, nor is YWJj')).toBe('YWJjZ is not it, nor is YWJj');
  });
});

describe('a run step printing a secret base64-encoded', () => {
  it('reaches the transcript redacted', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'failover-b64-')), 'run.jsonl');
    const w = TranscriptWriter.create(path, { redact: [SECRET] });
    w.append({ type: 'note', text: 'run step output', data: { stdout: `${b64(SECRET)}\n`, stderr: `basic ${b64(`admin:${SECRET}`)}` } });
    w.close();
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain(b64(SECRET).slice(0, 12));
    expect(text).toContain('"stdout":"[redacted]\\n"');
    expect(text).toContain('"stderr":"basic YWRtaW46[redacted]"');
  });
});
