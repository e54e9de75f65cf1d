/**
 * Decides what kind of mail a message is before it may open or update an
 * incident: ordinary mail from a person, an auto-reply, a bounce, another
 * report, or the help desk's own mail coming back. A pure function of the
 * parsed message and the settings; it reads nothing else and never logs.
 *
 * Levels (the mailbox's `autoReplyDetection`) and what each acts on; a
 * level acts on everything the levels before it act on:
 *
 * - every level, `off` included: own mail (From one of our addresses, a
 *   Message-ID in our domain, our loop header); machine-readable reports
 *   (DSN, MDN, ARF, multipart/report, Amazon SES notifications) and
 *   `X-Failed-Recipients`. No person's mail carries these.
 * - `conservative`: RFC 3834 `Auto-Submitted` other than `no`.
 * - `moderate` (the default): the vendor auto-reply headers,
 *   `Precedence`/`X-Precedence` bulk, junk, list or auto_reply, list
 *   headers, a MAILER-DAEMON or postmaster sender, a null Return-Path.
 * - `aggressive`: the subject alone (auto-reply and bounce wordings, in
 *   several languages), the weakest evidence.
 *
 * Once a level has found a message to be automatic, every signal present
 * decides which kind it is: any bounce evidence makes it a bounce.
 */
import type { ParsedMessage } from '../mail/parse-message.js';
import type { AutoReplyDetection } from '../model.js';
import { findAutoReplySignals } from './auto-reply-signals.js';
import { findBounceSignals } from './bounce-signals.js';
import { findBouncedMessage } from './bounced-message.js';
import { findLoopSignal, type LoopSignal, type OwnMail } from './own-mail.js';
import { findReport } from './reports.js';
import { actsAt, type Signal } from './signals.js';

/** What the classifier needs besides the message. */
export interface ClassifySettings extends OwnMail {
  /** The mailbox's detection level. */
  readonly detection: AutoReplyDetection;
}

/** The verdict on a message. */
export type Classification =
  | { readonly kind: 'ordinary' }
  | {
      readonly kind: 'auto-reply';
      /** `subject`: only the subject said so, the weaker evidence. */
      readonly strength: 'header' | 'subject';
      readonly signal: string;
    }
  | {
      readonly kind: 'bounce';
      readonly signal: string;
      /** Ids of the message that bounced and its thread, best first. */
      readonly bouncedMessageIds: string[];
      /** Raw Subject of the message that bounced, when the report has it. */
      readonly bouncedSubject?: string;
    }
  | { readonly kind: 'delivery-report'; readonly signal: string }
  | { readonly kind: 'abuse-report'; readonly signal: string }
  | { readonly kind: 'loop'; readonly signal: LoopSignal };

/**
 * Classifies a parsed message.
 *
 * @param parsed the message
 * @param settings detection level, our addresses and Message-ID domain
 * @returns the verdict; `ordinary` when nothing marks it as automatic
 * @example
 * classifyMessage(parsed, { detection: 'moderate', addresses: new Set() });
 * // { kind: 'auto-reply', strength: 'header', signal: 'auto-submitted' }
 */
export function classifyMessage(
  parsed: ParsedMessage,
  settings: ClassifySettings,
): Classification {
  const loop = findLoopSignal(parsed, settings);
  if (loop !== undefined) return { kind: 'loop', signal: loop };

  const report = findReport(parsed);
  if (report?.kind === 'bounce') return bounce(parsed, report.signal);
  if (report !== undefined) return { kind: report.kind, signal: report.signal };

  const signals = [
    ...findBounceSignals(parsed),
    ...findAutoReplySignals(parsed),
  ];
  const acting = signals.filter((signal) => actsAt(signal, settings.detection));
  const [first] = acting;
  if (first === undefined) return { kind: 'ordinary' };

  const bounceEvidence = signals.find((signal) => signal.family === 'bounce');
  if (bounceEvidence !== undefined) {
    return bounce(parsed, strongest(acting, 'bounce') ?? first.name);
  }

  return {
    kind: 'auto-reply',
    strength: acting.every((signal) => signal.subjectOnly)
      ? 'subject'
      : 'header',
    signal: strongest(acting, 'auto-reply') ?? first.name,
  };
}

function bounce(parsed: ParsedMessage, signal: string): Classification {
  const bounced = findBouncedMessage(parsed);

  return {
    kind: 'bounce',
    signal,
    bouncedMessageIds: bounced.messageIds,
    ...(bounced.subject === undefined
      ? {}
      : { bouncedSubject: bounced.subject }),
  };
}

/** The first acting signal of a family, to name the verdict after. */
function strongest(
  acting: readonly Signal[],
  family: Signal['family'],
): string | undefined {
  return acting.find((signal) => signal.family === family)?.name;
}
