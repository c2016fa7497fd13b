import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../../src/cli.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/transcripts/revert-ok.jsonl', import.meta.url));

afterEach(() => vi.restoreAllMocks());

describe('failover transcript', () => {
  it('registers show and verify, and verify reaches the command', async () => {
    let stdout = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
    const program = buildProgram();
    const transcript = program.commands.find((c) => c.name() === 'transcript');
    expect(transcript?.commands.map((c) => c.name())).toEqual(['show', 'verify']);
    await program.parseAsync(['node', 'failover', 'transcript', 'verify', FIXTURE, '--json']);
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, finished: true });
  });
});
