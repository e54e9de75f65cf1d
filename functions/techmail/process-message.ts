import type { OwnMail } from '../classify/own-mail.js';
import type { Mailbox, RunMessage } from '../model.js';
import type { LedgerRecord } from '../store/ports.js';
import {
  applyDecision,
  type IncomingMessage,
  type MessageStores,
} from './apply-decision.js';
import { decideMessage } from './decide-message.js';
import { InFlightWrites } from './in-flight-writes.js';

export {
  ENTRY_INLINE_BODY_BYTES,
  ENTRY_TEXT_PREVIEW_CHARS,
  type IncomingMessage,
  type MessageStores,
} from './apply-decision.js';
export { entryBodyKey, quarantineKey, rawMessageKey } from './object-keys.js';

/** What processing knows about the help desk beyond the one mailbox. */
export interface ProcessOptions {
  /**
   * Every mailbox's own addresses, lower case; mail from any of them is
   * our own coming back.
   * @default the mailbox's own `addresses`
   */
  readonly ownAddresses?: readonly string[];
  /**
   * Domain of our outgoing Message-IDs (`TECHMAIL_MESSAGE_ID_DOMAIN`).
   * @default undefined (that loop check is off)
   */
  readonly messageIdDomain?: string;
  /**
   * Mailboxes whose `updatePolicy` is `contact`: their incidents keep that
   * policy when a reply arrives through another mailbox.
   * @default none
   */
  readonly contactOnlyMailboxIds?: readonly string[];
}

/**
 * Turns one raw message into exactly one durable outcome: a new incident,
 * a thread entry, a suppressed message kept for audit, or a quarantine
 * record. Safe to call again for the same bytes at any point: a finished
 * message reports `duplicate`, a half-done one is finished from its
 * recorded decision (roll forward).
 *
 * @param mailbox the mailbox the message came from
 * @param message the server's uid and the exact bytes
 * @param stores the incident store and the blob store
 * @param now the time the decision is made (reference numbers use its day)
 * @param options our other addresses and our Message-ID domain
 * @returns the run entry for the message; its writes are durable
 */
export async function processMessage(
  mailbox: Mailbox,
  message: IncomingMessage,
  stores: MessageStores,
  now: Date,
  options: ProcessOptions = {},
): Promise<RunMessage> {
  const started = await startMessage(mailbox, message, stores, now, options);

  return started.written;
}

/** A message whose decision is recorded and whose writes are under way. */
export interface StartedMessage {
  /** Settles once the writes are durable, with the message's run entry. */
  readonly written: Promise<RunMessage>;
}

/**
 * Records the decision of a message and starts its writes without waiting
 * for them, so the next message can be decided meanwhile. Decisions of one
 * run must be made one at a time, in server order, through the same
 * `inFlight`: then each sees what the earlier ones decided and wrote.
 *
 * @param mailbox the mailbox the message came from
 * @param message the server's uid and the exact bytes
 * @param stores the incident store and the blob store
 * @param now the time the decision is made
 * @param options our other addresses and our Message-ID domain
 * @param inFlight the run's writes still under way
 * @default inFlight: none (a message on its own)
 * @returns the message, its writes started
 */
export async function startMessage(
  mailbox: Mailbox,
  message: IncomingMessage,
  stores: MessageStores,
  now: Date,
  options: ProcessOptions = {},
  inFlight = new InFlightWrites(),
): Promise<StartedMessage> {
  const own: OwnMail = {
    addresses: new Set(options.ownAddresses ?? mailbox.addresses),
    messageIdDomain: options.messageIdDomain,
  };
  const decided = await decideMessage(
    mailbox,
    message,
    { incidents: inFlight.view(stores.incidents) },
    now,
    own,
    new Set(options.contactOnlyMailboxIds),
  );
  const { record } = decided;
  if (record.state === 'done') {
    const entry = toRunMessage(message.uid, {
      ...record,
      outcome: 'duplicate',
    });
    return { written: Promise.resolve(entry) };
  }

  const scope = {
    messageKey: record.messageKey,
    referenceNumber: record.referenceNumber,
    messageId: decided.parsed?.messageId,
  };
  const written = inFlight.run(scope, async () => {
    await applyDecision(mailbox, message, decided, stores);
    // Marked only after every write it guards is durable: a record still
    // `pending` makes a rerun write them all again, one marked `done` makes
    // it skip them.
    await stores.incidents.markLedgerDone(mailbox.id, record.messageKey);

    return toRunMessage(message.uid, record);
  });

  return { written };
}

function toRunMessage(uid: string, record: LedgerRecord): RunMessage {
  return {
    uidl: uid,
    messageId: record.messageId,
    outcome: record.outcome,
    reason: record.reason,
    referenceNumber: record.referenceNumber,
  };
}
