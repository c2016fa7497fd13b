import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { colourEnabled } from '../../../src/ui/colour.js';

const root = join(import.meta.dirname, '..', '..', '..');
const bin = join(root, 'bin', 'failover.js');
const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });

describe('the CLI frame (built binary)', () => {
  it('prints the package version', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' }).trim()).toBe(pkg.version);
  });

  it('--help lists the commands and exits 0', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    for (const cmd of ['validate', 'schema', 'lab', 'transcript']) expect(r.stdout).toContain(cmd);
  });

  it('an unknown command or option exits 2 with a pointer to --help', () => {
    const r = run(['frobnicate']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'frobnicate'/);
    const o = run(['lab', 'up', '--no-such-flag']);
    expect(o.status).toBe(2);
    expect(o.stderr).toMatch(/unknown option '--no-such-flag'/);
  });

  it('a wrong argument exits 2 with a hint, and no stack trace', () => {
    const r = run(['lab', 'kill', 'north', '--dir', join(root, '.lab-nonexistent')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('error: cannot kill "north"');
    expect(r.stderr).toContain('hint: choose one of: east, west, mm2');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('colour', () => {
  const tty = { isTTY: true } as NodeJS.WriteStream;
  const pipe = { isTTY: false } as NodeJS.WriteStream;
  it('only on a terminal, never under NO_COLOR', () => {
    expect(colourEnabled(tty, {})).toBe(true);
    expect(colourEnabled(pipe, {})).toBe(false);
    expect(colourEnabled(tty, { NO_COLOR: '1' })).toBe(false);
    expect(colourEnabled(tty, { TERM: 'dumb' })).toBe(false);
    expect(colourEnabled(pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(colourEnabled(pipe, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(false);
  });
});
