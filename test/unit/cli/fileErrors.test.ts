import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Defect 7 of issue 10: a file-system error ends the command at once, with
 * exit 2 and a message naming the path and what to do; never a spin, never
 * an "internal error". These run the built CLI, as an operator would, with
 * clusters on ports nothing listens on: every case fails on its path before
 * a cluster would be asked.
 */
const root = join(import.meta.dirname, '..', '..', '..');
const bin = join(root, 'bin', 'failover.js');
// A spinning process is killed at this point, and the test fails on its status.
const PROMPT_MS = 15_000;

function run(args: string[], cwd: string) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: PROMPT_MS });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout, ms: Date.now() - t0 };
}

function workspace(): { dir: string; runbook: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'failover-fs-'));
  const text = readFileSync(join(root, 'test/fixtures/runbook/valid/minimal.yaml'), 'utf8')
    .replace('127.0.0.1:19092', '127.0.0.1:1')
    .replace('127.0.0.1:29092', '127.0.0.1:2')
    .concat('drill:\n  probe: { topic: failover.probe, group: failover-probe, keys: 4, ratePerSecond: 10 }\n');
  const runbook = join(dir, 'runbook.yaml');
  writeFileSync(runbook, text);
  const file = join(dir, 'a-file');
  writeFileSync(file, 'not a folder\n');
  return { dir, runbook, file };
}

const procFs = existsSync('/proc/self');

describe('file-system errors end at once, with exit 2', () => {
  it.runIf(procFs)('--transcripts under /proc (a recursive mkdir there never returned): promote and drill', () => {
    const w = workspace();
    const promote = run(['promote', w.runbook, '--yes', '--transcripts', '/proc/forbidden/deeper'], w.dir);
    expect(promote.status, promote.stderr).toBe(2);
    expect(promote.stderr).toContain('error: cannot create the transcripts folder /proc/forbidden/deeper/fixture: /proc/forbidden: the file system does not allow a folder there (ENOENT)');
    expect(promote.stderr).toContain('hint: choose a folder failover can write with --transcripts <dir>');
    const drill = run(['drill', w.runbook, '--yes', '--transcripts', '/proc/forbidden'], w.dir);
    expect(drill.status, drill.stderr).toBe(2);
    expect(drill.stderr).toContain('error: cannot create the transcripts folder /proc/forbidden/fixture: /proc/forbidden: the file system does not allow a folder there (ENOENT)');
  });

  it('--transcripts naming a file: the path and what is wrong with it, not an internal error', () => {
    const w = workspace();
    const promote = run(['promote', w.runbook, '--yes', '--transcripts', w.file], w.dir);
    expect(promote.status, promote.stderr).toBe(2);
    expect(promote.stderr).toContain(`error: cannot use ${w.file}/fixture as the transcripts folder: ${w.file} is a file, not a folder`);
    expect(promote.stderr).not.toContain('internal error');
    const check = run(['check', w.runbook, '--transcripts', w.file], w.dir);
    expect(check.status, check.stderr).toBe(2);
    expect(check.stderr).toContain(`error: cannot read the transcripts folder ${w.file}: it is a file, not a folder`);
  });

  it('report files (--junit, --markdown, --html) are checked before any cluster is asked', () => {
    const w = workspace();
    const cases: [string[], string][] = [
      [['check', w.runbook, '--junit', join(w.file, 'report.xml')], `error: cannot use ${w.file} as the folder of the --junit report: ${w.file} is a file, not a folder`],
      [['check', w.runbook, '--markdown', w.dir], `error: cannot write the --markdown report ${w.dir}: it is a folder`],
      [['drill', w.runbook, '--yes', '--transcripts', join(w.dir, 't'), '--html', w.dir], `error: cannot write the --html report ${w.dir}: it is a folder`],
    ];
    if (procFs) cases.push([['check', w.runbook, '--junit', '/proc/forbidden/report.xml'], 'error: cannot create the folder of the --junit report /proc/forbidden: the file system does not allow a folder there (ENOENT)']);
    for (const [args, message] of cases) {
      const r = run(args, w.dir);
      expect(r.status, `${args.join(' ')}\n${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(message);
      // Not "neither cluster answers": the path was refused first.
      expect(r.stderr).not.toContain('answer');
    }
  });

  it('transcript show|verify of a folder, a pipe or a device: refused before it is opened', () => {
    const w = workspace();
    const fifo = join(w.dir, 'pipe.jsonl');
    execFileSync('mkfifo', [fifo]);
    const cases: [string[], string][] = [
      [['transcript', 'show', w.dir], `error: cannot read transcript ${w.dir}: it is a folder`],
      [['transcript', 'verify', fifo], `error: cannot read transcript ${fifo}: it is not a regular file (a pipe or a device)`],
      [['transcript', 'verify', '/dev/zero'], 'error: cannot read transcript /dev/zero: it is not a regular file (a pipe or a device)'],
      [['transcript', 'show', join(w.file, 'x.jsonl')], `error: no transcript at ${join(w.file, 'x.jsonl')}`],
    ];
    for (const [args, message] of cases) {
      const r = run(args, w.dir);
      expect(r.status, `${args.join(' ')}\n${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stderr).toContain('hint: give the path of a .jsonl transcript');
    }
  });

  it('a transcripts folder that does not exist yet is made, nested', () => {
    const w = workspace();
    const nested = join(w.dir, 'a', 'b', 'c');
    // The check itself fails (no cluster answers), after it made nothing: check only reads transcripts.
    const check = run(['check', w.runbook, '--transcripts', nested], w.dir);
    expect(check.status).toBe(2);
    expect(check.stderr).toContain('neither cluster answers');
    expect(existsSync(nested)).toBe(false);
    mkdirSync(join(w.dir, 'a'));
    const drill = run(['drill', w.runbook, '--yes', '--transcripts', nested], w.dir);
    expect(drill.status).toBe(2);
    expect(existsSync(join(nested, 'fixture'))).toBe(true);
  });
});

describe('SIGINT', () => {
  it('a command waiting on clusters that never answer ends at Ctrl-C, Ctrl-C (exit 130)', async () => {
    // Listeners that accept and never answer: the command is then inside its cluster wait, with its event loop free.
    const sockets: Socket[] = [];
    let accepted: () => void = () => undefined;
    const connected = new Promise<void>((r) => (accepted = r));
    const listen = async () => {
      const server = createServer((s) => {
        sockets.push(s);
        s.on('error', () => undefined);
        accepted();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return { server, port: (server.address() as { port: number }).port };
    };
    const servers = [await listen(), await listen()];
    const w = workspace();
    const timeouts = '\n    timeouts: { requestTimeout: 60s, connectionTimeout: 30s }';
    writeFileSync(w.runbook, readFileSync(w.runbook, 'utf8').replace('127.0.0.1:1]', `127.0.0.1:${servers[0]!.port}]${timeouts}`).replace('127.0.0.1:2]', `127.0.0.1:${servers[1]!.port}]${timeouts}`));
    try {
      let stderr = '';
      const child = spawn(process.execPath, [bin, 'check', w.runbook], { cwd: w.dir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr.on('data', (d) => (stderr += String(d)));
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      const first = await Promise.race([connected.then(() => 'waiting' as const), exited.then(() => 'exited' as const)]);
      expect(first, stderr).toBe('waiting');
      const t0 = Date.now();
      child.kill('SIGINT');
      await new Promise((r) => setTimeout(r, 200));
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      expect(code, stderr).toBe(130);
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      for (const s of sockets) s.destroy();
      for (const { server } of servers) await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
