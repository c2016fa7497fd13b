import { describe, expect, it, vi } from 'vitest';

// Records the order of the writer's file-system calls to show that an entry
// is fsynced before append returns.
const calls: string[] = [];
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    writeSync: ((...args: Parameters<typeof fs.writeSync>) => {
      calls.push('write');
      return (fs.writeSync as (...a: unknown[]) => number)(...args);
    }) as typeof fs.writeSync,
    fsyncSync: (fd: number) => {
      calls.push('fsync');
      fs.fsyncSync(fd);
    },
  };
});

const { TranscriptWriter } = await import('../../../src/transcript/writer.js');
const { tmpFile } = await import('./helpers.js');

describe('TranscriptWriter durability', () => {
  it('writes each entry in one call and fsyncs it before append returns', () => {
    const w = TranscriptWriter.create(tmpFile());
    calls.length = 0;
    w.append({ type: 'note', text: 'one' });
    expect(calls).toEqual(['write', 'fsync']);
    w.append({ type: 'note', text: 'two' });
    expect(calls).toEqual(['write', 'fsync', 'write', 'fsync']);
    w.close();
  });
});
