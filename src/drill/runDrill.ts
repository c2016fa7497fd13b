import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { abortableSleep } from '../engine/context.js';
import { ensureDir } from '../files.js';
import { dirname, resolve } from 'node:path';
import { errorMessage } from '../errors.js';
import type { KafkaConnection } from '../kafka/connection.js';
import { probeReadConnection } from '../kafka/probeClients.js';
import { describeCluster } from '../kafka/clusterInfo.js';
import type { LoadedRunbook } from '../runbook/load.js';
import type { ProbeSpec, Runbook, ScenarioSpec } from '../runbook/schema.js';
import { runFacts } from '../transcript/runFacts.js';
import { TranscriptWriter, defaultTranscriptPath } from '../transcript/writer.js';
import { checkExpectations, mergeExpect } from './expectations.js';
import { drillTemplates, runFaultCommand, type CommandResult } from './faults.js';
import { measure, type SurvivorRead } from './measure.js';
import { ProbeHandle } from './probeHandle.js';
import { ProbeLog, epochNow } from './probeLog.js';
import { clientOptionsFor, probeTopicsOn, staleClientCaveats, staleClientFor, type ProbeRunbook } from './probeSetup.js';
import { renderDrillHtml } from './reportHtml.js';
import { renderDrillMarkdown } from './reportMarkdown.js';
import { DRILL_RESULT_VERSION, drillResultJson, type DrillActionRun, type DrillFiles, type DrillPhase, type DrillResult } from './result.js';
import { readRoute } from './route.js';
import { staleEventId } from './staleClient.js';
import { probeTopicEnds, readSurvivor } from './survivorRead.js';
import { buildTimeline } from './timeline.js';
import type { RouteSwitch } from './writesToDemoted.js';

/**
 * A drill: the probe runs; the scenario's fault is injected into the primary
 * and lasts its dwell; the action (promote by default) runs through the
 * engine; the promoted secondary is read to its end (the loss at the
 * switch); with `revert`, the fault is recovered, the pair dwells, the revert
 * runs and the home primary is read to its end; the fault is always
 * recovered at the end. Then the probe's records are measured against
 * `drill.expect`, and the reports written beside the drill's transcript.
 *
 * Beside the probe a stale client writes to the home primary's address
 * throughout; each action's switch-route step is recorded as a switch (a
 * 'switch' marker naming the cluster the route left), and what the stale
 * client got acknowledged by that cluster afterwards is split brain.
 */

/** One step event of an action, as the engine reports it while it runs. */
export interface ActionStepEvent {
  index: number;
  step: string;
  status: 'planned' | 'applied' | 'verified' | 'failed' | 'skipped';
  summary: string;
}

export interface ActionRunOutcome {
  outcome: 'ok' | 'failed' | 'stopped' | 'interrupted';
  exitCode: number;
  summary: string;
  transcript?: string;
  /** nothing was there to do (a `fence` with no fence pending) */
  noop?: boolean;
}

/**
 * Runs an action of the runbook to its end, non-interactively (the drill's
 * own confirmation covers it). `declaredDown`: the cluster the drill's
 * fault took down, declared for the action if it does not answer (`ifSilent`);
 * `knownIds`: the clusters' ids, learnt before the fault, so that the pair's
 * state is found with one of them down.
 */
export type ActionRunner = (
  action: string,
  onStep: (e: ActionStepEvent) => void,
  context?: {
    declaredDown?: { cluster: string; reason: string; ifSilent?: boolean }[];
    knownIds?: Record<string, string>;
    waitMs?: number;
    /** the probe's topic and group: the action's translate-offsets moves the probe group with the workload groups */
    probe?: { topic: string; group: string };
    /** awaited after each step is planned, before it applies: where a `fault.during` is injected */
    beforeApply?: (step: { index: number; type: string }) => Promise<void>;
  },
) => Promise<ActionRunOutcome>;

export interface DrillOptions {
  loaded: LoadedRunbook;
  /** the runbook path as the operator gave it */
  runbookPath: string;
  scenario: string;
  revert: boolean;
  runAction: ActionRunner;
  /** where transcripts go (default transcripts/ under the working directory) */
  transcriptsDir?: string;
  argv?: string[];
  /** progress lines for the operator */
  progress?: (line: string) => void;
  /** how long the probe runs before the fault, to have a baseline (default 3 s) */
  warmupMs?: number;
  /** how long the pair stays promoted before a revert when the scenario has no dwell (default 5 s) */
  revertDwellMs?: number;
  faultTimeoutMs?: number;
  recoverTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Ctrl-C: the drill stops where it is, recovers the fault and reports what it measured */
  signal?: AbortSignal;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

const INTERRUPTED = 'interrupted (Ctrl-C)';

export function scenarioOf(rb: Runbook, name: string): ScenarioSpec | undefined {
  const s = rb.drill?.scenarios[name];
  if (s) return s;
  // The well-known planned scenario needs no entry: no fault, promote.
  if (name === 'planned') return { kind: 'planned', action: 'promote', outcome: 'ok', dwell: 0 };
  return undefined;
}

function readConnection(rb: Runbook, cluster: string): KafkaConnection {
  return probeReadConnection(cluster, clientOptionsFor(rb, { bootstrap: rb.clusters[cluster]!.bootstrap, cluster, how: 'runbook' }));
}

export function drillFiles(transcript: string): DrillFiles {
  const stem = transcript.replace(/\.jsonl$/, '');
  return {
    transcript,
    markdown: `${stem}.md`,
    html: `${stem}.html`,
    json: `${stem}.json`,
    probeRecords: `${stem}.probe.jsonl`,
    control: `${stem}.probe-control`,
  };
}

/** The probe's events as JSON Lines (then the stale client's, with `stale: true`): the raw data behind the report, and what an independent check reads. */
export function probeRecordsText(log: ProbeLog, runId: string): string {
  const lines: string[] = [];
  eventLines(log, (i) => `${runId}-${i}`, {}, lines);
  if (log.stale) eventLines(log.stale, (i) => staleEventId(runId, i), { stale: true }, lines);
  return lines.join('\n') + (lines.length ? '\n' : '');
}

function eventLines(log: ProbeLog, idOf: (i: number) => string, extra: Record<string, unknown>, lines: string[]): void {
  for (let i = 0; i < log.count; i++) {
    const acked = log.isAcked(i);
    lines.push(
      JSON.stringify({
        id: idOf(i),
        ...extra,
        key: log.key[i],
        seq: log.seq[i],
        sentAt: round(log.sentAt[i]!),
        to: log.clusterName(log.sentTo[i]!) ?? null,
        ...(acked
          ? { ackedAt: round(log.ackAt[i]!), ackedBy: log.clusterName(log.ackCluster[i]!), partition: log.ackPartition[i], offset: log.ackOffset[i] }
          : { errorAt: Number.isNaN(log.errorAt[i]!) ? null : round(log.errorAt[i]!) }),
      }),
    );
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

export async function runDrill(opts: DrillOptions): Promise<DrillResult> {
  const { runbook: rb, contentHash } = opts.loaded;
  const progress = opts.progress ?? (() => {});
  // A sleep that Ctrl-C ends at once, with an error: the drill then goes to its recovery.
  const pause = async (ms: number) => {
    await abortableSleep(ms, opts.signal);
    if (opts.signal?.aborted) throw new Error(INTERRUPTED);
  };
  const scenario = scenarioOf(rb, opts.scenario)!;
  const probeSpec: ProbeSpec = rb.drill?.probe ?? { topic: 'failover.probe', group: 'failover-probe', groupProtocol: 'classic', keys: 32, ratePerSecond: 100, staleRatePerSecond: 20 };
  const started = new Date();
  const transcriptPath = resolve(defaultTranscriptPath(rb.name, 'drill', started, opts.transcriptsDir ?? 'transcripts'));
  const files = drillFiles(transcriptPath);
  ensureDir(dirname(transcriptPath), 'the drill\'s transcripts folder', 'give --transcripts a folder failover can create and write');
  const runId = `drill-${started.getTime().toString(36)}-${randomBytes(3).toString('hex')}`;
  const templates = drillTemplates(rb, transcriptPath);
  const baseDir = opts.loaded.baseDir;
  const { primary, secondary } = rb.roles;
  // One clock for the drill and the probe's thread: epoch milliseconds at high resolution, t=0 now.
  const t0 = epochNow();
  const log = new ProbeLog(epochNow, () => Date.now(), t0);
  const phases: DrillPhase[] = [];
  const faults: DrillResult['faults'] = [];
  const actions: DrillActionRun[] = [];
  const reads: SurvivorRead[] = [];
  const switches: RouteSwitch[] = [];
  let problem: string | undefined;
  const probeRunbook: ProbeRunbook = { clusters: rb.clusters, roles: rb.roles, link: rb.link, ...(rb.routing ? { routing: rb.routing } : {}) };
  // Resolved once, now: the stale client keeps this address whatever the route says later.
  const stale = staleClientFor(probeRunbook, probeSpec);
  const staleTopicsOn = (cluster: string) => (stale ? probeTopicsOn(rb, stale.topic, cluster) : []);

  // Who is who, by cluster id, so a route by alias can be named; and both answer before anything is injected.
  const clusterIds: Record<string, string> = {};
  const startEnds: Record<string, Record<string, number>> = {};
  await Promise.all(
    Object.keys(rb.clusters).map(async (name) => {
      const conn = readConnection(rb, name);
      try {
        clusterIds[(await describeCluster(conn)).clusterId] = name;
        startEnds[name] = await probeTopicEnds(conn, [...new Set([...probeTopicsOn(rb, probeSpec.topic, name), ...staleTopicsOn(name)])]);
      } finally {
        await conn.close();
      }
    }),
  );

  const writer = TranscriptWriter.create(transcriptPath, { redact: opts.loaded.secrets.values() });
  const facts = runFacts(opts.env);
  writer.append({
    type: 'run-started',
    runbook: { path: opts.runbookPath, name: rb.name, sha256: contentHash },
    action: 'drill',
    ...facts,
    argv: opts.argv ?? ['drill', opts.runbookPath, '--scenario', opts.scenario, ...(opts.revert ? ['--revert'] : [])],
  });
  writer.append({
    type: 'note',
    text: `drill ${opts.scenario} (${scenario.kind}): ${scenario.fault ? 'fault on' : 'no fault;'} ${primary}, then ${scenario.action}${opts.revert ? ', then revert' : ''}; probe ${probeSpec.ratePerSecond}/s on ${probeSpec.topic}${stale ? `; stale client ${stale.ratePerSecond}/s on ${stale.topic} at ${stale.client.bootstrap.join(',')}${stale.client.auth?.sasl ? ` as ${saslUser(stale.client.auth.sasl)}` : ''}` : ''}`,
    data: { scenario: opts.scenario, kind: scenario.kind, action: scenario.action, revert: opts.revert, runId, probe: probeSpec, files },
  });

  const probe = new ProbeHandle({ runbook: probeRunbook, spec: probeSpec, runId, t0, clusterIds, controlFile: files.control, ...(stale ? { stale } : {}) });

  for (const caveat of stale ? staleClientCaveats(rb, stale) : []) {
    writer.append({ type: 'note', text: `note: ${caveat}` });
    progress(`note: ${caveat}`);
  }

  const phase = (name: string, detail?: string): DrillPhase => {
    const p: DrillPhase = { name, at: log.time(), ...(detail ? { detail } : {}) };
    phases.push(p);
    log.mark('phase', name);
    progress(`${name}${detail ? `: ${detail}` : ''}`);
    return p;
  };
  const end = (p: DrillPhase, ok: boolean, detail?: string) => {
    p.endAt = log.time();
    p.ok = ok;
    if (detail) p.detail = detail;
  };

  const runCommand = async (label: string, argv: readonly string[], timeoutMs: number): Promise<CommandResult> => {
    writer.append({ type: 'note', text: `${label}: ${argv.join(' ')}`, data: { label, argv } });
    const at = log.time();
    log.mark('fault', label, primary);
    let r: CommandResult;
    try {
      r = await runFaultCommand(argv, templates, { cwd: baseDir, timeoutMs, ...(opts.env ? { env: opts.env } : {}) });
    } catch (e) {
      r = { argv: [...argv], exitCode: undefined, ms: 0, output: errorMessage(e), timedOut: false, ok: false };
    }
    faults.push({ ...r, label, at });
    writer.append({
      type: 'note',
      text: `${label} ${r.ok ? 'done' : r.timedOut ? `timed out after ${timeoutMs} ms` : `failed (exit ${r.exitCode})`} in ${r.ms} ms`,
      data: { label, exitCode: r.exitCode, ms: r.ms, output: r.output },
    });
    return r;
  };

  const knownIds = Object.fromEntries(Object.entries(clusterIds).map(([id, name]) => [name, id]));
  const runAction = async (action: string, faulted = false, waitMs?: number, beforeApply?: (step: { index: number; type: string }) => Promise<void>): Promise<DrillActionRun> => {
    const p = phase(action);
    writer.append({ type: 'note', text: `${action} starts through the engine`, data: { action } });
    const run: DrillActionRun = { action, outcome: 'failed', exitCode: 1, summary: '', at: p.at, ms: 0, steps: [] };
    actions.push(run);
    let switching: RouteSwitch | undefined;
    try {
      const declaredDown = faulted ? [{ cluster: primary, reason: `drill ${opts.scenario}: the drill injected ${scenario.kind} on ${primary}`, ifSilent: true }] : [];
      const r = await opts.runAction(
        action,
        (e) => {
          const at = log.time();
          run.steps.push({ ...e, at });
          // The engine announces a step's plan just before applying it: the route may move from then on.
          if (e.step === 'switch-route' && e.status === 'planned') switching = { action, at, demoted: routedCluster(action) };
          if (e.step === 'switch-route' && e.status === 'applied' && switching) {
            switches.push(switching);
            log.mark('switch', `${action} switches the route away from ${switching.demoted}`, switching.demoted, switching.at);
            switching = undefined;
          }
          if (e.status !== 'planned') log.mark('step', `${action} ${e.index + 1}. ${e.step} ${e.status}`, undefined, at);
          progress(`  ${action} ${e.index + 1}. ${e.step}: ${e.status}${e.summary ? ` (${e.summary})` : ''}`);
        },
        { declaredDown, knownIds, probe: { topic: probeSpec.topic, group: probeSpec.group }, ...(waitMs === undefined ? {} : { waitMs }), ...(beforeApply ? { beforeApply } : {}) },
      );
      Object.assign(run, { outcome: r.outcome, exitCode: r.exitCode, summary: r.summary, ...(r.transcript ? { transcript: r.transcript } : {}) });
      if (r.noop) {
        // Nothing to do (no fence pending): the drill's record keeps no trace of a phase that did not happen.
        phases.splice(phases.indexOf(p), 1);
        actions.splice(actions.indexOf(run), 1);
        return run;
      }
    } catch (e) {
      run.summary = errorMessage(e);
    }
    run.ms = log.time() - run.at;
    end(p, run.outcome === 'ok', run.summary);
    writer.append({
      type: 'note',
      text: `${action} finished: ${run.outcome}${run.summary ? ` (${run.summary})` : ''}${run.transcript ? `; its transcript: ${run.transcript}` : ''}`,
      data: { action, outcome: run.outcome, exitCode: run.exitCode, transcript: run.transcript, ms: Math.round(run.ms) },
    });
    return run;
  };

  /** The cluster the route names now; if it cannot say, the one the action moves away from. */
  const routedCluster = (action: string): string => {
    try {
      const c = readRoute(rb).cluster;
      if (c) return c;
    } catch {
      // the fallback below
    }
    return action === 'revert' ? secondary : primary;
  };

  const survivor = async (label: string, cluster: string) => {
    const p = phase(`read ${cluster}`, `${label}: ${cluster} read to its end without a group`);
    const conn = readConnection(rb, cluster);
    try {
      const topics = probeTopicsOn(rb, probeSpec.topic, cluster);
      const read = await readSurvivor(conn, {
        label, cluster, topics, probeTopic: probeSpec.topic, runId, log: await probe.snapshot(), from: startEnds[cluster] ?? {},
        ...(stale ? { staleTopics: staleTopicsOn(cluster), staleTopic: stale.topic } : {}),
      });
      reads.push(read);
      end(p, true, `${read.records.length} records of this run in ${read.topics.join(', ')}${read.stale ? `; ${read.stale.records.length} of the stale client in ${read.stale.topics.join(', ')}` : ''}`);
      log.mark('read', `${cluster} read to its end (${label})`, cluster, read.at);
    } catch (e) {
      end(p, false, errorMessage(e));
      problem ??= `reading ${cluster} to its end failed: ${errorMessage(e)}`;
    } finally {
      await conn.close();
    }
  };

  const writeProbeRecords = async () => {
    try {
      writeFileSync(files.probeRecords, probeRecordsText(await probe.snapshot(), runId));
    } catch (e) {
      problem ??= `the probe's records could not be written: ${errorMessage(e)}`;
    }
  };

  let faultActive = false;
  let recovered = false;
  const recover = async () => {
    if (!faultActive || recovered || !scenario.fault?.recover) return;
    // The probe's records first, so a recover command can check them against the cluster as the fault left it.
    await writeProbeRecords();
    const p = phase('recover', `the fault on ${primary} ends`);
    const r = await runCommand('recover', scenario.fault.recover, opts.recoverTimeoutMs ?? 300_000);
    recovered = true;
    end(p, r.ok, r.ok ? undefined : r.output);
    if (!r.ok) problem ??= `the recover command failed (${r.timedOut ? 'timed out' : `exit ${r.exitCode}`}): ${r.argv.join(' ')}`;
  };

  // While the primary comes back, a fence the promote could only record as pending is applied the moment its controllers
  // (or brokers) answer, so that it is in force before the returning broker serves a stale client.
  const fenceWhileRecovering = async () => {
    const run = await runAction('fence', true, opts.recoverTimeoutMs ?? 300_000);
    if (run.outcome !== 'ok') throw new Error(`applying the pending fence failed (${run.outcome}): ${run.summary}`);
  };

  let completed = false;
  try {
    const warm = phase('probe', `${probeSpec.ratePerSecond} events/s on ${probeSpec.topic}, group ${probeSpec.group}`);
    await probe.start();
    await pause(opts.warmupMs ?? 3000);
    end(warm, true);

    const inject = async (where: string) => {
      const p = phase('fault', `${scenario.kind} on ${primary}${where}`);
      faultActive = true;
      const r = await runCommand('inject', scenario.fault!.inject, opts.faultTimeoutMs ?? 60_000);
      end(p, r.ok, r.ok ? undefined : r.output);
      if (!r.ok) throw new Error(`the fault command failed (${r.timedOut ? 'timed out' : `exit ${r.exitCode}`}): ${r.argv.join(' ')}\n${r.output}`);
      if (scenario.dwell > 0) {
        const d = phase('dwell', `${scenario.dwell} ms`);
        await pause(scenario.dwell);
        end(d, true);
      }
    };
    const during = scenario.fault?.during;
    if (scenario.fault && !during) await inject('');
    else if (!scenario.fault && scenario.dwell > 0) {
      const d = phase('dwell', `${scenario.dwell} ms`);
      await pause(scenario.dwell);
      end(d, true);
    }

    // A fault `during` a step lands inside the action: once that step is planned, before it applies.
    const beforeApply = during
      ? async (step: { type: string }) => {
          if (step.type !== during || faultActive) return;
          await inject(`, as ${scenario.action} reaches ${during}`);
        }
      : undefined;
    const act = await runAction(scenario.action, Boolean(scenario.fault) && !during, undefined, beforeApply);
    if (during && !faultActive) throw new Error(`${scenario.action} never reached ${during}: the fault was not injected (${act.outcome}: ${act.summary})`);
    if (scenario.outcome === 'stopped') {
      // The action must stop on its criteria with nothing switched, and abort must take the pair back.
      if (act.outcome !== 'stopped') throw new Error(`${scenario.action} was expected to stop on a stop criterion (exit 3), and it ended ${act.outcome} (exit ${act.exitCode}): ${act.summary}`);
      const ab = await runAction('abort');
      if (ab.outcome !== 'ok') throw new Error(`abort after the stopped ${scenario.action} did not succeed (${ab.outcome}): ${ab.summary}`);
      if (opts.revert) writer.append({ type: 'note', text: `no revert: the ${scenario.action} stopped and was aborted, so nothing was switched` });
    } else {
      if (act.outcome !== 'ok') throw new Error(`${scenario.action} did not succeed (${act.outcome}): ${act.summary}`);
      // The switch's loss: the secondary as it stands, before any repair of the primary.
      await pause(1000);
      await survivor('switch', secondary);
      await writeProbeRecords();
    }

    if (opts.revert && scenario.outcome !== 'stopped') {
      const [rec, fence] = await Promise.allSettled([recover(), fenceWhileRecovering()]);
      for (const r of [rec, fence]) if (r.status === 'rejected') throw r.reason;
      const dwell = scenario.dwell > 0 ? scenario.dwell : (opts.revertDwellMs ?? 5000);
      const p = phase('dwell', `promoted for ${dwell} ms before the revert`);
      await pause(dwell);
      end(p, true);
      const rev = await runAction('revert');
      if (rev.outcome !== 'ok') throw new Error(`revert did not succeed (${rev.outcome}): ${rev.summary}`);
    }
    await pause(1000);
    await probe.stopWriting();
    await drain(probe);
    if (scenario.outcome === 'stopped') await survivor('abort', primary);
    else if (opts.revert) await survivor('revert', primary);
    completed = problem === undefined;
  } catch (e) {
    // An action stopped by Ctrl-C says "interrupted" in its own words: the drill names the cause once.
    problem ??= opts.signal?.aborted ? INTERRUPTED : errorMessage(e);
    progress(`drill stopped: ${problem}`);
  } finally {
    await probe.stopWriting().catch(() => undefined);
    // The fault never outlives the drill.
    await recover().catch((e: unknown) => {
      problem ??= `recover failed: ${errorMessage(e)}`;
    });
    await probe.stop();
  }

  // The probe's records, with the drill's own markers (phases, steps, faults, reads) merged in by time.
  let probeLog: ProbeLog;
  try {
    probeLog = await probe.snapshot();
  } catch (e) {
    problem ??= `the probe's records are lost: ${errorMessage(e)}`;
    probeLog = new ProbeLog(epochNow, () => Date.now(), t0);
  }
  await probe.terminate();
  // The probe thread's markers (its clients' events, "probe stops writing") and the drill's own, in time order.
  probeLog.markers.push(...log.markers);
  probeLog.markers.sort((a, b) => a.at - b.at);
  const endAt = probeLog.markers.find((m) => m.label === 'probe stops writing')?.at ?? log.time();
  const measurement = measure({ log: probeLog, reads, endAt, switches });
  const expectations = checkExpectations(mergeExpect(rb.drill?.expect, scenario.expect), measurement);
  const breached = expectations.filter((x) => !x.ok).map((x) => x.name);
  const result: DrillResult = {
    version: DRILL_RESULT_VERSION,
    runbook: { path: opts.runbookPath, name: rb.name, sha256: contentHash },
    scenario: {
      name: opts.scenario,
      kind: scenario.kind,
      action: scenario.action,
      revert: opts.revert,
      ...(scenario.description ? { description: scenario.description } : {}),
      dwellMs: scenario.dwell,
      ...(opts.revert ? { revertDwellMs: scenario.dwell > 0 ? scenario.dwell : (opts.revertDwellMs ?? 5000) } : {}),
    },
    runId,
    startedAt: started.toISOString(),
    durationMs: Date.now() - started.getTime(),
    probe: {
      topic: probeSpec.topic, group: probeSpec.group, groupProtocol: probeSpec.groupProtocol, keys: probeSpec.keys, ratePerSecond: probeSpec.ratePerSecond,
      ...(stale ? { stale: { cluster: stale.cluster, bootstrap: stale.client.bootstrap, topic: stale.topic, ratePerSecond: stale.ratePerSecond, ...(stale.client.auth?.sasl && 'username' in stale.client.auth.sasl ? { principal: `User:${stale.client.auth.sasl.username}` } : {}) } } : {}),
    },
    clusters: { primary, secondary },
    phases,
    faults,
    actions,
    // Event lists travel as ids, below.
    measurement: { ...measurement, lostEvents: [], ...(measurement.stale ? { stale: { ...measurement.stale, writesToDemotedEvents: [], lostEvents: [] } } : {}) },
    lostEventIds: measurement.lostEvents.map((i) => `${runId}-${i}`),
    ...(measurement.stale
      ? {
          writesToDemotedIds: measurement.stale.writesToDemotedEvents.map((i) => staleEventId(runId, i)),
          staleLostIds: measurement.stale.lostEvents.map((i) => staleEventId(runId, i)),
        }
      : {}),
    expectations,
    breached,
    completed,
    ok: completed && breached.length === 0,
    ...(problem ? { problem } : {}),
    timeline: buildTimeline(probeLog, log.time()),
    errors: [...probeLog.errorTexts.entries()].map(([text, count]) => ({ text, count })).sort((a, b) => b.count - a.count),
    files,
  };

  writeFileSync(files.probeRecords, probeRecordsText(probeLog, runId));
  writeFileSync(files.json, drillResultJson(result));
  writeFileSync(files.markdown, renderDrillMarkdown(result));
  writeFileSync(files.html, renderDrillHtml(result));
  for (const x of expectations) {
    writer.append({ type: 'check', gate: 'drill', check: `drill.${x.name}`, status: x.ok ? 'pass' : 'fail', finding: x.finding, data: { actual: x.actual, limit: x.limit } });
  }
  writer.append({
    type: 'note',
    text: `drill reports: ${files.markdown}, ${files.html}, ${files.json}; probe records: ${files.probeRecords}`,
    data: { reports: { markdown: files.markdown, html: files.html, json: files.json, probeRecords: files.probeRecords }, actions: actions.map((a) => ({ action: a.action, outcome: a.outcome, transcript: a.transcript })) },
  });
  const exitCode = result.ok ? 0 : 1;
  writer.append({
    type: 'run-finished',
    outcome: result.ok ? 'ok' : 'failed',
    exitCode,
    summary: drillSummaryLine(result),
    durationMs: result.durationMs,
  });
  writer.close();
  return result;
}

/** Waits until the consumer has read every acknowledged event, or nothing has arrived for 3 s (at most 20 s). */
async function drain(probe: ProbeHandle): Promise<void> {
  const until = Date.now() + 20_000;
  let lastCount = -1;
  let quietSince = Date.now();
  while (Date.now() < until) {
    const p = await probe.progress();
    if (p.unreadAcked === 0) return;
    if (p.receipts !== lastCount) {
      lastCount = p.receipts;
      quietSince = Date.now();
    } else if (Date.now() - quietSince > 3000) return;
    await sleep(200);
  }
}

export function drillSummaryLine(r: DrillResult): string {
  const m = r.measurement;
  const head = r.ok ? 'held' : !r.completed ? `did not complete (${r.problem ?? 'unknown'})` : `breached ${r.breached.join(', ')}`;
  return `${r.scenario.name}: ${head}; write downtime ${(m.writeDowntimeMs / 1000).toFixed(2)} s, read downtime ${(m.readDowntimeMs / 1000).toFixed(2)} s, lost ${m.lost}, duplicates ${m.duplicates}, reorderings ${m.reorderings}${m.stale ? `, writes to the demoted cluster ${m.writesToDemoted}` : ''}`;
}

/** Who a stale client writes as, in words: its SASL user, or its token's holder. */
function saslUser(sasl: { mechanism: string; username?: string }): string {
  return sasl.username ?? `the ${sasl.mechanism} token's subject`;
}
