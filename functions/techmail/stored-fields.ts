import type { ParsedAttachment, ParsedMessage } from '../mail/parse-message.js';
import type { Address } from '../model.js';

/**
 * Longest subject kept. The subject is copied onto the incident and every
 * entry; a 200 KB subject line would fill half a DynamoDB item (400 KB)
 * on each, and the raw message keeps it whole anyway.
 */
export const MAX_STORED_SUBJECT_CHARS = 2_000;

/** Longest address or display name kept (RFC 5321 paths stop at 256). */
export const MAX_STORED_ADDRESS_CHARS = 320;

/**
 * Budget for the To and Cc lists of an entry, in UTF-8 bytes. The header
 * section may hold 256 KB of addresses, which with the inline body and the
 * attachment list would pass DynamoDB's 400 KB item limit: the entry write
 * would fail on every run and the message would block its mailbox.
 */
export const MAX_STORED_RECIPIENT_BYTES = 64 * 1024;

/** Longest attachment content type or Content-ID kept. */
export const MAX_STORED_ATTACHMENT_FIELD_CHARS = 255;

/**
 * Cuts the fields of a parsed message that are copied into incident and
 * entry items down to sizes those items can hold. The same input always
 * gives the same output, so a retried message is stored identically.
 *
 * @param parsed the parser's result
 * @returns the message with subject, addresses and attachment fields
 *   within the MAX_STORED_* limits (bodies are handled by fitEntry; the
 *   parser already drops over-long Message-IDs)
 * @example
 * const parsed = limitStoredFields(await parseMessage(raw));
 */
export function limitStoredFields(parsed: ParsedMessage): ParsedMessage {
  const recipients = fitRecipients(parsed.to, parsed.cc);

  return {
    ...parsed,
    subject: cut(parsed.subject, MAX_STORED_SUBJECT_CHARS),
    from: parsed.from && limitAddress(parsed.from),
    replyTo: parsed.replyTo && limitAddress(parsed.replyTo),
    to: recipients.to,
    cc: recipients.cc,
    attachments: parsed.attachments.map(limitAttachment),
  };
}

function cut(value: string, maxChars: number): string {
  return value.length > maxChars ? value.slice(0, maxChars) : value;
}

function limitAddress(address: Address): Address {
  const limited: Address = {
    address: cut(address.address, MAX_STORED_ADDRESS_CHARS),
  };
  if (address.name !== undefined) {
    limited.name = cut(address.name, MAX_STORED_ADDRESS_CHARS);
  }

  return limited;
}

/** Keeps To, then Cc, in order until the byte budget is spent. */
function fitRecipients(
  to: readonly Address[],
  cc: readonly Address[],
): { to: Address[]; cc: Address[] } {
  let budget = MAX_STORED_RECIPIENT_BYTES;
  const take = (list: readonly Address[]): Address[] => {
    const kept: Address[] = [];
    for (const address of list.map(limitAddress)) {
      const size =
        Buffer.byteLength(address.address) +
        Buffer.byteLength(address.name ?? '');
      if (size > budget) break;
      budget -= size;
      kept.push(address);
    }

    return kept;
  };
  const keptTo = take(to);

  return { to: keptTo, cc: keptTo.length < to.length ? [] : take(cc) };
}

function limitAttachment(attachment: ParsedAttachment): ParsedAttachment {
  const { contentId, ...rest } = attachment;
  const limited: ParsedAttachment = {
    ...rest,
    contentType: cut(attachment.contentType, MAX_STORED_ATTACHMENT_FIELD_CHARS),
  };
  if (contentId !== undefined) {
    limited.contentId = cut(contentId, MAX_STORED_ATTACHMENT_FIELD_CHARS);
  }

  return limited;
}
