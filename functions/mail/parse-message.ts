/**
 * Parsing of hostile mail behind a small interface, so the parser library
 * (mailparser, in `mailparser-adapter.ts`) can be swapped without touching
 * callers. Every message is hostile input, so the work it may cause is
 * bounded by the limits of `parse-options.ts`, checked on the raw bytes
 * before mailparser sees them.
 */
import type { Address } from '../model.js';
import { MailParseError } from './errors.js';
import type { ParsedAttachment } from './message-attachments.js';
import {
  type ParseLimits,
  type ParseMessageOptions,
  resolveLimits,
} from './parse-options.js';

export type { ParsedAttachment } from './message-attachments.js';
export {
  MAX_ATTACHMENTS,
  MAX_HEADER_BYTES,
  MAX_HEADER_LINES,
  MAX_HTML_CHARS,
  MAX_MESSAGE_BYTES,
  MAX_MESSAGE_LINES,
  MAX_MIME_DEPTH,
  MAX_MIME_PARTS,
  MAX_RECIPIENTS,
  MAX_TEXT_CHARS,
  MAX_THREAD_IDS,
  type ParseMessageOptions,
} from './parse-options.js';

/** Which parts of a message were cut by a limit. */
export type Truncation =
  | 'attachments'
  | 'html'
  | 'text'
  | 'recipients'
  | 'in-reply-to'
  | 'references';

/** A parsed mail message, independent of the parser library. */
export interface ParsedMessage {
  /** Message-ID without brackets, case kept; compare case-insensitively. */
  messageId?: string;
  /** In-Reply-To ids without brackets, in header order. */
  inReplyTo: string[];
  /** References ids without brackets, oldest first as in the header. */
  references: string[];
  /**
   * Decoded subject on one line (an encoded word may hide line breaks and
   * control characters; they are removed); '' when missing.
   */
  subject: string;
  /** First From address (of the first From header that has one). */
  from?: Address;
  /** First Reply-To address. */
  replyTo?: Address;
  /** To addresses, groups flattened. */
  to: Address[];
  /** Cc addresses, groups flattened. */
  cc: Address[];
  /** The Date header; undefined when missing or unreadable. */
  date?: Date;
  /**
   * Plain text body; derived from the HTML when there is only HTML. NUL
   * characters are removed here and from the HTML.
   */
  text: string;
  /** HTML body, not sanitised. */
  html?: string;
  /**
   * Attachments in message order. An attached message is one attachment
   * (`message/rfc822`); the files inside a `winmail.dat` replace it.
   */
  attachments: ParsedAttachment[];
  /** Top-level headers: lower-case name to unfolded raw values, in order. */
  headers: ReadonlyMap<string, string[]>;
  /** What the limits cut; empty for an ordinary message. */
  truncated: Truncation[];
}

/**
 * Parses raw message bytes.
 *
 * @param raw the message exactly as received (never a decoded string:
 *   8-bit content would be damaged by the decoding)
 * @param options limits for this call, see {@link ParseMessageOptions}
 * @returns the parsed message
 * @throws MailParseError when the bytes are not a parseable message or
 *   are past a structure limit (`too-complex`)
 * @throws ValidationError when an option is unknown or out of range
 * @example
 * const message = await parseMessage(rawBytes);
 * message.subject; // decoded
 */
export async function parseMessage(
  raw: Buffer,
  options: ParseMessageOptions = {},
): Promise<ParsedMessage> {
  const limits = resolveLimits(options);
  assertParseable(raw, limits);

  // Loaded on the first message: mailparser, the charset tables and the
  // HTML-to-text converter behind it are a third of the bundle, and a run
  // that finds no mail never needs them.
  const { readMessage } = await import('./mailparser-adapter.js');

  return readMessage(raw, limits);
}

function assertParseable(raw: Buffer, limits: ParseLimits): void {
  if (raw.length > limits.maxMessageBytes) {
    throw new MailParseError(
      'too-large',
      `message of ${raw.length} bytes is over the parser limit of ${limits.maxMessageBytes}; quarantine it`,
    );
  }
  if (raw.every(isWhitespaceByte)) {
    throw new MailParseError('empty', 'message is empty; quarantine it');
  }
  if (countLines(raw) > limits.maxMessageLines) {
    throw new MailParseError(
      'too-complex',
      `message has more than ${limits.maxMessageLines} lines; quarantine it`,
    );
  }
}

/** An indexed byte loop: several times faster than a search per line. */
function countLines(raw: Buffer): number {
  let lines = 1;
  for (let index = 0; index < raw.length; index += 1) {
    lines += raw[index] === 0x0a ? 1 : 0;
  }

  return lines;
}

function isWhitespaceByte(byte: number): boolean {
  return byte === 0x20 || (byte >= 0x09 && byte <= 0x0d);
}
