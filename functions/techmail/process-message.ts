import type { OwnMail } from '../classify/own-mail.js';
import type { Mailbox, RunMessage } from '../model.js';
import type { LedgerRecord } from '../store/ports.js';
import {
  applyDecision,
  type IncomingMessage,
  type MessageStores,
} from './apply-decision.js';
import { decideMessage } from './decide-message.js';

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
  const own: OwnMail = {
    addresses: new Set(options.ownAddresses ?? mailbox.addresses),
    messageIdDomain: options.messageIdDomain,
  };
  const decided = await decideMessage(mailbox, message, stores, now, own);
  const { record } = decided;
  if (record.state === 'done') {
    return toRunMessage(message.uid, { ...record, outcome: 'duplicate' });
  }

  await applyDecision(mailbox, message, decided, stores);
  await stores.incidents.markLedgerDone(mailbox.id, record.messageKey);

  return toRunMessage(message.uid, record);
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
