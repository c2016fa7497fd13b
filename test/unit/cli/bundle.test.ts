import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');

/*
 * The bundle (lib/) holds the Kafka client, whose snappy and lz4 codecs are
 * WebAssembly that the client's dependency reads from a file next to its
 * own module unless the bundle inlines it (scripts/bundle.mjs aliases it).
 * Run from a copy of lib/ elsewhere, a bundle that still reads the file
 * fails as soon as a command loads the client: ENOENT, an internal error.
 */
describe('the built CLI, copied away from the source tree', { timeout: 30_000 }, () => {
  let dir: string;
  beforeAll(() => {
    if (!existsSync(join(ROOT, 'lib/cli.js'))) throw new Error('run `npm run build` first: these tests start the built CLI');
    dir = mkdtempSync(join(tmpdir(), 'failover-bundle-'));
    cpSync(join(ROOT, 'lib'), join(dir, 'lib'), { recursive: true });
    cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
    // The externals (execa, prompts, tables) still resolve; the client itself must come from lib/.
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads the Kafka client and its codecs from lib/ alone', () => {
    const r = spawnSync(process.execPath, [join(dir, 'bin/failover.js'), 'lab', 'status', '--dir', join(dir, 'no-lab')], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.stderr).not.toMatch(/ENOENT|internal error/);
    expect(r.stderr).toContain(`no lab in ${join(dir, 'no-lab')}`);
    expect(r.status).toBe(2);
  });
});
