import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const bin = join(root, 'bin', 'failover.js');

describe('--dry-run with --resume', () => {
  it('is a usage error (exit 2) with a hint, for every action; nothing is planned', () => {
    const dir = mkdtempSync(join(tmpdir(), 'failover-dry-resume-'));
    const runbook = join(dir, 'runbook.yaml');
    writeFileSync(runbook, readFileSync(join(root, 'test/fixtures/runbook/valid/minimal.yaml'), 'utf8').replace('127.0.0.1:19092', '127.0.0.1:1').replace('127.0.0.1:29092', '127.0.0.1:2'));
    for (const action of ['promote', 'revert']) {
      const r = spawnSync(process.execPath, [bin, action, runbook, '--dry-run', '--resume', 'transcripts/x.jsonl'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 30_000 });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain('error: --dry-run and --resume do not go together: a dry run plans from the live pair and continues no transcript');
      expect(r.stderr).toContain(`hint: drop --dry-run to continue that run (failover ${action} ${runbook} --resume transcripts/x.jsonl), or drop --resume to see the plan`);
      expect(r.stdout).toBe('');
    }
  });
});
