import { sha256Hex } from '../mail/message-key.js';
import type { IncidentStore } from '../store/ports.js';
import type { ServerMessage } from './mail-source.js';

/**
 * Mailboxes that leave mail on the server see the same messages every run.
 * Their UIDLs are remembered in the ledger so a run retrieves only what it
 * has not taken before (RFC 1939 UIDs persist across sessions).
 */
function seenKey(uid: string): string {
  return `uidl:${sha256Hex(Buffer.from(uid, 'latin1'))}`;
}

/**
 * The listed messages this mailbox has not taken before.
 *
 * @param mailboxId the mailbox
 * @param listed what the server lists now
 * @param store where seen UIDLs are kept
 * @returns the messages to retrieve, in server order
 */
export async function filterUnseen(
  mailboxId: string,
  listed: readonly ServerMessage[],
  store: IncidentStore,
): Promise<ServerMessage[]> {
  const unseen: ServerMessage[] = [];
  for (const message of listed) {
    const seen = await store.getLedger(mailboxId, seenKey(message.uid));
    if (!seen) unseen.push(message);
  }

  return unseen;
}

/**
 * Remembers that a message left on the server has been taken.
 *
 * @param mailboxId the mailbox
 * @param uid the message's UIDL
 * @param store where seen UIDLs are kept
 */
export async function rememberSeen(
  mailboxId: string,
  uid: string,
  store: IncidentStore,
): Promise<void> {
  const messageKey = seenKey(uid);
  await store.putLedgerIfAbsent({
    mailboxId,
    messageKey,
    state: 'done',
    sha256: messageKey.slice('uidl:'.length),
    outcome: 'duplicate',
    reason: 'seen-uidl',
    decidedAt: new Date().toISOString(),
  });
}
