import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { FailoverError } from '../errors.js';
import { bootstrapOf, kafkaMajor, labPaths, shapeOf, type BrokerName } from './labConfig.js';
import { readState } from './labState.js';
import { readLabSecrets } from './secrets.js';
import { clientSecurityProps } from './templates.js';
import { readStorePassword } from './tls.js';
import { findJava } from './toolchain.js';

/**
 * Kafka's own command-line tools, run from the lab's classpath (the jars
 * Maven resolved for `lab up`): what an operator runs by hand, and Kafka's
 * own Java producer, which writes records as Java applications do (every
 * codec, snappy in Java's xerial framing), for the tests that check
 * failover reads what Java writes. failover itself changes configs through
 * the client's IncrementalAlterConfigs, never through the non-incremental
 * AlterConfigs, which resets every dynamic config it is not given.
 */
export const KAFKA_TOOLS = {
  topics: 'org.apache.kafka.tools.TopicCommand',
  configs: 'kafka.admin.ConfigCommand',
  consumerGroups: 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
  acls: 'org.apache.kafka.tools.AclCommand',
  consoleProducer: 'org.apache.kafka.tools.ConsoleProducer',
  consoleConsumer: 'org.apache.kafka.tools.consumer.ConsoleConsumer',
} as const;

export type KafkaToolName = keyof typeof KAFKA_TOOLS;

export interface KafkaToolRun {
  /** the command as a person would type it (kafka-topics.sh style), credentials left out */
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

const SCRIPT: Record<KafkaToolName, string> = {
  topics: 'kafka-topics.sh',
  configs: 'kafka-configs.sh',
  consumerGroups: 'kafka-consumer-groups.sh',
  acls: 'kafka-acls.sh',
  consoleProducer: 'kafka-console-producer.sh',
  consoleConsumer: 'kafka-console-consumer.sh',
};

/** The flag that names a file of client settings (the secure lab's credentials). */
const CONFIG_FLAG: Partial<Record<KafkaToolName, string>> = { consoleProducer: '--producer.config', consoleConsumer: '--consumer.config' };

/** Tools log to stderr, errors only, so that stdout holds just the tool's answer. */
const TOOLS_LOG4J2 = [
  'status = error',
  'appender.err.type = Console',
  'appender.err.name = err',
  'appender.err.target = SYSTEM_ERR',
  'appender.err.layout.type = PatternLayout',
  'appender.err.layout.pattern = %p %m (%c)%n',
  'rootLogger.level = ERROR',
  'rootLogger.appenderRef.err.ref = err',
  '',
].join('\n');

/**
 * Runs one Kafka tool against a lab cluster: `--bootstrap-server` comes
 * first, and on a secure lab `--command-config` with the lab admin's SCRAM
 * credentials (a file in the lab folder, mode 0600). Never throws for a
 * non-zero exit; the caller reads `exitCode` and `stderr`.
 */
export async function runKafkaTool(opts: {
  dir: string;
  tool: KafkaToolName;
  cluster: BrokerName;
  args: string[];
  timeoutMs?: number;
  /** what the tool reads on stdin (the console producer's records, one a line) */
  input?: string;
  /** ends the tool (SIGTERM: a Java consumer leaves its group on the way out) */
  signal?: AbortSignal;
}): Promise<KafkaToolRun> {
  const paths = labPaths(opts.dir);
  const state = readState(paths.state);
  if (!state) throw new FailoverError(`no lab in ${paths.root}`, { hint: 'run `failover lab up` first' });
  const s = state.settings;
  const cpFile = paths.classpath(s.kafkaVersion);
  if (!existsSync(cpFile)) throw new FailoverError(`no classpath for Kafka ${s.kafkaVersion} in ${cpFile}`, { hint: 'run `failover lab up` once; it resolves the jars' });
  const classpath = readFileSync(cpFile, 'utf8').trim();
  const java = await findJava();
  const logCfg = join(paths.root, 'tools-log4j2.properties');
  if (!existsSync(logCfg)) writeFileSync(logCfg, TOOLS_LOG4J2);
  const extra: string[] = [];
  if (s.secure || shapeOf(s).tls) {
    const secrets = s.secure ? readLabSecrets(paths.secrets) : undefined;
    if (s.secure && !secrets) throw new FailoverError(`the secure lab in ${paths.root} has no secrets.json`, { hint: 'run `failover lab up --secure` again' });
    const tls = shapeOf(s).tls ? { keystore: paths.keystore, truststore: paths.truststore, password: readStorePassword(paths.storePassword) } : undefined;
    const cfg = join(paths.root, 'tools-admin.properties');
    // The lab admin's client settings, as MirrorMaker 2 gets its own: mechanism, JAAS line and truststore by profile.
    writeFileSync(cfg, [...clientSecurityProps(s, 'admin', secrets, tls), ''].join('\n'), { mode: 0o600 });
    extra.push(CONFIG_FLAG[opts.tool] ?? '--command-config', cfg);
  }
  const bootstrap = bootstrapOf(s, opts.cluster);
  const args = ['--bootstrap-server', bootstrap, ...opts.args, ...extra];
  const jvm = ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Djava.awt.headless=true'];
  jvm.push(kafkaMajor(s.kafkaVersion) >= 4 ? `-Dlog4j2.configurationFile=${logCfg}` : '-Dlog4j.rootLogger=ERROR');
  const t0 = Date.now();
  const r = await execa(java.bin, [...jvm, '-cp', classpath, KAFKA_TOOLS[opts.tool], ...args], {
    reject: false,
    timeout: opts.timeoutMs ?? 120_000,
    ...(opts.input !== undefined ? { input: opts.input } : {}),
    ...(opts.signal ? { cancelSignal: opts.signal } : {}),
  });
  return {
    command: [SCRIPT[opts.tool], '--bootstrap-server', bootstrap, ...opts.args, ...(extra.length ? [CONFIG_FLAG[opts.tool] ?? '--command-config', '<admin.properties>'] : [])].join(' '),
    exitCode: r.exitCode ?? -1,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
    elapsedMs: Date.now() - t0,
  };
}
