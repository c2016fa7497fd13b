import { describe, expect, it } from 'vitest';
import { loadRunbook } from '../../../src/runbook/load.js';
import { analyseRollback } from '../../../src/runbook/semantics.js';
import { MINIMAL, variant } from './helpers.js';

const load = async (path: string) => {
  const r = await loadRunbook(path, { env: {} });
  return r;
};

describe('analyseRollback', () => {
  it('finds every side effect of promote undone by revert', async () => {
    const { runbook } = await load(MINIMAL);
    const a = analyseRollback(runbook!);
    expect(a.complete).toBe(true);
    expect(a.effects.map((e) => [e.kind, e.subject, e.step, e.undoneBy])).toEqual([
      ['fence', 'east', 0, 0],
      ['translate-offsets', 'forward', 2, 2],
      ['route', 'west', 3, 1],
    ]);
    expect(a.notUndone).toEqual([]);
  });

  it('names what revert misses, and the step that would undo it', async () => {
    const { runbook, problems } = await load(variant(['      - unfence-writes: { cluster: primary }\n', '']));
    const a = analyseRollback(runbook!);
    expect(a.complete).toBe(false);
    expect(a.notUndone).toEqual([
      expect.objectContaining({ kind: 'fence', subject: 'east', step: 0, undo: { type: 'unfence-writes', params: { cluster: 'east' } }, description: 'fence-writes east' }),
    ]);
    expect(problems).toEqual([
      expect.objectContaining({ severity: 'warning', line: 27, col: 9, path: 'actions.promote.steps[0].fence-writes', message: 'revert does not undo fence-writes east', expected: 'unfence-writes: { cluster: east } in actions.revert' }),
    ]);
  });

  it('matches roles and names: unfencing east undoes fencing the primary', async () => {
    const { runbook } = await load(variant(['- unfence-writes: { cluster: primary }', '- unfence-writes: { cluster: east }']));
    expect(analyseRollback(runbook!).complete).toBe(true);
  });

  it('judges the route by where revert leaves it', async () => {
    const { runbook } = await load(variant(['      - switch-route: { to: primary }\n', '      - switch-route: { to: primary }\n      - switch-route: { to: west }\n']));
    const a = analyseRollback(runbook!);
    expect(a.notUndone.map((e) => e.kind)).toEqual(['route']);
  });

  it('pairs pause-link with resume-link', async () => {
    const path = variant(
      ['  reverse: true\n', '  reverse: true\n  connect: { urls: [http://connect.internal:8083] }\n'],
      ['      - translate-offsets: {}\n      - switch', '      - translate-offsets: {}\n      - pause-link: { direction: forward }\n      - switch'],
    );
    const a = analyseRollback((await load(path)).runbook!);
    expect(a.notUndone).toEqual([expect.objectContaining({ kind: 'pause-link', subject: 'forward', undo: { type: 'resume-link', params: { direction: 'forward' } } })]);
  });

  it('says so when there is no revert at all', async () => {
    const path = variant([
      '  revert:\n    steps:\n      - unfence-writes: { cluster: primary }\n      - switch-route: { to: primary }\n      - translate-offsets: { direction: reverse }\n',
      '',
    ]);
    const { runbook, problems } = await load(path);
    expect(analyseRollback(runbook!)).toMatchObject({ hasRevert: false, complete: false });
    expect(problems).toEqual([expect.objectContaining({ severity: 'warning', path: 'actions.promote', message: expect.stringContaining('no revert action') })]);
  });
});

describe('semantic warnings', () => {
  it('warns when the route moves before the primary is fenced', async () => {
    const { problems } = await load(
      variant(['      - fence-writes: { cluster: primary }\n', ''], ['      - switch-route: { to: secondary }\n', '      - switch-route: { to: secondary }\n      - fence-writes: { cluster: primary }\n']),
    );
    expect(problems.map((p) => p.message)).toContain('the route moves before the primary is fenced; for a moment both clusters take writes');
  });

  it('warns about drill expectations nothing can meet or measure', async () => {
    const drill = [
      'drill:',
      '  expect: { maxDuplicates: 10 }',
      '  scenarios:',
      '    planned:',
      '      fault: { inject: [./x.sh], recover: [./y.sh] }',
      '    primary-down:',
      '      dwell: 60s',
      '      expect: { maxWriteDowntimeSeconds: 30 }',
      'actions:',
    ].join('\n');
    const { problems, runbook } = await load(variant(['actions:', drill]));
    expect(runbook).toBeDefined();
    const messages = problems.map((p) => `${p.path}: ${p.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        'drill.expect: expectations without a probe; nothing measures them',
        'drill.scenarios.planned.fault: a planned scenario injects no fault, yet this one has fault commands',
        'drill.scenarios.primary-down: scenario "primary-down" (primary-down) has no fault.inject; nothing makes the primary fail',
        'drill.scenarios.primary-down.dwell: the fault lasts 60s before the action starts, longer than maxWriteDowntimeSeconds 30; the expectation cannot hold',
      ]),
    );
    expect(problems.every((p) => p.severity === 'warning')).toBe(true);
  });

  it('checks partial-failure scenarios: a fault during a step the action lacks, a stop expected without stop criteria', async () => {
    const drill = [
      'drill:',
      '  probe: { topic: failover.probe }',
      '  scenarios:',
      '    link-down:',
      '      outcome: stopped',
      '      fault: { inject: [./kill-link.sh], recover: [./start-link.sh], during: pause-link }',
      '    broker-down: {}',
      'actions:',
    ].join('\n');
    const { problems } = await load(variant(['actions:', drill]));
    const messages = problems.map((p) => `${p.severity} ${p.path}: ${p.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        'error drill.scenarios.link-down.fault.during: the promote action has no pause-link step; the fault would never be injected',
        'warning drill.scenarios.link-down.outcome: the scenario expects promote to stop on a stop criterion, and the action has no stopWhen',
        'warning drill.scenarios.broker-down: scenario "broker-down" (broker-down) has no fault.inject; nothing makes a broker of the primary fail',
      ]),
    );
    const ok = await load(variant(['actions:', drill.replace('during: pause-link', 'during: wait-replication')], ['    steps:', '    stopWhen: { lagSecondsAbove: 60 }\n    steps:']));
    expect(ok.problems.filter((p) => p.path.startsWith('drill.scenarios.link-down'))).toEqual([]);
    expect(ok.runbook?.drill?.scenarios['link-down']).toMatchObject({ kind: 'link-down', outcome: 'stopped', fault: { during: 'wait-replication' } });
    expect(ok.runbook?.drill?.scenarios['broker-down']).toMatchObject({ kind: 'broker-down', outcome: 'ok' });
  });

  it('warns when a cluster sits outside the policy', async () => {
    const path = variant(
      ['    bootstrap: [127.0.0.1:29092]', '    bootstrap: [127.0.0.1:29092]\n    region: eu-west-1'],
      ['    bootstrap: [127.0.0.1:19092]', '    bootstrap: [127.0.0.1:19092]\n    region: us-east-1'],
      ['actions:', 'policy:\n  allowedRegions: [us-east-1, us-west-2]\nactions:'],
    );
    const { problems } = await load(path);
    expect(problems).toEqual([expect.objectContaining({ severity: 'warning', path: 'clusters.west.region', message: 'region eu-west-1 is not allowed by policy', line: 11, col: 13 })]);
  });
});
