/**
 * Decides where a parsed message goes: a new incident, a thread entry, or
 * nowhere (suppressed), from the classifier's verdict, threading, the
 * mailbox's update policy and flood control. The result is what the ledger
 * records, so a message is routed once and a rerun finishes that decision.
 *
 * Outcomes and reasons:
 *
 * | message                                   | outcome    | reason           |
 * |-------------------------------------------|------------|------------------|
 * | from one of our addresses                 | suppressed | `own-mail`       |
 * | our Message-ID or loop header             | suppressed | `loop`           |
 * | ARF report, SES complaint                 | suppressed | `abuse-report`   |
 * | success DSN, read receipt, SES delivery   | suppressed | `delivery-report`|
 * | bounce of a reply on an incident          | threaded   | `bounce`         |
 * | any other bounce                          | suppressed | `bounce`         |
 * | auto-reply to an incident                 | threaded   | `auto-reply`     |
 * | any other auto-reply, list or bulk mail   | suppressed | `auto-reply`     |
 * | sender over the flood limit               | suppressed | `flood`          |
 * | over the mailbox's size limit             | created    | `oversize`       |
 * | reply the update policy refuses           | created    | `update-refused` |
 * | reply to an incident                      | threaded   | –                |
 * | anything else                             | created    | –                |
 */
import {
  type ClassifySettings,
  classifyMessage,
} from '../classify/classify-message.js';
import type { OwnMail } from '../classify/own-mail.js';
import { decideThread, type ThreadLookup } from '../incidents/threading.js';
import type { ParsedMessage } from '../mail/parse-message.js';
import type { Mailbox } from '../model.js';
import type { IncidentStore, LedgerRecord } from '../store/ports.js';
import { mayUpdateIncident } from './update-policy.js';

/** The part of a ledger record that routing decides. */
export type RouteDecision = Pick<
  LedgerRecord,
  'outcome' | 'reason' | 'signal' | 'referenceNumber' | 'relatedReferenceNumber'
>;

/** Where a message goes, and whose flood count it adds to. */
export interface Route {
  readonly decision: RouteDecision;
  /** Sender to count once the decision is recorded (lower case). */
  readonly countSender?: string;
}

/** What routing reads from (and the reference counter it draws on). */
export type RouteStore = Pick<
  IncidentStore,
  | 'findByMessageIds'
  | 'getIncident'
  | 'listEntries'
  | 'countSenderMessages'
  | 'nextReferenceNumber'
>;

/** What routing reads. */
export interface RouteInput {
  readonly mailbox: Mailbox;
  readonly parsed: ParsedMessage;
  /** Over the mailbox's size limit: only its header was parsed. */
  readonly oversize: boolean;
  readonly incidents: RouteStore;
  readonly own: OwnMail;
  /** Mailboxes whose incidents only their contacts may update. */
  readonly contactOnlyMailboxIds: ReadonlySet<string>;
  readonly now: Date;
}

/**
 * Routes a message that has no ledger decision yet.
 *
 * @param input the message, its mailbox, the store and the clock
 * @returns the decision to record
 */
export async function routeMessage(input: RouteInput): Promise<Route> {
  const settings: ClassifySettings = {
    ...input.own,
    detection: input.mailbox.autoReplyDetection,
  };
  const verdict = classifyMessage(input.parsed, settings);
  switch (verdict.kind) {
    case 'loop':
      return suppress(
        verdict.signal === 'own-address' ? 'own-mail' : 'loop',
        verdict.signal,
      );
    case 'abuse-report':
    case 'delivery-report':
      return suppress(verdict.kind, verdict.signal);
    case 'bounce':
      return routeNote(input, 'bounce', verdict.signal, {
        ...input.parsed,
        inReplyTo: [...verdict.bouncedMessageIds, ...input.parsed.inReplyTo],
        subject: [verdict.bouncedSubject, input.parsed.subject].join(' '),
      });
    case 'auto-reply':
      return routeNote(input, 'auto-reply', verdict.signal, input.parsed);
    case 'ordinary':
      return routeCustomerMail(input);
  }
}

/**
 * Auto-replies and bounces never open an incident; one that belongs to an
 * incident is kept on it as a note. `threadBy` is what threading reads: a
 * bounce is threaded by the message that bounced.
 */
async function routeNote(
  input: RouteInput,
  reason: 'bounce' | 'auto-reply',
  signal: string,
  threadBy: ParsedMessage,
): Promise<Route> {
  if (input.oversize) return suppress(reason, signal);
  const thread = await decideThread(threadBy, lookupIn(input.incidents));
  if (thread.kind === 'new') return suppress(reason, signal);
  // A bounce comes from a mail system, never from someone on the incident,
  // so only an auto-reply is held to the update policy.
  const allowed =
    reason === 'bounce' ||
    (await mayUpdateIncident(
      input.mailbox,
      thread.referenceNumber,
      input.parsed.from,
      input.incidents,
      input.contactOnlyMailboxIds,
    ));
  if (!allowed) return suppress(reason, signal);

  return {
    decision: {
      outcome: 'threaded',
      reason,
      signal,
      referenceNumber: thread.referenceNumber,
    },
  };
}

async function routeCustomerMail(input: RouteInput): Promise<Route> {
  const { mailbox, parsed, incidents } = input;
  const sender = parsed.from?.address.toLowerCase();
  const count = sender === undefined ? {} : { countSender: sender };
  if (sender !== undefined && (await isFlooding(input, sender))) {
    return { decision: { outcome: 'suppressed', reason: 'flood' }, ...count };
  }
  if (input.oversize)
    return { decision: await create(input, 'oversize'), ...count };

  const thread = await decideThread(parsed, lookupIn(incidents));
  if (thread.kind === 'new') return { decision: await create(input), ...count };
  const ref = thread.referenceNumber;
  const allowed = await mayUpdateIncident(
    mailbox,
    ref,
    parsed.from,
    incidents,
    input.contactOnlyMailboxIds,
  );
  if (allowed) {
    return {
      decision: { outcome: 'threaded', referenceNumber: ref },
      ...count,
    };
  }
  const refused = await create(input, 'update-refused');

  return { decision: { ...refused, relatedReferenceNumber: ref }, ...count };
}

/**
 * More than `floodLimit` messages from one sender within the window: the
 * ones past the limit are suppressed. Counting happens after the decision
 * is recorded, so this message is not in the count yet.
 */
async function isFlooding(input: RouteInput, sender: string): Promise<boolean> {
  const { floodLimit, floodWindowHours, id } = input.mailbox;
  if (floodLimit === 0) return false;
  const counted = await input.incidents.countSenderMessages(
    id,
    sender,
    floodWindowHours,
    input.now,
  );

  return counted >= floodLimit;
}

async function create(
  input: RouteInput,
  reason?: string,
): Promise<RouteDecision> {
  return {
    outcome: 'created',
    referenceNumber: await input.incidents.nextReferenceNumber(input.now),
    ...(reason === undefined ? {} : { reason }),
  };
}

function suppress(reason: string, signal: string): Route {
  return { decision: { outcome: 'suppressed', reason, signal } };
}

function lookupIn(incidents: RouteStore): ThreadLookup {
  return {
    findByMessageIds: (ids) => incidents.findByMessageIds(ids),
    exists: async (ref) => (await incidents.getIncident(ref)) !== undefined,
  };
}
