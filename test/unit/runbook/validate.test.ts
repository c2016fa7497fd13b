import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { validate } from '../../../src/commands/validate.js';
import { FIXTURES, MINIMAL, ROOT, tmpDir, variant } from './helpers.js';

afterEach(() => vi.restoreAllMocks());

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  return { stdout: () => out.join(''), stderr: () => err.join('') };
}

describe('validate (in process)', () => {
  it('exits 0 and prints a one-line summary for a valid runbook', async () => {
    const io = capture();
    const code = await validate({ runbooks: [MINIMAL], json: false, strict: false, cwd: ROOT });
    expect(code).toBe(0);
    expect(io.stdout()).toMatch(/minimal\.yaml: valid \(fixture: 2 clusters, mirrormaker2 link, promote, revert\)\n$/);
  });

  it('exits 2 and prints file:line:col: path: message (expected ...) for an invalid one', async () => {
    const io = capture();
    const code = await validate({ runbooks: ['test/fixtures/runbook/invalid/19-bad-duration.yaml'], json: false, strict: false, cwd: ROOT, env: {} });
    expect(code).toBe(2);
    expect(io.stdout()).toContain(
      'test/fixtures/runbook/invalid/19-bad-duration.yaml:27:56: actions.promote.steps[1].wait-replication.timeout: not a duration (expected a whole number with a unit: 500ms, 30s, 2m or 1h)\n',
    );
    expect(io.stdout()).toContain('test/fixtures/runbook/invalid/19-bad-duration.yaml: invalid; 1 error\n');
  });

  it('takes MirrorMaker 2 identity naming, and names a wrong policy and a two-way resume-link at file:line:col', async () => {
    const ok = variant(['  kind: mirrormaker2\n', '  kind: mirrormaker2\n  replicationPolicy: identity\n']);
    let io = capture();
    expect(await validate({ runbooks: [ok], json: false, strict: true, cwd: ROOT, env: {} })).toBe(0);
    vi.restoreAllMocks();
    const typo = variant(['  kind: mirrormaker2\n', '  kind: mirrormaker2\n  replicationPolicy: identiy\n']);
    io = capture();
    expect(await validate({ runbooks: [typo], json: false, strict: false, cwd: ROOT, env: {} })).toBe(2);
    expect(io.stdout()).toContain('runbook.yaml:13:22: link.replicationPolicy: not a MirrorMaker 2 replication policy (expected default or identity)\n');
    vi.restoreAllMocks();
    const both = variant(['  kind: mirrormaker2\n', '  kind: mirrormaker2\n  replicationPolicy: identity\n  commands: { pause: [./p.sh], resume: [./r.sh] }\n'], ['      - translate-offsets: { direction: reverse }', '      - resume-link: {}\n      - translate-offsets: { direction: reverse }']);
    io = capture();
    expect(await validate({ runbooks: [both], json: false, strict: false, cwd: ROOT, env: {} })).toBe(2);
    expect(io.stdout()).toMatch(/runbook\.yaml:\d+:\d+: actions\.revert\.steps\[2\]\.resume-link: resume-link without a direction resumes both flows; under identity naming each would copy the other's copies back/);
    vi.restoreAllMocks();
    const beats = variant(['  kind: mirrormaker2\n', '  kind: mirrormaker2\n  replicationPolicy: identity\n'], ['  topics: [orders]', '  topics: [orders, app-heartbeats]']);
    io = capture();
    expect(await validate({ runbooks: [beats], json: false, strict: false, cwd: ROOT, env: {} })).toBe(0);
    expect(io.stdout()).toMatch(/runbook\.yaml:\d+:\d+: warning: workload\.topics\[1\]: "app-heartbeats" ends in "heartbeats": IdentityReplicationPolicy names its copy east\.app-heartbeats, not app-heartbeats/);
  });

  it('warns about an unset variable, and fails on it under --strict', async () => {
    const path = join(FIXTURES, 'invalid/26-missing-env-variable.yaml');
    capture();
    expect(await validate({ runbooks: [path], json: false, strict: false, cwd: ROOT, env: {} })).toBe(0);
    expect(await validate({ runbooks: [path], json: false, strict: true, cwd: ROOT, env: {} })).toBe(2);
  });

  it('prints one JSON document with --json, and nothing else on stdout', async () => {
    const io = capture();
    const code = await validate({ runbooks: [MINIMAL, join(FIXTURES, 'invalid/24-role-cluster-undefined.yaml')], json: true, strict: false, cwd: ROOT, env: {} });
    expect(code).toBe(2);
    const doc = JSON.parse(io.stdout()) as { valid: boolean; errors: number; files: Array<{ valid: boolean; problems: unknown[] }> };
    expect(doc).toMatchObject({ valid: false, strict: false, errors: 1, warnings: 0 });
    expect(doc.files.map((f) => f.valid)).toEqual([true, false]);
    expect(doc.files[1]!.problems).toEqual([
      expect.objectContaining({ severity: 'error', line: 9, col: 36, path: 'roles.secondary', message: 'cluster "wset" is not defined (did you mean "west"?)', expected: 'one of east, west' }),
    ]);
  });
});

describe('failover validate (built CLI)', { timeout: 30_000 }, () => {
  const bin = join(ROOT, 'bin/failover.js');
  beforeAll(() => {
    if (!existsSync(join(ROOT, 'lib/cli.js'))) throw new Error('run `npm run build` first: these tests start the built CLI');
  });

  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [bin, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });

  it('never loads the Kafka client, not even indirectly (validate must stay fast and offline)', () => {
    const guard = join(FIXTURES, 'forbid-kafka-client.cjs');
    // The guard itself works: importing the client from an ES module under it exits 99, and so does loading the bundle's chunk of it.
    const control = spawnSync(process.execPath, ['-r', guard, '--input-type=module', '-e', "import '@platformatic/kafka'"], { cwd: ROOT, encoding: 'utf8' });
    expect(control.status).toBe(99);
    const bundled = spawnSync(process.execPath, ['-r', guard, bin, 'check', 'runbooks/lab.yaml'], { cwd: ROOT, encoding: 'utf8' });
    expect(bundled.status).toBe(99);
    const r = spawnSync(process.execPath, ['-r', guard, bin, 'validate', 'runbooks/lab.yaml'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('passes every example runbook', () => {
    const r = run(['validate', 'runbooks/lab.yaml', 'runbooks/lab-secure.yaml', 'runbooks/cluster-linking.yaml', 'runbooks/msk-replicator.yaml']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('runbooks/lab.yaml: valid');
  });

  it('never prints a secret, wherever the runbook puts it, in human or JSON output', () => {
    const secrets = { RB_SECRET_A: 'eastSecretTokenA9', RB_SECRET_B: 'pa"ss\\word{{nope}}-B7', RB_SECRET_C: 'cSecretC3' };
    const dir = tmpDir();
    // A file variant too: a password file whose content lands in a field with the wrong type.
    writeFileSync(join(dir, 'pw.txt'), 'fileSecretD4\n');
    const path = variant(
      // quoted by a semantic check: the value names a cluster that is not defined
      ['primary: east', 'primary: "${env:RB_SECRET_A}"'],
      // wrong type for bootstrap, and a secret with quotes, braces and a backslash
      ['bootstrap: [127.0.0.1:29092]', 'bootstrap: "${env:RB_SECRET_B}"'],
      // the value of an unknown key, and an invalid enum value
      ['name: fixture', 'name: fixture\nsecretKey: ${env:RB_SECRET_C}'],
      ['  kind: mirrormaker2', '  kind: mirrormaker2\n  separator: ${file:' + join(dir, 'pw.txt') + '}\n  offsetSyncsLocation: ${env:RB_SECRET_C}'],
      // a secret inside a command, where a template check looks
      ['    file: { path: ./orders.properties, key: bootstrap.servers }', '    command: [./point.sh, "${env:RB_SECRET_B}", "{{target.bootstrp}}"]'],
    );
    const values = [...Object.values(secrets), 'fileSecretD4', JSON.stringify(secrets.RB_SECRET_B).slice(1, -1)];
    for (const args of [['validate', path], ['validate', '--json', path], ['validate', '--strict', path]]) {
      const r = run(args, secrets);
      expect(r.status).toBe(2);
      const all = r.stdout + r.stderr;
      expect(all).toMatch(/error|"severity": "error"/); // there is output to leak into
      for (const v of values) expect(all, `${args.join(' ')} printed a secret`).not.toContain(v);
    }
    // The same file with the variables unset names the variables, not values.
    const unset = run(['validate', '--json', path]);
    expect(unset.stdout).toContain('environment variable RB_SECRET_A is not set');
  });

  it('keeps stdout to one JSON document with --json', () => {
    const r = run(['validate', '--json', 'runbooks/lab.yaml', 'test/fixtures/runbook/invalid/05-duplicate-key-top.yaml']);
    expect(r.status).toBe(2);
    expect(() => JSON.parse(r.stdout) as unknown).not.toThrow();
  });

  it('prints the JSON Schema', () => {
    const text = execFileSync(process.execPath, [bin, 'schema'], { cwd: ROOT, encoding: 'utf8' });
    expect(JSON.parse(text)).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object' });
  });
});
