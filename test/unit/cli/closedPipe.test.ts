import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = join(import.meta.dirname, '..', '..', '..', 'bin', 'failover.js');

/** Runs the built CLI with its stdout closed by the reader before anything is written (`failover ... | head -0`). */
function withClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('a reader that closes the pipe', () => {
  it('ends the command with its own exit code, without an EPIPE crash', async () => {
    for (let i = 0; i < 3; i++) {
      const help = await withClosedStdout(['--help']);
      expect(help.stderr).not.toContain('EPIPE');
      expect(help.code).toBe(0);
    }
    // A command that fails still reports its own exit code and its error on stderr.
    const usage = await withClosedStdout(['validate', join(import.meta.dirname, 'no-such-runbook.yaml'), '--json']);
    expect(usage.stderr).not.toContain('EPIPE');
    expect(usage.code).toBe(2);
  }, 60_000);
});
