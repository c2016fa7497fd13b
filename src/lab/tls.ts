import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { execa } from 'execa';
import { FailoverError } from '../errors.js';

/**
 * The lab's TLS material, made with the JDK's keytool at `lab up` (nothing
 * is downloaded): a CA, one broker key and certificate signed by it for
 * 127.0.0.1 and localhost (every node of both clusters listens on
 * 127.0.0.1, so one certificate serves them all), and a truststore holding
 * the CA for MirrorMaker 2 and Kafka's tools. The CA's PEM is what a
 * runbook's `auth.tls.ca` names.
 */
export interface LabTlsFiles {
  dir: string;
  caPem: string;
  keystore: string;
  truststore: string;
  storePassword: string;
}

const VALIDITY_DAYS = '3650';
/** The names every lab broker answers to, as a keytool SubjectAlternativeName extension. */
export const BROKER_SAN = 'SAN=IP:127.0.0.1,DNS:localhost';

/**
 * keytool's argument lists, in the order they run. Kept as data so that a
 * unit test can check what a certificate is made with: the CA is a CA
 * (bc:c), the broker certificate is for serverAuth with the SAN the lab's
 * clients verify, and nothing is ever asked on a terminal (-noprompt).
 */
export function keytoolSteps(dir: string, password: string, caName = 'failover-lab-ca'): { what: string; args: string[] }[] {
  const ca = join(dir, 'ca.p12');
  const csr = join(dir, 'broker.csr');
  const brokerPem = join(dir, 'broker.pem');
  const store = (file: string) => ['-keystore', file, '-storetype', 'PKCS12', '-storepass', password];
  return [
    {
      what: 'the lab CA',
      args: ['-genkeypair', '-alias', 'ca', '-dname', `CN=${caName}`, '-keyalg', 'RSA', '-keysize', '2048', '-validity', VALIDITY_DAYS, '-ext', 'bc:c', ...store(ca), '-keypass', password, '-noprompt'],
    },
    { what: "the CA's PEM", args: ['-exportcert', '-rfc', '-alias', 'ca', ...store(ca), '-file', join(dir, 'ca.pem')] },
    {
      what: 'the broker key',
      args: ['-genkeypair', '-alias', 'broker', '-dname', 'CN=localhost', '-keyalg', 'RSA', '-keysize', '2048', '-validity', VALIDITY_DAYS, '-ext', BROKER_SAN, ...store(join(dir, 'broker.p12')), '-keypass', password, '-noprompt'],
    },
    { what: 'the broker CSR', args: ['-certreq', '-alias', 'broker', ...store(join(dir, 'broker.p12')), '-file', csr] },
    {
      what: 'the broker certificate',
      args: ['-gencert', '-alias', 'ca', ...store(ca), '-infile', csr, '-outfile', brokerPem, '-rfc', '-validity', VALIDITY_DAYS, '-ext', BROKER_SAN, '-ext', 'KU=digitalSignature,keyEncipherment', '-ext', 'EKU=serverAuth,clientAuth'],
    },
    { what: 'the CA into the broker keystore', args: ['-importcert', '-alias', 'ca', '-file', join(dir, 'ca.pem'), ...store(join(dir, 'broker.p12')), '-noprompt'] },
    { what: 'the broker certificate chain', args: ['-importcert', '-alias', 'broker', '-file', brokerPem, ...store(join(dir, 'broker.p12')), '-noprompt'] },
    { what: 'the truststore', args: ['-importcert', '-alias', 'ca', '-file', join(dir, 'ca.pem'), ...store(join(dir, 'truststore.p12')), '-noprompt'] },
  ];
}

/**
 * keytool beside the java the lab runs: JAVA_HOME's, or the real file
 * behind `java` on PATH (/usr/bin/java is a link into the JDK), else
 * keytool on PATH.
 */
export function keytoolFor(javaBin: string, env: NodeJS.ProcessEnv = process.env): string {
  const candidates: string[] = [];
  if (isAbsolute(javaBin)) candidates.push(javaBin);
  else for (const d of (env.PATH ?? '').split(delimiter)) if (d) candidates.push(join(d, javaBin));
  for (const c of candidates) {
    if (!existsSync(c)) continue;
    let real = c;
    try {
      real = realpathSync(c);
    } catch {
      // a dangling link: try the next
    }
    const k = join(dirname(real), 'keytool');
    if (existsSync(k)) return k;
  }
  return 'keytool';
}

/** Makes the lab's TLS files once; a lab that has them keeps them (its clients trust that CA). */
export async function ensureLabTls(files: Omit<LabTlsFiles, 'dir'> & { dir: string }, keytool: string, caName?: string): Promise<LabTlsFiles> {
  if ([files.caPem, files.keystore, files.truststore, files.storePassword].every((f) => existsSync(f))) return files;
  mkdirSync(files.dir, { recursive: true, mode: 0o700 });
  const password = randomBytes(12).toString('base64url');
  writeFileSync(files.storePassword, password, { mode: 0o600 });
  chmodSync(files.storePassword, 0o600);
  for (const step of keytoolSteps(files.dir, password, caName)) {
    const r = await execa(keytool, step.args, { reject: false, all: true, timeout: 60_000 });
    if (r.exitCode !== 0) {
      const out = String(r.all ?? '').split(password).join('***');
      throw new FailoverError(`keytool could not make ${step.what} (exit ${r.exitCode ?? 'none'}): ${out.trim() || 'no output'}`, {
        hint: `keytool comes with the JDK (${keytool}); delete ${files.dir} and run \`failover lab up\` again`,
      });
    }
  }
  return files;
}

export function readStorePassword(file: string): string {
  return readFileSync(file, 'utf8').trim();
}
