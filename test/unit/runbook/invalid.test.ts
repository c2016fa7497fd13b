import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRunbook } from '../../../src/runbook/load.js';
import { FIXTURES, tmpDir } from './helpers.js';

interface Expectation {
  message: string;
  line: number;
  col: number;
  path: string;
  expected?: string;
  severity?: 'error' | 'warning';
}

const DIR = join(FIXTURES, 'invalid');
const cases = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

describe('malformed runbooks', () => {
  it('has a case and an expectation for at least 40 kinds of mistake', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    for (const c of cases) expect(readdirSync(DIR)).toContain(c.replace(/\.yaml$/, '.expect.json'));
  });

  it.each(cases)('%s: reports the mistake where it is', async (name) => {
    const want = JSON.parse(readFileSync(join(DIR, name.replace(/\.yaml$/, '.expect.json')), 'utf8')) as Expectation;
    // An empty environment, so a variable set on the test machine cannot change the outcome.
    const result = await loadRunbook(join(DIR, name), { env: {}, displayPath: name });
    expect(result.runbook).toBeUndefined();
    const severity = want.severity ?? 'error';
    const match = result.problems.find((p) => p.severity === severity && p.message.includes(want.message));
    expect(match, `no ${severity} containing "${want.message}" in:\n${JSON.stringify(result.problems, null, 2)}`).toBeDefined();
    expect({ file: match!.file, line: match!.line, col: match!.col, path: match!.path }).toEqual({ file: name, line: want.line, col: want.col, path: want.path });
    if (want.expected !== undefined) expect(match!.expected).toContain(want.expected);
  });
});

/**
 * Time is measured as this process's CPU time, not wall time: the machine is
 * shared, and a busy neighbour must not fail a bound on our own work.
 */
async function cpuMs<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const before = process.cpuUsage();
  const result = await work();
  const used = process.cpuUsage(before);
  return { result, ms: (used.user + used.system) / 1000 };
}

describe('hostile input', () => {
  it('refuses a 10 MB file by its size, quickly, without parsing it', async () => {
    const path = join(tmpDir(), 'huge.yaml');
    const line = 'key: value value value value value value value value value value value\n';
    writeFileSync(path, line.repeat(Math.ceil((10 * 1024 * 1024) / line.length)));
    const { result, ms } = await cpuMs(() => loadRunbook(path, { displayPath: 'huge.yaml' }));
    expect(result.runbook).toBeUndefined();
    expect(result.problems).toEqual([
      expect.objectContaining({ severity: 'error', file: 'huge.yaml', line: 1, col: 1, path: '(root)', message: 'file is 10.0 MiB; too large for a runbook', expected: 'at most 1.0 MiB' }),
    ]);
    expect(ms).toBeLessThan(500);
  });

  it('refuses an alias bomb in under a second with bounded memory', async () => {
    // 10^14 leaves if expanded; the committed fixture has 10^10.
    let text = 'l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i <= 14; i++) text += `l${i}: &l${i} [${Array.from({ length: 10 }, () => `*l${i - 1}`).join(', ')}]\n`;
    const path = join(tmpDir(), 'bomb.yaml');
    writeFileSync(path, text);
    const heapBefore = process.memoryUsage().heapUsed;
    const { result, ms } = await cpuMs(() => loadRunbook(path));
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    expect(result.runbook).toBeUndefined();
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]!.message).toMatch(/alias bomb/);
    expect(result.problems[0]!.line).toBe(2); // the first alias
    expect(ms).toBeLessThan(1000);
    expect(heapGrowth).toBeLessThan(32 * 1024 * 1024);
  });

  it('refuses merge keys, which copy maps where aliases share them', async () => {
    const path = join(tmpDir(), 'merge.yaml');
    writeFileSync(path, 'base: &base { version: 1, name: shared }\n<<: *base\n');
    const result = await loadRunbook(path);
    expect(result.problems).toContainEqual(
      expect.objectContaining({ line: 2, col: 1, path: '["<<"]', message: 'merge keys (<<) are not supported', expected: 'an alias for the whole value instead: key: *anchor' }),
    );
  });

  it('stops a fan-out of aliases at the cap on expanded values', async () => {
    // 60 aliases (under yaml's limit of 100) to one shared 1000-key map: cheap for
    // yaml, which shares it; 60 000 values for anything that walks the data.
    const keys = Array.from({ length: 1000 }, (_, i) => `k${i}: v`).join(', ');
    const path = join(tmpDir(), 'fanout.yaml');
    writeFileSync(path, `base: &base { ${keys} }\nlist: [${Array.from({ length: 60 }, () => '*base').join(', ')}]\n`);
    const { result, ms } = await cpuMs(() => loadRunbook(path));
    expect(ms).toBeLessThan(2000);
    expect(result.problems).toEqual([expect.objectContaining({ severity: 'error', message: 'the runbook expands to more than 50000 values (anchors and aliases?)' })]);
  });

  it('stays linear on a map with tens of thousands of keys, duplicates included', async () => {
    // yaml's own duplicate check is quadratic: minutes for this file. Ours is one
    // pass, and so is placing 40 000 unknown-key problems in it.
    const lines = Array.from({ length: 48_000 }, (_, i) => `k${i % 40_000}: 1\n`).join('');
    const path = join(tmpDir(), 'wide.yaml');
    writeFileSync(path, lines);
    const { result, ms } = await cpuMs(() => loadRunbook(path));
    expect(ms).toBeLessThan(8000);
    expect(result.problems).toHaveLength(501);
    expect(result.problems.at(-1)!.message).toMatch(/^(at least )?\d+ more problems after line \d+ not listed$/);
  });
});
