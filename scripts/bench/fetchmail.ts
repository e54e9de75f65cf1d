import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runTool } from './processes.js';
import {
  LOOPBACK,
  type PopTarget,
  type Retrieval,
  type RetrievalOptions,
} from './retrieval.js';

/** Printed on every run as root; it says nothing about the run itself. */
const ROOT_WARNING =
  /^fetchmail: WARNING: Running as root is discouraged\.\n?/m;

/**
 * Empties the account with fetchmail (the Debian package): TLS checked
 * against the bench CA, `nokeep fetchall`, messages appended to a BSMTP
 * file in `workDir`, so no MDA process is forked per message and no local
 * SMTP server is needed. FETCHMAILHOME and HOME point at `workDir`, so its
 * lock, UID list and settings stay private to this run.
 *
 * fetchmail compares the certificate with the poll name using DNS names
 * only: for `127.0.0.1` it reports a CommonName mismatch even though the
 * certificate carries an IP SAN for it, so `sslcommonname localhost` (the
 * certificate's DNS SAN) is set. By default it leaves on the server any
 * message with a header line it finds malformed (one corpus message starts
 * with an mbox `From ` line); `bad-header accept` makes it take the same
 * mail as the other clients. It warns when run as root and goes on.
 *
 * @param target the account and port
 * @param options work directory and time limit
 * @returns its wall time and the number of messages in the BSMTP file
 * @throws Error with fetchmail's message when it fails or times out
 */
export async function retrieveWithFetchmail(
  target: PopTarget,
  options: RetrievalOptions,
): Promise<Retrieval> {
  const bsmtpPath = path.join(options.workDir, 'mail.bsmtp');
  const rcPath = path.join(options.workDir, 'fetchmailrc');
  // fetchmail refuses a run-control file that others can read.
  await writeFile(rcPath, renderRcFile(target, bsmtpPath), { mode: 0o600 });
  const exit = await runTool(
    'fetchmail',
    ['--fetchmailrc', rcPath, '--nodetach', '--silent'],
    {
      env: {
        PATH: process.env.PATH,
        HOME: options.workDir,
        FETCHMAILHOME: options.workDir,
      },
      timeoutMs: options.timeoutMs,
    },
  );
  if (exit.timedOut || exit.code !== 0) {
    const said = exit.stderr.replace(ROOT_WARNING, '').trim();
    throw new Error(
      `fetchmail ${exit.timedOut ? 'timed out' : `exited with ${exit.code ?? exit.signal}`}: ${said}`,
    );
  }
  const bsmtp = await readFile(bsmtpPath, 'latin1').catch(() => '');

  return {
    seconds: exit.seconds,
    cpuSeconds: exit.cpuSeconds,
    retrieved: countBsmtpMessages(bsmtp),
    details: {
      delivery: 'bsmtp',
      pipelining: 'none (fetchmail has none)',
      badHeader: 'accept',
    },
  };
}

/**
 * Counts the messages in a BSMTP file: each DATA section ends with a line
 * holding a single dot, and dot-stuffing doubles any such line in a body.
 *
 * @param bsmtp the file's text
 * @returns the number of messages
 */
export function countBsmtpMessages(bsmtp: string): number {
  return bsmtp.split(/\r?\n/).filter((line) => line === '.').length;
}

function renderRcFile(target: PopTarget, bsmtpPath: string): string {
  return [
    'set no syslog',
    `poll ${LOOPBACK} service ${target.port} protocol pop3 timeout 60 bad-header accept`,
    `  user "${target.user}" there with password "${target.password}" is "${os.userInfo().username}" here`,
    `  ssl sslcertck sslcommonname "localhost" sslcertfile "${target.caPath}"`,
    '  nokeep fetchall',
    `  bsmtp "${bsmtpPath}"`,
    '',
  ].join('\n');
}
