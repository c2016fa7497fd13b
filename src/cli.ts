import { Command, CommanderError, Option } from 'commander';
import { ExitCode, FailoverError, errorMessage, type ExitCodeValue } from './errors.js';
import { printError } from './ui/report.js';
import { toolVersion } from './version.js';

/**
 * The commander program. Commands are lazy-imported so that `validate` does
 * not pay for loading the Kafka client (its option validators are compiled
 * when it loads), and each command module exports one async
 * function: options in, exit code out.
 */
export function buildProgram(): Command {
  const program = new Command('failover')
    .description('Kafka failover drills and promotion runbooks')
    .version(toolVersion, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) });

  // -- commands: validate, schema (runbook) --
  program
    .command('validate')
    .description('check runbooks without touching a cluster: syntax, schema, references, and that revert undoes promote')
    .argument('<runbook...>', 'runbook files')
    .option('--json', 'one JSON document on stdout')
    .option('--strict', 'unset ${env:...} and missing ${file:...} are errors, and warnings fail')
    .action(async (runbooks: string[], opts: { json?: boolean; strict?: boolean }) => {
      const { validate } = await import('./commands/validate.js');
      setExit(await validate({ runbooks, json: Boolean(opts.json), strict: Boolean(opts.strict), cwd: process.cwd() }));
    });
  program
    .command('schema')
    .description('print the runbook JSON Schema')
    .action(async () => {
      const { schema } = await import('./commands/schema.js');
      setExit(await schema());
    });

  // -- commands: check (gates) --
  program
    .command('check')
    .description('gates against the live clusters: a scorecard and whether the pair is ready to switch')
    .argument('<runbook>', 'runbook file')
    .option('--gate <gate...>', 'run only these gates (compatibility, offsets, routing, governance, rollback, observability, cost)')
    .option('--verbose', 'show every check, not only those that fall short')
    .option('--json', 'one JSON document on stdout (schema/check-result.schema.json)')
    .option('--junit <file>', 'also write JUnit XML for CI')
    .option('--markdown <file>', 'also write a Markdown scorecard')
    .option('--transcripts <dir>', 'folder of earlier transcripts, for rehearsal evidence', 'transcripts')
    .action(async (runbook: string, opts: { gate?: string[]; verbose?: boolean; json?: boolean; junit?: string; markdown?: string; transcripts?: string }) => {
      const { check } = await import('./commands/check.js');
      setExit(
        await check({
          runbook,
          ...(opts.gate ? { gates: opts.gate } : {}),
          verbose: Boolean(opts.verbose),
          json: Boolean(opts.json),
          ...(opts.junit ? { junit: opts.junit } : {}),
          ...(opts.markdown ? { markdown: opts.markdown } : {}),
          ...(opts.transcripts ? { transcripts: opts.transcripts } : {}),
          cwd: process.cwd(),
        }),
      );
    });

  // -- commands: plan, promote, revert, continue-forward, status, transcript (actions) --
  const transcript = program.command('transcript').description('read the journal of a run: render it, check its hash chain');
  transcript
    .command('show')
    .description('render a transcript as Markdown for the postmortem')
    .argument('<file>', 'a transcript (.jsonl)')
    .option('--json', 'print the entries and the chain check as one JSON document')
    .action(async (file: string, opts) => {
      const { transcriptShow } = await import('./commands/transcript.js');
      setExit(await transcriptShow(file, opts));
    });
  transcript
    .command('verify')
    .description('check the hash chain, and with --runbook against the anchors on the clusters; exit 1 names the first broken line, or an incomplete run')
    .argument('<file>', 'a transcript (.jsonl)')
    .option('--runbook <runbook>', "compare with the chain heads the pair's clusters recorded for this run (catches a rewritten or cut transcript)")
    .option('--json', 'one JSON document on stdout')
    .action(async (file: string, opts: { runbook?: string; json?: boolean }) => {
      const { transcriptVerify } = await import('./commands/transcript.js');
      setExit(await transcriptVerify(file, { ...opts, cwd: process.cwd() }));
    });
  program
    .command('plan')
    .description("dry run: every step's plan from the live pair; nothing is changed")
    .argument('<runbook>', 'the runbook')
    .argument('<action>', 'promote, revert or continue-forward')
    .option('--json', 'one JSON document on stdout')
    .option('--verbose', 'every detail line of every plan')
    .action(async (runbook: string, action: string, opts: { json?: boolean; verbose?: boolean }) => {
      const { plan } = await import('./commands/plan.js');
      setExit(await plan({ runbook, action, json: Boolean(opts.json), verbose: Boolean(opts.verbose), cwd: process.cwd() }));
    });
  const collect = (v: string, prev: string[] = []) => [...prev, v];
  type ActionCliOptions = {
    yes?: boolean;
    dryRun?: boolean;
    resume?: string;
    override?: string[];
    reason?: string[];
    declareDown?: string[];
    declareReason?: string;
    transcript?: string;
    wait?: string;
    transcripts: string;
    json?: boolean;
  };
  const runAction = async (runbook: string, action: 'promote' | 'revert' | 'continue-forward' | 'abort' | 'fence', opts: ActionCliOptions) => {
    const { actionCommand } = await import('./commands/action.js');
    setExit(
      await actionCommand({
        runbook,
        action,
        yes: Boolean(opts.yes),
        dryRun: Boolean(opts.dryRun),
        ...(opts.resume ? { resume: opts.resume } : {}),
        override: opts.override ?? [],
        reason: opts.reason ?? [],
        declareDown: opts.declareDown ?? [],
        ...(opts.declareReason !== undefined ? { declareReason: opts.declareReason } : {}),
        ...(opts.transcript ? { transcript: opts.transcript } : {}),
        ...(opts.wait ? { wait: opts.wait } : {}),
        transcripts: opts.transcripts,
        json: Boolean(opts.json),
        cwd: process.cwd(),
        argv: process.argv.slice(2),
      }),
    );
  };
  const actionOptions = (cmd: Command, what: string, opts: { overrides?: boolean } = {}): Command => {
    cmd
      .argument('<runbook>', 'the runbook')
      .option('--yes', 'confirm in advance (needed without a terminal); the transcript records it')
      .option('--dry-run', `show every step's plan and change nothing${what}`)
      .option('--resume <transcript>', 'continue the run of this transcript: completed steps are verified again against the live pair')
      .option('--declare-down <cluster>', 'act without this cluster\'s lock: it is down (repeatable; needs --declare-reason; typed confirmation on a terminal)', collect)
      .option('--declare-reason <text>', 'why the declared clusters are down; recorded in the transcript and on the clusters');
    if (opts.overrides) {
      cmd
        .option('--override <gate>', 'start although this required gate scores 0 (repeatable; needs --reason)', collect)
        .option('--reason <text>', 'why the override is safe; recorded in the transcript (one per --override)', collect);
    }
    return cmd.option('--transcripts <dir>', 'where transcripts go', 'transcripts').option('--json', 'with --dry-run: the plan as one JSON document; otherwise the outcome');
  };
  for (const [action, desc] of [
    ['promote', 'make the secondary the primary: fence, drain, translate offsets, move the route'],
    ['revert', 'undo a promote: back to the home primary'],
    ['continue-forward', 'keep the promoted cluster as the primary for good'],
  ] as const) {
    actionOptions(program.command(action).description(desc), ` (the same as \`failover plan <runbook> ${action}\`)`, { overrides: true }).action((runbook: string, opts: ActionCliOptions) =>
      runAction(runbook, action, opts),
    );
  }
  actionOptions(
    program
      .command('abort')
      .description('take a pair left promoting, reverting or continuing back to where that action started, undoing its applied steps in reverse from its transcript')
      .option('--transcript <file>', "the stuck run's transcript, when it is not where the pair's record says"),
    '',
  ).action((runbook: string, opts: ActionCliOptions) => runAction(runbook, 'abort', opts));
  actionOptions(
    program
      .command('fence')
      .description('apply the fences the pair records as pending (a fence-writes whose cluster did not answer), now that the cluster is back')
      .option('--wait <duration>', "keep trying a cluster that does not answer yet (its brokers, or its controllers when the runbook names them) this long, e.g. while it restarts"),
    '',
  ).action((runbook: string, opts: ActionCliOptions) => runAction(runbook, 'fence', opts));
  program
    .command('resolve')
    .description("settle copies of the pair's state that disagree (written on both sides of a partition): keep one cluster's copy")
    .argument('<runbook>', 'the runbook')
    .requiredOption('--keep <cluster>', 'the cluster whose copy of the state is true')
    .requiredOption('--reason <text>', 'why; recorded in the transcript and on the clusters')
    .option('--yes', 'confirm in advance (needed without a terminal)')
    .option('--transcripts <dir>', 'where transcripts go', 'transcripts')
    .action(async (runbook: string, opts: { keep: string; reason: string; yes?: boolean; transcripts: string }) => {
      const { resolveCommand } = await import('./commands/resolve.js');
      setExit(await resolveCommand({ runbook, keep: opts.keep, reason: opts.reason, yes: Boolean(opts.yes), transcripts: opts.transcripts, cwd: process.cwd(), argv: process.argv.slice(2) }));
    });
  program
    .command('status')
    .description('phase, roles, who holds the lock, replication lag each way, the last transcript')
    .argument('<runbook>', 'the runbook')
    .option('--json', 'one JSON document on stdout')
    .option('--transcripts <dir>', 'where transcripts are', 'transcripts')
    .action(async (runbook: string, opts: { json?: boolean; transcripts: string }) => {
      const { status } = await import('./commands/status.js');
      setExit(await status({ runbook, json: Boolean(opts.json), transcripts: opts.transcripts, cwd: process.cwd() }));
    });

  // -- commands: drill --
  program
    .command('drill')
    .description('run an action under a probe workload with a fault injected, and measure lost, duplicated and reordered events and downtime')
    .argument('<runbook>', 'runbook file')
    .option('--scenario <name>', 'planned, primary-down, primary-hung, or a scenario of the runbook', 'planned')
    .option('--revert', 'after the action and a dwell, revert (the rehearsal the rollback gate counts)')
    .option('--json', 'one JSON document on stdout')
    .option('--junit <file>', 'also write JUnit XML')
    .option('--markdown <file>', 'also write the Markdown report here')
    .option('--html <file>', 'also write the HTML report here')
    .option('--transcripts <dir>', 'where the transcript and reports go', 'transcripts')
    .option('--yes', 'do not ask before injecting the fault and running the action')
    .action(async (runbook: string, opts: { scenario: string; revert?: boolean; json?: boolean; junit?: string; markdown?: string; html?: string; transcripts: string; yes?: boolean }) => {
      const { drill } = await import('./commands/drill.js');
      setExit(await drill({ runbook, ...opts, cwd: process.cwd() }));
    });

  const lab = program.command('lab').description('the local two-cluster lab (east, west, MirrorMaker 2)');
  const dirOpt = () => new Option('--dir <dir>', 'lab state folder').default('.lab');
  lab
    .command('up')
    .description('start east, west and MirrorMaker 2 (reuses a running lab)')
    .option('--kafka <version>', 'Kafka version to run (Maven resolves the jars)')
    .option('--secure', 'SASL/SCRAM-SHA-256 and the StandardAuthorizer (the same as --sasl scram-sha-256)')
    .option('--brokers <n>', 'nodes per cluster: 1, or 3 (a 3-voter quorum, replication factor 3, min.insync.replicas=2)', parseBrokers)
    .option('--tls', 'TLS on the client listeners, with a lab CA made by keytool (tls/ca.pem in the lab folder)')
    .option('--sasl <mechanism>', 'SASL with the StandardAuthorizer: scram-sha-256, scram-sha-512, plain, or oauthbearer (unsecured tokens: labs only)', parseSasl)
    .option('--replication-policy <policy>', 'MirrorMaker 2 naming: default (east.orders), or identity (orders; east->west only)', parsePolicy)
    .option('--sync-group-offsets', 'MirrorMaker 2 writes translated offsets into idle groups on the target (sync.group.offsets.enabled)')
    .option('--no-sync-group-offsets', "MirrorMaker 2 leaves group offsets on the target alone: only translate-offsets moves them (MirrorMaker 2's default and the lab's)")
    .option('--east-port <port>', "east client port (default: the lab's own, 19092 for a new lab)", parsePort)
    .option('--west-port <port>', "west client port (default: the lab's own, 29092 for a new lab)", parsePort)
    .option('--topics <list>', 'comma-separated topics to mirror')
    .option('--groups <list>', 'comma-separated groups to checkpoint')
    .option('--json', 'print the lab description as JSON')
    .option('--without-authorizer <list>', 'secure lab: run these clusters (east,west) without an authorizer')
    .addOption(dirOpt())
    .action(async (opts) => {
      const { labUp } = await import('./commands/lab.js');
      setExit(await labUp(opts));
    });
  lab
    .command('down')
    .description('stop the lab')
    .option('--purge', 'also delete its data')
    .addOption(dirOpt())
    .action(async (opts) => {
      const { labDown } = await import('./commands/lab.js');
      setExit(await labDown(opts));
    });
  lab
    .command('status')
    .description('processes, ports, cluster ids, heartbeat age each way')
    .option('--json', 'one JSON document on stdout')
    .addOption(dirOpt())
    .action(async (opts) => {
      const { labStatus } = await import('./commands/lab.js');
      setExit(await labStatus(opts));
    });
  for (const [name, desc] of [
    ['kill', 'SIGKILL a lab process: a cluster (east, west: all its nodes), one node (east-2), or mm2'],
    ['pause', 'SIGSTOP a cluster (east, west: all its nodes) or one node (east-2)'],
    ['resume', 'SIGCONT a paused cluster or node'],
  ] as const) {
    lab
      .command(name)
      .description(desc)
      .argument('<name>', name === 'kill' ? 'east | west | east-N | west-N | mm2' : 'east | west | east-N | west-N')
      .addOption(dirOpt())
      .action(async (target: string, opts) => {
        const { labSignal } = await import('./commands/lab.js');
        setExit(await labSignal(name, target, opts));
      });
  }
  lab
    .command('logs')
    .description('print the log of a lab process')
    .argument('<name>', 'east | west | east-N | west-N | mm2 (a cluster of three prints each node)')
    .option('-n, --lines <n>', 'last N lines', (v) => Number.parseInt(v, 10), 100)
    .addOption(dirOpt())
    .action(async (target: string, opts) => {
      const { labLogs } = await import('./commands/lab.js');
      setExit(await labLogs(target, opts));
    });

  return program;
}

function parseBrokers(v: string): 1 | 3 {
  if (v === '1' || v === '3') return Number(v) as 1 | 3;
  throw new FailoverError(`--brokers ${v}: the lab runs 1 or 3 nodes per cluster`, {
    hint: 'give --brokers 3 for a 3-voter quorum with replication factor 3, or leave it out for one node',
  });
}

function parseSasl(v: string): (typeof LAB_SASL)[number] {
  const m = v.toLowerCase();
  if ((LAB_SASL as readonly string[]).includes(m)) return m as (typeof LAB_SASL)[number];
  throw new FailoverError(`--sasl ${v}: not a mechanism the lab runs`, { hint: `choose one of: ${LAB_SASL.join(', ')}` });
}

function parsePolicy(v: string): 'default' | 'identity' {
  if (v === 'default' || v === 'identity') return v;
  throw new FailoverError(`--replication-policy ${v}: not a policy the lab runs`, {
    hint: 'choose default (remote topics named east.orders) or identity (same names, east->west only)',
  });
}

/** The lab's SASL mechanisms, as labConfig names them; written out here so that `--help` loads no lab code. */
const LAB_SASL = ['scram-sha-256', 'scram-sha-512', 'plain', 'oauthbearer'] as const;

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new FailoverError(`not a port: ${v}`, { hint: 'give a whole number from 1 to 65535' });
  }
  return n;
}

let exitCode: ExitCodeValue = ExitCode.ok;
function setExit(code: ExitCodeValue): void {
  exitCode = code;
}

/**
 * A reader that goes away (`failover status | head -1`) must neither crash
 * the command with an EPIPE stack nor stop it half-way: an action keeps
 * going, and records what it does in its transcript, while what it would
 * have printed is dropped.
 */
function dropOutputWhenReaderCloses(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    stream.write = ((_chunk: unknown, enc?: unknown, cb?: unknown) => {
      const done = typeof enc === 'function' ? enc : cb;
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      return true;
    }) as typeof stream.write;
  });
}

export async function main(argv: string[]): Promise<void> {
  dropOutputWhenReaderCloses(process.stdout);
  dropOutputWhenReaderCloses(process.stderr);
  let interrupted = false;
  process.on('SIGINT', () => {
    // A second Ctrl-C ends at once; the first lets an action write its transcript. A command that does not
    // listen for it itself (check, status, plan: they change nothing) ends at the first.
    if (interrupted || process.listenerCount('SIGINT') <= 1) process.exit(ExitCode.interrupted);
    interrupted = true;
    process.exitCode = ExitCode.interrupted;
  });
  try {
    await buildProgram().parseAsync(argv);
    process.exitCode = interrupted ? ExitCode.interrupted : exitCode;
  } catch (e) {
    process.exitCode = interrupted ? ExitCode.interrupted : exitCodeFor(e);
  }
  // On a pipe, stdout may still hold part of a large --json document: let it
  // drain (writes complete in order), then exit, since leftover sockets (a
  // paused broker) must not keep the process alive.
  await new Promise<void>((done) => process.stdout.write('', () => done()));
  const code = Number(process.exitCode ?? 0);
  setImmediate(() => process.exit(code)).unref();
  await new Promise((r) => setTimeout(r, 50).unref());
  process.exit(code);
}

function exitCodeFor(e: unknown): ExitCodeValue {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return ExitCode.ok;
    return ExitCode.usage;
  }
  if (e instanceof FailoverError) {
    if (!e.reported) printError(e.message, e.hint);
    return e.exitCode;
  }
  printError(`internal error: ${errorMessage(e)}`, 'this is a bug in failover; please report it with the command you ran');
  if (process.env.FAILOVER_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  return 1;
}
