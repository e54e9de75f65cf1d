/**
 * The parser adapter: the only module that knows mailparser, so swapping it
 * (for postal-mime, say) touches this file alone. Every message is hostile
 * input, so the work it may cause is bounded by the limits of
 * `parse-options.ts`, checked on the raw bytes before mailparser sees them.
 */
import { type ParsedMail, simpleParser } from 'mailparser';
import type { Address } from '../model.js';
import { MailParseError } from './errors.js';
import { htmlToPlainText } from './html-text.js';
import { parseMailDate } from './mail-date.js';
import {
  type ParsedAttachment,
  readAttachments,
} from './message-attachments.js';
import {
  readAddresses,
  readHeaderFields,
  readThreadIds,
} from './message-headers.js';
import { normaliseMessageId } from './message-id.js';
import { repairRawMessage } from './message-repair.js';
import {
  MAX_HEADER_BYTES,
  MAX_RECIPIENTS,
  MAX_THREAD_IDS,
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

  const repaired = repairRawMessage(raw, {
    maxParts: limits.maxMimeParts,
    maxDepth: limits.maxMimeDepth,
    maxHeaderBytes: MAX_HEADER_BYTES,
  });
  const headers = readHeaderFields(repaired.header, limits.maxHeaderLines);
  const parseable = readHeaderFields(
    repaired.relabelledHeader,
    limits.maxHeaderLines,
  );
  const mail = await runParser(repaired.bytes, limits);
  const truncated: Truncation[] = [];
  const { attachments, cut } = readAttachments(
    mail.attachments,
    limits.maxAttachments,
  );
  if (cut) {
    truncated.push('attachments');
  }

  return {
    ...readIdentity(headers, truncated),
    subject: cleanSubject(mail.subject ?? ''),
    from: readAddresses(parseable, 'from')[0],
    replyTo: readAddresses(parseable, 'reply-to')[0],
    ...readRecipients(parseable, truncated),
    date: readDate(headers),
    ...readBodies(mail, limits, truncated),
    attachments,
    headers,
    truncated,
  };
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

async function runParser(
  raw: Buffer,
  limits: ParseLimits,
): Promise<ParsedMail> {
  try {
    return await simpleParser(raw, {
      keepCidLinks: true,
      skipTextToHtml: true,
      skipTextLinks: true,
      // The bounce classifier reads the DSN fields as a part of their own.
      keepDeliveryStatus: true,
      // An attached message stays one .eml attachment, whatever its
      // disposition, instead of its parts merging into this message's.
      ignoreEmbedded: true,
      checksumAlgo: 'sha256',
      maxHtmlLengthToParse: limits.maxHtmlChars,
      maxHeadSize: MAX_HEADER_BYTES,
      maxChildNodes: limits.maxMimeParts,
    });
  } catch (error) {
    throw new MailParseError(
      'malformed',
      'the MIME parser rejected the message; quarantine it',
      { cause: error },
    );
  }
}

function cleanSubject(subject: string): string {
  return (
    subject
      .replace(/\r?\n|\r/g, ' ')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
      .trim()
  );
}

function readIdentity(
  headers: ReadonlyMap<string, string[]>,
  truncated: Truncation[],
): Pick<ParsedMessage, 'messageId' | 'inReplyTo' | 'references'> {
  const first = headers.get('message-id')?.[0];
  const inReplyTo = readThreadIds(headers, 'in-reply-to');
  const references = readThreadIds(headers, 'references');
  if (inReplyTo.length > MAX_THREAD_IDS) {
    truncated.push('in-reply-to');
  }
  if (references.length > MAX_THREAD_IDS) {
    truncated.push('references');
  }

  return {
    messageId: first === undefined ? undefined : normaliseMessageId(first),
    inReplyTo: inReplyTo.slice(0, MAX_THREAD_IDS),
    // The newest ids are at the end, and those are the ones threading wants.
    references: references.slice(-MAX_THREAD_IDS),
  };
}

function readRecipients(
  headers: ReadonlyMap<string, string[]>,
  truncated: Truncation[],
): Pick<ParsedMessage, 'to' | 'cc'> {
  const to = readAddresses(headers, 'to');
  const cc = readAddresses(headers, 'cc');
  if (to.length + cc.length > MAX_RECIPIENTS) {
    truncated.push('recipients');
  }
  const keptTo = to.slice(0, MAX_RECIPIENTS);

  return { to: keptTo, cc: cc.slice(0, MAX_RECIPIENTS - keptTo.length) };
}

/** mailparser turns an unreadable Date into "now"; read it ourselves. */
function readDate(headers: ReadonlyMap<string, string[]>): Date | undefined {
  const value = headers.get('date')?.[0];

  return value === undefined ? undefined : parseMailDate(value);
}

function readBodies(
  mail: ParsedMail,
  limits: ParseLimits,
  truncated: Truncation[],
): Pick<ParsedMessage, 'text' | 'html'> {
  const fullHtml =
    typeof mail.html === 'string' ? withoutNul(mail.html) : undefined;
  const html = fullHtml?.slice(0, limits.maxHtmlChars);
  if (html !== undefined && html.length < (fullHtml?.length ?? 0)) {
    truncated.push('html');
  }
  // mailparser leaves the text empty when the HTML was too large to convert.
  const fullText =
    mail.textConversionError !== undefined && html !== undefined
      ? htmlToPlainText(html)
      : withoutNul(mail.text ?? '');
  if (fullText.length > limits.maxTextChars) {
    truncated.push('text');
  }

  return { text: fullText.slice(0, limits.maxTextChars), html };
}

/** NUL shows nothing to a reader and ends strings in C-based stores. */
function withoutNul(text: string): string {
  return text.replaceAll('\0', '');
}
