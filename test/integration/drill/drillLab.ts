import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { labPaths } from '../../../src/lab/labConfig.js';
import { readLabSecrets } from '../../../src/lab/secrets.js';
import { SECURE_LAB, TEST_LAB, labUpArgs, repoRoot, type TestLab } from '../labHarness.js';

/**
 * The lab runbook, pointed at the test lab: its ports, its folder, the
 * built CLI by absolute path. Written into a fresh folder with a
 * transcripts/ of its own, so drills of different tests never mix.
 */
export interface DrillRunbook {
  dir: string;
  path: string;
  transcripts: string;
  routeFile: string;
  lab: TestLab;
  /** what the runbook's ${env:...} need: the secure lab's admin and orders-svc passwords */
  env: NodeJS.ProcessEnv;
}

export interface DrillRunbookOptions {
  /** more scenarios, by name */
  scenarios?: Record<string, unknown>;
  /** primary-down's recover first counts the loss independently (crossCheck.mjs) */
  crossCheck?: boolean;
  /** runbooks/lab-secure.yaml on the secure test lab, instead of runbooks/lab.yaml on the plain one */
  secure?: boolean;
}

type Step = Record<string, unknown>;
interface LabRunbook {
  name: string;
  clusters: Record<string, { bootstrap: string[]; controllers?: { bootstrap: string[] }; timeouts: { requestTimeout: string; connectionTimeout: string } }>;
  routing: { switch: { file: { path: string } } };
  actions: Record<string, { steps: Step[] }>;
  drill: { scenarios: Record<string, { fault?: { inject: string[]; recover?: string[] } }> };
}

const cliPath = join(repoRoot, 'bin', 'failover.js');

export function drillRunbook(opts: DrillRunbookOptions = {}): DrillRunbook {
  const dir = mkdtempSync(join(tmpdir(), 'failover-drill-'));
  const lab = opts.secure ? SECURE_LAB : TEST_LAB;
  const labDir = lab.dir;
  const rb = parse(readFileSync(join(repoRoot, 'runbooks', opts.secure ? 'lab-secure.yaml' : 'lab.yaml'), 'utf8')) as LabRunbook;
  // A name and a route of its own (the pair's phase and lock are the pair's: the tests reset them between drills).
  rb.name = `it-drill-${randomBytes(4).toString('hex')}`;
  rb.clusters.east!.bootstrap = [`127.0.0.1:${lab.eastPort}`];
  rb.clusters.west!.bootstrap = [`127.0.0.1:${lab.westPort}`];
  // A lab cluster's controller listens on the port after its client port.
  if (rb.clusters.east!.controllers) rb.clusters.east!.controllers.bootstrap = [`127.0.0.1:${lab.eastPort + 1}`];
  if (rb.clusters.west!.controllers) rb.clusters.west!.controllers.bootstrap = [`127.0.0.1:${lab.westPort + 1}`];
  // The test machine runs several labs on two cores: a request may wait
  // longer than the lab runbook's 5 s without anything being wrong.
  for (const c of Object.values(rb.clusters)) c.timeouts = { requestTimeout: '15s', connectionTimeout: '5s' };
  const routeFile = join(dir, 'route', 'orders.properties');
  rb.routing.switch.file.path = routeFile;

  const labArgs = (argv: string[]) => {
    const out = argv.map((a) => (a === '../bin/failover.js' ? cliPath : a === '../.lab' ? labDir : a));
    // `lab up` must be told the test lab's ports and patterns, or it refuses a lab made with other settings.
    return out[2] === 'lab' && out[3] === 'up' ? [...out.slice(0, 2), ...labUpArgs(lab)] : out;
  };
  for (const s of Object.values(rb.drill.scenarios)) {
    if (!s.fault) continue;
    s.fault.inject = labArgs(s.fault.inject);
    if (s.fault.recover) {
      // MirrorMaker 2 does not always come back by itself after east was away
      // (its west->east worker group lives on east): the test lab restarts it.
      const up = [cliPath, ...labUpArgs(lab)].map((a) => `'${a}'`).join(' ');
      s.fault.recover = ['sh', '-c', `node ${cliPath} lab kill mm2 --dir ${labDir} >/dev/null; "$@" && node ${up}`, 'recover', ...labArgs(s.fault.recover)];
    }
  }
  if (opts.crossCheck) {
    const down = rb.drill.scenarios['primary-down']!.fault!;
    down.recover = [process.execPath, join(import.meta.dirname, 'crossCheck.mjs'), '{{transcript.path}}', '{{target.bootstrap}}', 'failover.probe,east.failover.probe', '--', ...down.recover!];
  }
  Object.assign(rb.drill.scenarios, opts.scenarios ?? {});

  const path = join(dir, 'lab.yaml');
  writeFileSync(path, stringify(rb));
  ensureRoute(routeFile, `127.0.0.1:${lab.eastPort}`);
  return { dir, path, transcripts: join(dir, 'transcripts'), routeFile, lab, env: labEnv(lab) };
}

/** The secure lab's passwords for the runbook's ${env:...}: the admin failover runs as, and orders-svc, the stale client. */
function labEnv(lab: TestLab): NodeJS.ProcessEnv {
  if (!lab.secure) return {};
  const secrets = readLabSecrets(labPaths(lab.dir).secrets);
  if (!secrets) throw new Error(`no secrets in ${lab.dir}`);
  return { FAILOVER_LAB_ADMIN_PASSWORD: secrets.admin, FAILOVER_LAB_ORDERS_SVC_PASSWORD: secrets['orders-svc'] };
}

/** The lab's clients read their bootstrap from the route file; it starts at the home primary. */
export function ensureRoute(file: string, bootstrap: string): void {
  if (existsSync(file)) return;
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, `bootstrap.servers=${bootstrap}\n`);
}
