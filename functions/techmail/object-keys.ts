/**
 * Object-store keys of what a message leaves behind. Every key derives from
 * the mailbox, the message's content hash or its ledger decision, so a
 * retried write lands on the same object.
 */

/**
 * Object key of an entry's full body when it is kept outside the entry.
 *
 * @param ref the incident's reference number
 * @param entryId the entry
 * @returns the key
 */
export function entryBodyKey(ref: string, entryId: string): string {
  return `bodies/${ref}/${entryId}.json`;
}

/**
 * Object key of a message's raw bytes.
 *
 * @param mailboxId the mailbox
 * @param sha256 SHA-256 of the bytes
 * @returns the key
 */
export function rawMessageKey(mailboxId: string, sha256: string): string {
  return `raw/${mailboxId}/${sha256}.eml`;
}

/**
 * Object key of a quarantined message's raw bytes.
 *
 * @param mailboxId the mailbox
 * @param sha256 SHA-256 of the bytes
 * @returns the key
 */
export function quarantineKey(mailboxId: string, sha256: string): string {
  return `quarantine/${mailboxId}/${sha256}.eml`;
}

/**
 * Object key of an attachment of an entry.
 *
 * @param ref the incident's reference number
 * @param entryId the entry
 * @param sha256 SHA-256 of the attachment's bytes
 * @returns the key
 */
export function attachmentKey(
  ref: string,
  entryId: string,
  sha256: string,
): string {
  return `attachments/${ref}/${entryId}/${sha256}`;
}
