import { execa } from 'execa';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FailoverError } from '../errors.js';
import { packageRoot } from '../version.js';
import { kafkaMajor } from './labConfig.js';

export interface Java {
  bin: string;
  major: number;
}

/** Finds java (JAVA_HOME first, then PATH) and insists on JDK 17 or newer. */
export async function findJava(env: NodeJS.ProcessEnv = process.env): Promise<Java> {
  const bin = env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'java') : 'java';
  let text: string;
  try {
    const r = await execa(bin, ['-version'], { reject: false, all: true, timeout: 20_000 });
    if (r.exitCode !== 0 && !r.all) throw new Error(`exit ${r.exitCode}`);
    text = r.all ?? '';
  } catch (e) {
    throw new FailoverError(`java not found (${bin}): ${(e as Error).message}`, {
      hint: 'install a JDK 17 or newer and put java on PATH (or set JAVA_HOME)',
    });
  }
  const major = parseJavaMajor(text);
  if (major === undefined) {
    throw new FailoverError(`cannot read the Java version from \`${bin} -version\`: ${text.split('\n')[0] ?? ''}`, {
      hint: 'install a JDK 17 or newer',
    });
  }
  if (major < 17) {
    throw new FailoverError(`Java ${major} is too old for the lab (${bin})`, {
      hint: 'Kafka 4 needs JDK 17 or newer: install one and put it on PATH or in JAVA_HOME',
    });
  }
  return { bin, major };
}

export function parseJavaMajor(versionOutput: string): number | undefined {
  const m = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!m) return undefined;
  const first = Number(m[1]);
  return first === 1 ? Number(m[2]) : first;
}

const POM = join(packageRoot, 'src', 'lab', 'pom.xml');

/**
 * The classpath of a Kafka version, as Maven resolves it from the lab pom
 * into its own local cache. Cached under the lab folder; re-resolved when
 * a jar it names has gone from the Maven cache.
 */
export async function resolveClasspath(version: string, cacheFile: string, log: (s: string) => void = () => {}): Promise<string> {
  if (!/^\d+\.\d+\.\d+$/.test(version)) {
    throw new FailoverError(`not a Kafka version: ${version}`, { hint: 'give a release such as 4.3.1 or 3.9.2' });
  }
  if (existsSync(cacheFile)) {
    const cp = readFileSync(cacheFile, 'utf8').trim();
    if (cp && cp.split(':').every((j) => existsSync(j))) return cp;
  }
  try {
    await execa('mvn', ['-v'], { timeout: 30_000 });
  } catch {
    throw new FailoverError('mvn (Apache Maven) not found', {
      hint: 'install Maven 3.8+ and put mvn on PATH; the lab resolves its Kafka jars through it',
    });
  }
  log(`resolving Kafka ${version} jars with Maven (first time only)...`);
  mkdirSync(dirname(cacheFile), { recursive: true });
  const args = ['-q', '-B', '-f', POM, 'dependency:build-classpath', `-Dkafka.version=${version}`, `-Dmdep.outputFile=${cacheFile}`];
  if (kafkaMajor(version) < 4) args.push('-Dkafka.major=3');
  const r = await execa('mvn', args, { reject: false, all: true, timeout: 15 * 60_000 });
  if (r.exitCode !== 0 || !existsSync(cacheFile)) {
    const lines = (r.all ?? '').split('\n').filter((l) => l.includes('ERROR')).slice(0, 3).join('\n');
    throw new FailoverError(`Maven could not resolve Kafka ${version}:\n${lines || r.all}`, {
      hint: `check the version exists (org.apache.kafka:connect-mirror:${version}) and that Maven reaches its repository`,
    });
  }
  const cp = readFileSync(cacheFile, 'utf8').trim();
  writeFileSync(cacheFile, cp);
  return cp;
}
