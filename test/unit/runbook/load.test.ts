import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FailoverError } from '../../../src/errors.js';
import { loadRunbook, loadRunbookOrThrow } from '../../../src/runbook/load.js';
import { formatProblem } from '../../../src/runbook/problems.js';
import { processSecrets } from '../../../src/runbook/secrets.js';
import { MINIMAL, variant } from './helpers.js';

describe('loadRunbook on a valid runbook', () => {
  it('returns the typed runbook with defaults filled, durations in ms and steps normalised', async () => {
    const r = await loadRunbook(MINIMAL);
    expect(r.problems).toEqual([]);
    const rb = r.runbook!;
    expect(rb.clusters.east!.timeouts).toEqual({ requestTimeout: 10_000, connectionTimeout: 5_000 });
    expect(rb.link).toMatchObject({ kind: 'mirrormaker2', separator: '.', reverse: true, offsetSyncsLocation: 'source' });
    expect(rb.gates.offsets).toEqual({ maxLagRecords: 1000, maxLagSeconds: 30, maxReplayRecords: 10_000, checkpointMaxAgeSeconds: 120 });
    expect(rb.gates.rollback.rehearsedWithinDays).toBe(30);
    expect(rb.actions.promote.steps[0]).toEqual({ type: 'fence-writes', params: { cluster: 'primary' } });
    expect(rb.actions.promote.steps[1]).toEqual({ type: 'wait-replication', params: { maxLagRecords: 0, timeout: 120_000, direction: 'forward' } });
    expect(rb.actions.promote.steps[2]).toEqual({ type: 'translate-offsets', params: { direction: 'forward' } });
  });

  it('hashes the file bytes', async () => {
    const r = await loadRunbook(MINIMAL);
    expect(r.contentHash).toBe(createHash('sha256').update(readFileSync(MINIMAL)).digest('hex'));
  });

  it('makes paths absolute, relative to the runbook folder', async () => {
    const r = await loadRunbook(MINIMAL);
    const sw = r.runbook!.routing!.switch;
    expect('file' in sw && sw.file.path).toBe(join(dirname(MINIMAL), 'orders.properties'));
    expect(r.baseDir).toBe(dirname(MINIMAL));
  });
});

describe('interpolation', () => {
  const sasl = (password: string): [string, string] => [
    '    bootstrap: [127.0.0.1:29092]',
    `    bootstrap: [127.0.0.1:29092]\n    auth:\n      sasl:\n        mechanism: scram-sha-256\n        username: admin\n        password: ${password}`,
  ];

  it('reads ${env:NAME} and registers the value as a secret', async () => {
    const r = await loadRunbook(variant(sasl('${env:RB_TEST_PW}')), { env: { RB_TEST_PW: 'env-secret-value-1' } });
    expect(r.problems).toEqual([]);
    expect((r.runbook!.clusters.west!.auth!.sasl as { password: string }).password).toBe('env-secret-value-1');
    expect(r.secrets.has('env-secret-value-1')).toBe(true);
    expect(processSecrets.has('env-secret-value-1')).toBe(true);
  });

  it('reads ${file:path} relative to the runbook folder, without its trailing newline', async () => {
    const path = variant(sasl('${file:secrets/pw.txt}'));
    mkdirSync(join(dirname(path), 'secrets'));
    writeFileSync(join(dirname(path), 'secrets/pw.txt'), 'file-secret-value-2\n');
    const r = await loadRunbook(path, { env: {} });
    expect(r.problems).toEqual([]);
    expect((r.runbook!.clusters.west!.auth!.sasl as { password: string }).password).toBe('file-secret-value-2');
    expect(r.secrets.redact('x file-secret-value-2 y')).toBe('x [redacted] y');
  });

  it('writes a literal ${ with $${', async () => {
    const r = await loadRunbook(variant(sasl('"$${env:NOT_READ}"')), { env: {} });
    expect(r.problems).toEqual([]);
    expect((r.runbook!.clusters.west!.auth!.sasl as { password: string }).password).toBe('${env:NOT_READ}');
  });

  it('reports an unset variable as an error by default, as a warning on request', async () => {
    const path = variant(sasl('${env:RB_TEST_UNSET}'));
    const strict = await loadRunbook(path, { env: {} });
    expect(strict.runbook).toBeUndefined();
    expect(strict.problems).toEqual([expect.objectContaining({ severity: 'error', message: 'environment variable RB_TEST_UNSET is not set', path: 'clusters.west.auth.sasl.password' })]);
    const lenient = await loadRunbook(path, { env: {}, missingInterpolation: 'warning' });
    expect(lenient.problems.map((p) => p.severity)).toEqual(['warning']);
    expect(lenient.runbook).toBeDefined();
  });

  it('does not judge a value whose variable is unset', async () => {
    // bootstrap must be a list; with the variable unset, only the variable is reported.
    const r = await loadRunbook(variant(['bootstrap: [127.0.0.1:29092]', 'bootstrap: ${env:RB_TEST_BOOTSTRAP}']), { env: {}, missingInterpolation: 'warning' });
    expect(r.problems).toEqual([expect.objectContaining({ severity: 'warning', message: 'environment variable RB_TEST_BOOTSTRAP is not set' })]);
  });
});

describe('reporting', () => {
  it('reports every problem at once, in file order', async () => {
    const path = variant(
      ['name: fixture', 'name: fixture\nownr: team'],
      ['bootstrap: [127.0.0.1:19092]', 'bootstrap: [127.0.0.1]'],
      ['timeout: 2m', 'timeout: soon'],
      ['- translate-offsets: {}', '- translate-offset: {}'],
    );
    const r = await loadRunbook(path, { displayPath: 'r.yaml' });
    expect(r.problems.map(formatProblem)).toEqual([
      'r.yaml:5:1: ownr: unknown key "ownr" (did you mean "owner"?) (expected one of version, name, owner, description, clusters, roles, link, workload, routing, gates, actions, drill, policy)',
      'r.yaml:8:17: clusters.east.bootstrap[0]: not a host:port address (expected host:port, e.g. kafka-1.internal:9092)',
      'r.yaml:29:56: actions.promote.steps[1].wait-replication.timeout: not a duration (expected a whole number with a unit: 500ms, 30s, 2m or 1h)',
      expect.stringMatching(/^r\.yaml:30:9: actions\.promote\.steps\[2\]: unknown step type "translate-offset" \(did you mean "translate-offsets"\?\)/),
    ]);
  });

  it('keeps a secret out of every message, even where a check would quote the value', async () => {
    // roles.primary is checked against the defined clusters, and that message names the value.
    const r = await loadRunbook(variant(['primary: east', 'primary: "${env:RB_TEST_ROLE}"']), { env: { RB_TEST_ROLE: 'eastSecretName' } });
    expect(r.problems.length).toBeGreaterThan(0);
    expect(JSON.stringify(r.problems)).not.toContain('eastSecretName');
    expect(r.problems[0]!.message).toContain('[redacted]');
  });

  it('says what is wrong with the file itself', async () => {
    const r = await loadRunbook('/nonexistent/runbook.yaml', { displayPath: 'runbook.yaml' });
    expect(r.problems).toEqual([expect.objectContaining({ file: 'runbook.yaml', line: 1, col: 1, message: 'no such file' })]);
    const dir = await loadRunbook(dirname(MINIMAL));
    expect(dir.problems[0]!.message).toBe('this is a folder');
  });
});

describe('loadRunbookOrThrow', () => {
  it('returns the runbook and its hash when valid', async () => {
    const r = await loadRunbookOrThrow(MINIMAL);
    expect(r.runbook.name).toBe('fixture');
    expect(r.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('throws a FailoverError with exit code 2 listing every error', async () => {
    const path = variant(['bootstrap: [127.0.0.1:19092]', 'bootstrap: [127.0.0.1]'], ['timeout: 2m', 'timeout: soon']);
    const err = await loadRunbookOrThrow(path, { displayPath: 'bad.yaml' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FailoverError);
    const fe = err as FailoverError;
    expect(fe.exitCode).toBe(2);
    expect(fe.message).toContain('bad.yaml: the runbook is not valid (2 errors)');
    expect(fe.message).toContain('bad.yaml:7:17: clusters.east.bootstrap[0]: not a host:port address');
    expect(fe.message).toContain('bad.yaml:28:56: actions.promote.steps[1].wait-replication.timeout: not a duration');
    expect(fe.hint).toContain('failover validate bad.yaml');
  });
});
