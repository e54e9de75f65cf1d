/**
 * Signals of bounces that are not structured reports: Exim's
 * `X-Failed-Recipients`, a mail system as sender, a null envelope sender,
 * and the subjects MTAs put on non-delivery notices.
 */
import type { ParsedMessage } from '../mail/parse-message.js';
import { fieldValues } from './header-fields.js';
import { headerSignal, type Signal } from './signals.js';
import { isBounceSubject } from './subject-patterns.js';

/**
 * Local parts of the addresses mail systems send notices from (RFC 5321
 * §4.5.1 postmaster, and the traditional MAILER-DAEMON).
 */
const MAIL_SYSTEM_LOCAL_PART = /^(?:mailer[-_]?daemon|postmaster)$/i;

/** A From field naming the mail daemon, with or without an address. */
const MAILER_DAEMON_WORD = /\bmailer[-_]?daemon\b/i;

/**
 * Every bounce signal in a message.
 *
 * @param parsed the message
 * @returns the signals, strongest first
 */
export function findBounceSignals(parsed: ParsedMessage): Signal[] {
  const signals: Signal[] = [];
  if (fieldValues(parsed.headers, 'x-failed-recipients').some(Boolean)) {
    signals.push(headerSignal('x-failed-recipients', 'bounce', 'off'));
  }
  if (isMailSystemSender(parsed)) {
    signals.push(headerSignal('mail-system-sender', 'bounce', 'moderate'));
  }
  if (hasNullReturnPath(parsed)) {
    signals.push(headerSignal('null-return-path', 'automatic', 'moderate'));
  }
  if (isBounceSubject(parsed.subject)) {
    signals.push({
      name: 'bounce-subject',
      family: 'bounce',
      level: 'aggressive',
      subjectOnly: true,
    });
  }

  return signals;
}

/**
 * The From address or the envelope sender (Return-Path) is a mail system's.
 * "From: MAILER-DAEMON <>" leaves the parser without an address, so the
 * raw From field is read too.
 */
function isMailSystemSender(parsed: ParsedMessage): boolean {
  const returnPaths = fieldValues(parsed.headers, 'return-path').map((value) =>
    value.replace(/^<|>$/g, ''),
  );
  const senders = [parsed.from?.address ?? '', ...returnPaths];
  if (senders.some((sender) => isMailSystemAddress(sender))) return true;

  return fieldValues(parsed.headers, 'from').some((value) =>
    MAILER_DAEMON_WORD.test(value),
  );
}

function isMailSystemAddress(address: string): boolean {
  return MAIL_SYSTEM_LOCAL_PART.test(address.split('@')[0]?.trim() ?? '');
}

/**
 * RFC 5321 §4.5.5 reserves the null reverse-path (`<>`) for notifications;
 * some MTAs write it as a bare `<MAILER-DAEMON>`. A Return-Path without any
 * deliverable address is read as null.
 */
function hasNullReturnPath(parsed: ParsedMessage): boolean {
  return fieldValues(parsed.headers, 'return-path').some(
    (value) => !value.includes('@'),
  );
}
