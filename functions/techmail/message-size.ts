/**
 * How message size is handled, so that no message can block a mailbox:
 *
 * - up to the mailbox's `maxMessageBytes`: retrieved and taken in whole;
 * - above it, up to MAX_RETRIEVE_BYTES: retrieved, kept whole in the
 *   quarantine store, and turned into an incident holding its headers and
 *   a note; then deleted from the server like any other message;
 * - above MAX_RETRIEVE_BYTES: never retrieved. Its headers (TOP n 0) become
 *   an incident with a note, and the message stays on the server, since
 *   nothing else holds its bytes; its UIDL is remembered so later runs
 *   skip it.
 */
import { MAX_MAX_MESSAGE_BYTES } from '../mailboxes/validate-mailbox.js';

/**
 * Largest message (by its LIST size) a run retrieves: the largest limit a
 * mailbox may set, so every message a mailbox accepts can be fetched, and
 * what a run can hold in memory next to the rest of its batch.
 */
export const MAX_RETRIEVE_BYTES = MAX_MAX_MESSAGE_BYTES;

/**
 * Largest RETR reply the POP3 session accepts. On the wire a message grows
 * by dot-stuffing, at most one byte per line of at least three (".\r\n"
 * becomes "..\r\n"), so a third on top of MAX_RETRIEVE_BYTES, plus room
 * for a server that counts LIST sizes loosely.
 */
export const MAX_RETR_REPLY_BYTES =
  Math.ceil((MAX_RETRIEVE_BYTES * 4) / 3) + 1024 * 1024;

/**
 * Longest header section kept of an oversize message, as the parser's own
 * limit on one header block; the rest of a longer one is dropped.
 */
export const MAX_OVERSIZE_HEADER_BYTES = 256 * 1024;

const BLANK_LINE = /\r?\n\r?\n/;

/**
 * The header section of a message, ending with an empty line, for parsing
 * a message too large to parse whole.
 *
 * @param raw the message, or only its header section (TOP n 0)
 * @returns at most MAX_OVERSIZE_HEADER_BYTES of header, then CRLF CRLF
 */
export function headerBytes(raw: Buffer): Buffer {
  const start = raw.subarray(0, MAX_OVERSIZE_HEADER_BYTES);
  const text = start.toString('latin1');
  const blank = text.search(BLANK_LINE);
  // Latin-1 maps bytes to characters one to one, so indexes carry over.
  const cut = blank >= 0 ? blank : Math.max(text.lastIndexOf('\n'), 0);
  const end = text[cut - 1] === '\r' && blank < 0 ? cut - 1 : cut;

  return Buffer.concat([start.subarray(0, end), Buffer.from('\r\n\r\n')]);
}

/** What the note on an oversize incident says. */
export interface OversizeFacts {
  /** The message's size (as retrieved, or as the server listed it). */
  readonly sizeBytes: number;
  /** The mailbox's `maxMessageBytes`. */
  readonly limitBytes: number;
  /** Where the whole message is kept; undefined when it was not fetched. */
  readonly quarantineKey?: string;
}

/**
 * The text of the entry that stands in for an oversize message.
 *
 * @param facts its size, the limit and where its bytes are
 * @returns a note for the agent
 */
export function oversizeNote(facts: OversizeFacts): string {
  const size = `${facts.sizeBytes} bytes`;
  if (facts.quarantineKey === undefined) {
    return `This message was not fetched: at ${size} it is over the largest message Techmail fetches (${MAX_RETRIEVE_BYTES} bytes). Only its headers were read. It was left on the mail server; an administrator can fetch it from there.`;
  }

  return `This message was not taken in: at ${size} it is over this mailbox's limit of ${facts.limitBytes} bytes (maxMessageBytes). Only its headers are shown here. The whole message is kept in quarantine as ${facts.quarantineKey}.`;
}
