import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runTool } from './processes.js';
import {
  LOOPBACK,
  type PopTarget,
  type Retrieval,
  type RetrievalOptions,
} from './retrieval.js';

/** The account name in the generated configuration. */
const ACCOUNT = 'bench';

/**
 * Empties the account with mpop (the Debian package): TLS against the
 * bench CA, pipelining on, messages deleted after retrieval, delivered to
 * a Maildir in `workDir`. Its own configuration, UIDL file and HOME keep
 * it away from any user's settings.
 *
 * @param target the account and port
 * @param options work directory and time limit
 * @returns its wall time and the number of messages in the Maildir
 * @throws Error with mpop's message when it fails or times out
 */
export async function retrieveWithMpop(
  target: PopTarget,
  options: RetrievalOptions,
): Promise<Retrieval> {
  const maildir = path.join(options.workDir, 'Maildir');
  for (const sub of ['cur', 'new', 'tmp']) {
    await mkdir(path.join(maildir, sub), { recursive: true });
  }
  const configPath = path.join(options.workDir, 'mpoprc');
  // mpop refuses a configuration holding a password unless only we can read it.
  await writeFile(configPath, renderConfig(target, options.workDir, maildir), {
    mode: 0o600,
  });
  const exit = await runTool('mpop', ['-q', '-C', configPath, ACCOUNT], {
    env: { PATH: process.env.PATH, HOME: options.workDir },
    timeoutMs: options.timeoutMs,
  });
  if (exit.timedOut || exit.code !== 0) {
    throw new Error(
      `mpop ${exit.timedOut ? 'timed out' : `exited with ${exit.code ?? exit.signal}`}: ${exit.stderr.trim()}`,
    );
  }
  const delivered = await readdir(path.join(maildir, 'new'));

  return {
    seconds: exit.seconds,
    cpuSeconds: exit.cpuSeconds,
    retrieved: delivered.length,
    details: { delivery: 'maildir', pipelining: 'on' },
  };
}

function renderConfig(
  target: PopTarget,
  workDir: string,
  maildir: string,
): string {
  return [
    'defaults',
    'tls on',
    'tls_starttls off',
    `tls_trust_file ${target.caPath}`,
    'pipelining on',
    'keep off',
    'only_new off',
    `uidls_file ${path.join(workDir, 'uidls')}`,
    `account ${ACCOUNT}`,
    `host ${LOOPBACK}`,
    `port ${target.port}`,
    `user ${target.user}`,
    `password ${target.password}`,
    `delivery maildir ${maildir}`,
    '',
  ].join('\n');
}
