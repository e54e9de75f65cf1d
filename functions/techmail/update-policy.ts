import type { Address, Mailbox } from '../model.js';
import type { IncidentStore } from '../store/ports.js';

/**
 * Tells whether a sender may add to an existing incident. The `contact`
 * policy applies when the receiving mailbox has it, or when the mailbox
 * that opened the incident has it (a reply through another brand's address
 * must not get around it). With `contact`, the incident's contact and
 * everyone its customer entries were sent to, copied to or written by may;
 * anyone else quoting the reference gets a new incident instead. Entries
 * of auto-replies and bounces grant nothing: a machine chose who is on
 * them.
 *
 * @param mailbox the mailbox (its `updatePolicy`)
 * @param referenceNumber the incident the message would go to
 * @param sender the message's From address, if any
 * @param incidents the store the incident and its entries are read from
 * @param contactOnlyMailboxIds mailboxes whose `updatePolicy` is `contact`
 * @default contactOnlyMailboxIds: none
 * @returns true when the message may thread onto the incident
 */
export async function mayUpdateIncident(
  mailbox: Pick<Mailbox, 'updatePolicy'>,
  referenceNumber: string,
  sender: Address | undefined,
  incidents: Pick<IncidentStore, 'getIncident' | 'listEntries'>,
  contactOnlyMailboxIds: ReadonlySet<string> = new Set(),
): Promise<boolean> {
  const receivingIsOpen = mailbox.updatePolicy === 'anyone';
  if (receivingIsOpen && contactOnlyMailboxIds.size === 0) return true;
  const incident = await incidents.getIncident(referenceNumber);
  const ownerIsOpen =
    incident === undefined || !contactOnlyMailboxIds.has(incident.mailboxId);
  if (receivingIsOpen && ownerIsOpen) return true;
  const from = sender?.address.toLowerCase();
  if (from === undefined) return false;

  if (incident?.contact?.address.toLowerCase() === from) return true;
  const entries = await incidents.listEntries(referenceNumber);

  return entries
    .filter((entry) => entry.kind === 'customer')
    .some((entry) =>
      [...entry.to, ...entry.cc, ...(entry.from ? [entry.from] : [])].some(
        (address) => address.address.toLowerCase() === from,
      ),
    );
}
