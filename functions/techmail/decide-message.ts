/**
 * The decision half of processing a message: parse it, find its ledger
 * key, and record what becomes of it unless a decision exists already. The
 * classification is part of that decision, so a rerun finishes what was
 * decided instead of classifying again.
 */
import { randomUUID } from 'node:crypto';
import type { OwnMail } from '../classify/own-mail.js';
import { MailParseError } from '../mail/errors.js';
import { contentKey, messageKey, sha256Hex } from '../mail/message-key.js';
import { type ParsedMessage, parseMessage } from '../mail/parse-message.js';
import type { Mailbox } from '../model.js';
import type { LedgerRecord } from '../store/ports.js';
import type { Decided, IncomingMessage } from './apply-decision.js';
import type { DecisionStore } from './in-flight-writes.js';
import { headerBytes } from './message-size.js';
import { type RouteDecision, routeMessage } from './route-message.js';
import { limitStoredFields } from './stored-fields.js';

/**
 * Finds or records the ledger decision of a message.
 *
 * @param mailbox the mailbox the message came from
 * @param message the message as taken from the server
 * @param stores the incident store (decisions write no blobs)
 * @param now the time of the decision (reference numbers use its day)
 * @param own the help desk's addresses and Message-ID domain
 * @param contactOnlyMailboxIds mailboxes whose incidents only their
 *   contacts may update, whichever mailbox a reply comes through
 * @returns the stored record (possibly an earlier run's) and the parse
 */
export async function decideMessage(
  mailbox: Mailbox,
  message: IncomingMessage,
  stores: { incidents: DecisionStore },
  now: Date,
  own: OwnMail,
  contactOnlyMailboxIds: ReadonlySet<string> = new Set(),
): Promise<Decided> {
  const { raw } = message;
  const oversize =
    message.headersOnly === true || raw.length > mailbox.maxMessageBytes;
  const parsed = await parseOrUndefined(oversize ? headerBytes(raw) : raw);
  if (!parsed) {
    const reason = oversize ? 'oversize' : 'unparseable';
    const record = await findOrRecord(stores, mailbox.id, raw, reason, now);
    return { record };
  }

  const { key, existing } = await findLedger(
    stores.incidents,
    mailbox.id,
    parsed.messageId,
    raw,
  );
  if (existing) return { record: existing, parsed };

  const route = await routeMessage({
    mailbox,
    parsed,
    oversize,
    incidents: stores.incidents,
    own,
    contactOnlyMailboxIds,
    now,
  });
  const proposal = newRecord(mailbox.id, key, raw, parsed, now, route.decision);
  const record = await stores.incidents.putLedgerIfAbsent(proposal);
  // Counted only by the writer whose decision was stored, so a message is
  // counted once however often it is retried. A crash between the two
  // writes leaves it uncounted: flood control may then let one more
  // message of that sender through, never one fewer.
  if (route.countSender !== undefined && record.entryId === proposal.entryId) {
    await stores.incidents.addSenderMessage(mailbox.id, route.countSender, now);
  }

  return { record, parsed };
}

/**
 * Parses the bytes; undefined when they are not a parseable message. The
 * size was checked against the mailbox's limit already, which the parser's
 * own default must not undercut.
 */
async function parseOrUndefined(
  bytes: Buffer,
): Promise<ParsedMessage | undefined> {
  try {
    const parsed = await parseMessage(bytes, {
      maxMessageBytes: Math.max(bytes.length, 1),
    });

    return limitStoredFields(parsed);
  } catch (error) {
    if (!(error instanceof MailParseError)) throw error;

    return undefined;
  }
}

/**
 * The ledger key of a message and its record, if any. The key is the
 * Message-ID, unless that id was already used for different bytes (a
 * broken mailer reusing ids), in which case the content hash keeps the two
 * messages apart.
 */
async function findLedger(
  incidents: DecisionStore,
  mailboxId: string,
  messageId: string | undefined,
  raw: Buffer,
): Promise<{ key: string; existing?: LedgerRecord }> {
  const key = messageKey(messageId, raw);
  const existing = await incidents.getLedger(mailboxId, key);
  if (!existing || existing.sha256 === sha256Hex(raw)) {
    return { key, existing };
  }
  const byContent = contentKey(raw);

  return {
    key: byContent,
    existing: await incidents.getLedger(mailboxId, byContent),
  };
}

/**
 * Quarantine needs no routing, so its decision is proposed at once: the
 * conditional put answers with the earlier record when there is one.
 */
function findOrRecord(
  stores: { incidents: DecisionStore },
  mailboxId: string,
  raw: Buffer,
  reason: string,
  now: Date,
): Promise<LedgerRecord> {
  return stores.incidents.putLedgerIfAbsent({
    mailboxId,
    messageKey: contentKey(raw),
    state: 'pending',
    sha256: sha256Hex(raw),
    outcome: 'quarantined',
    reason,
    decidedAt: now.toISOString(),
  });
}

function newRecord(
  mailboxId: string,
  key: string,
  raw: Buffer,
  parsed: ParsedMessage,
  now: Date,
  decision: RouteDecision,
): LedgerRecord {
  return {
    mailboxId,
    messageKey: key,
    state: 'pending',
    sha256: sha256Hex(raw),
    messageId: parsed.messageId,
    entryId: randomUUID(),
    decidedAt: now.toISOString(),
    ...decision,
  };
}
