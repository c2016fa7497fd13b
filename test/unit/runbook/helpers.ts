import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const FIXTURES = join(ROOT, 'test/fixtures/runbook');
export const MINIMAL = join(FIXTURES, 'valid/minimal.yaml');

export function tmpDir(): string {
  return mkdtempSync(join(tmpdir(), 'failover-runbook-'));
}

/** The minimal valid runbook with exact-text replacements applied, written to a temp folder. */
export function variant(...replacements: Array<[string, string]>): string {
  let text = readFileSync(MINIMAL, 'utf8');
  for (const [from, to] of replacements) {
    if (!text.includes(from)) throw new Error(`fixture text not found: ${from}`);
    text = text.replace(from, () => to); // a function, so "$$" in `to` stays two dollars
  }
  const path = join(tmpDir(), 'runbook.yaml');
  writeFileSync(path, text);
  return path;
}
