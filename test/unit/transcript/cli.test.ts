import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../../src/cli.js';
import { revertOkTranscript } from './revertOk.js';

const FIXTURE = revertOkTranscript();

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
