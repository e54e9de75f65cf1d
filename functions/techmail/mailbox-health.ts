import { TechmailError } from '../commons/errors.js';
import type { Mailbox, Run } from '../model.js';
import {
  Pop3AuthError,
  Pop3NetworkError,
  Pop3ProtocolError,
  Pop3TimeoutError,
} from '../pop3/errors.js';
import type { MailboxHealth } from '../store/ports.js';

/**
 * After this many failed runs in a row, scheduled runs back off instead of
 * hammering a server that keeps refusing us (and may lock the account).
 */
export const BACKOFF_AFTER_FAILURES = 5;

/** While backing off, scheduled runs try at most once per this period. */
export const BACKOFF_PERIOD_MS = 60 * 60 * 1000;

/**
 * Run error codes that mean the mailbox could not be logged into: the
 * server refused the account, its certificate did not verify, or its name
 * does not resolve. Each needs an admin; they set `login-failed` and count
 * in the `LoginFailures` metric.
 */
export const LOGIN_FAILURE_CODES: ReadonlySet<string> = new Set([
  'LoginRejected',
  'TlsRejected',
  'ServerNotFound',
]);

/**
 * The run record's `error` for a failure: a stable code and a message that
 * says what to do. Only our own typed errors' messages are shown, since they
 * are written never to contain secrets or mail content.
 *
 * @param error what the run threw
 * @returns code and message for the run record and the mailbox
 */
export function describeFailure(error: unknown): {
  code: string;
  message: string;
} {
  if (error instanceof Pop3AuthError) {
    return { code: 'LoginRejected', message: error.message };
  }
  if (error instanceof Pop3TimeoutError) {
    return { code: 'Timeout', message: error.message };
  }
  if (error instanceof Pop3NetworkError) {
    return { code: networkErrorCode(error), message: error.message };
  }
  if (error instanceof Pop3ProtocolError) {
    return { code: 'ProtocolError', message: error.message };
  }
  if (error instanceof TechmailError) {
    return { code: error.name, message: error.message };
  }

  return {
    code: 'InternalError',
    message: 'the run failed unexpectedly; see the function logs',
  };
}

function networkErrorCode(error: Pop3NetworkError): string {
  switch (error.code) {
    case 'CERTIFICATE':
    case 'TLS':
      return 'TlsRejected';
    case 'DNS':
      return 'ServerNotFound';
    default:
      return 'NetworkError';
  }
}

/**
 * The mailbox's health after a run: a success clears failures; a failure
 * counts up and, past the threshold, sets when scheduled runs may retry.
 *
 * @param mailbox the mailbox before the run
 * @param run the finished run
 * @param failure what the run threw, if anything
 * @param now when the run finished
 * @returns the fields to write onto the mailbox
 */
export function healthAfter(
  mailbox: Mailbox,
  run: Run,
  failure: unknown,
  now: Date,
): MailboxHealth {
  const lastRun = {
    runId: run.runId,
    status: run.status,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    counts: run.counts,
  };
  if (failure === undefined) {
    return { status: 'ok', consecutiveFailures: 0, lastRun };
  }
  const consecutiveFailures = mailbox.consecutiveFailures + 1;
  const backoffUntil =
    consecutiveFailures >= BACKOFF_AFTER_FAILURES
      ? new Date(now.getTime() + BACKOFF_PERIOD_MS).toISOString()
      : undefined;

  return {
    status: LOGIN_FAILURE_CODES.has(describeFailure(failure).code)
      ? 'login-failed'
      : 'failing',
    lastError: run.error?.message,
    consecutiveFailures,
    backoffUntil,
    lastRun,
  };
}
