/**
 * The parser adapter: the only module that knows mailparser, so swapping it
 * (for postal-mime, say) touches this file alone. Every message is hostile
 * input, so the work it may cause is bounded by the limits below.
 */
import {
  type Attachment,
  type EmailAddress,
  type ParsedMail,
  parseAddressHeader,
  simpleParser,
} from 'mailparser';
import { ValidationError } from '../commons/errors.js';
import type { Address } from '../model.js';
import { cleanFilename, fallbackFilename } from './attachment-names.js';
import { MailParseError } from './errors.js';
import { repairHeaderCharset } from './header-charset.js';
import { htmlToPlainText } from './html-text.js';
import { extractMessageIds, normaliseMessageId } from './message-id.js';

/** Largest message accepted; simpleParser buffers every part in memory. */
export const MAX_MESSAGE_BYTES = 50 * 1024 * 1024;
/** Most top-level header lines; blocks header bombs aimed at classifiers. */
export const MAX_HEADER_LINES = 1000;
/** Largest header block of one MIME part; blocks unbounded header buffering. */
export const MAX_HEADER_BYTES = 256 * 1024;
/** Most MIME parts; blocks part bombs and deep multipart nesting. */
export const MAX_MIME_PARTS = 500;
/** Most attachments kept; the rest are dropped, not stored. */
export const MAX_ATTACHMENTS = 100;
/** Longest HTML body kept, in characters; also caps HTML-to-text work. */
export const MAX_HTML_CHARS = 2 * 1024 * 1024;
/** Longest plain text body kept, in characters. */
export const MAX_TEXT_CHARS = 1024 * 1024;
/** Most To plus Cc addresses kept; blocks oversized incident records. */
export const MAX_RECIPIENTS = 500;
/** Most In-Reply-To or References ids kept; each may cost a lookup. */
export const MAX_THREAD_IDS = 100;

/** An attachment with its bytes, as the parser found it. */
export interface ParsedAttachment {
  /** File name from the message, or `attachment-<n>.<ext>` without one. */
  filename: string;
  /** Lower-case MIME type. */
  contentType: string;
  /** Decoded size in bytes. */
  size: number;
  /** SHA-256 of the decoded bytes, lower-case hex. */
  sha256: string;
  /** Content-ID without angle brackets, matched by `cid:` URLs. */
  contentId?: string;
  /** Shown inside the body (inline disposition or multipart/related). */
  inline: boolean;
  /** Decoded bytes. */
  content: Buffer;
}

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
  /** Decoded subject; '' when missing. */
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
  /** Plain text body; derived from the HTML when there is only HTML. */
  text: string;
  /** HTML body, not sanitised. */
  html?: string;
  attachments: ParsedAttachment[];
  /** Top-level headers: lower-case name to unfolded raw values, in order. */
  headers: ReadonlyMap<string, string[]>;
  /** What the limits cut; empty for an ordinary message. */
  truncated: Truncation[];
}

/** Per-call limits; each defaults to the constant of the same name. */
export interface ParseMessageOptions {
  /** @default MAX_MESSAGE_BYTES */
  readonly maxMessageBytes?: number;
  /** @default MAX_HEADER_LINES */
  readonly maxHeaderLines?: number;
  /** @default MAX_MIME_PARTS */
  readonly maxMimeParts?: number;
  /** @default MAX_ATTACHMENTS */
  readonly maxAttachments?: number;
  /** @default MAX_HTML_CHARS */
  readonly maxHtmlChars?: number;
  /** @default MAX_TEXT_CHARS */
  readonly maxTextChars?: number;
}

type Limits = Required<ParseMessageOptions>;

const DEFAULT_LIMITS: Limits = {
  maxMessageBytes: MAX_MESSAGE_BYTES,
  maxHeaderLines: MAX_HEADER_LINES,
  maxMimeParts: MAX_MIME_PARTS,
  maxAttachments: MAX_ATTACHMENTS,
  maxHtmlChars: MAX_HTML_CHARS,
  maxTextChars: MAX_TEXT_CHARS,
};

// An option may tighten a limit or loosen it this far, never switch it off:
// a caller's typo must not become an unbounded parse.
const LIMIT_CEILING_FACTOR = 4;

// RFC 5322 field names: printable ASCII without the colon. A line without
// one (an mbox "From " line, a body with no header) is not a header.
const FIELD_NAME = /^[!-9;-~]+$/;

/**
 * Parses raw message bytes.
 *
 * @param raw the message exactly as received (never a decoded string:
 *   8-bit content would be damaged by the decoding)
 * @param options limits for this call, see {@link ParseMessageOptions}
 * @returns the parsed message
 * @throws MailParseError when the bytes are not a parseable message
 * @throws ValidationError when an option is unknown or out of range
 * @example
 * const message = await parseMessage(rawBytes);
 * message.subject; // decoded
 */
export async function parseMessage(
  raw: Buffer,
  options: ParseMessageOptions = {},
): Promise<ParsedMessage> {
  const limits = checkOptions(options);
  assertParseable(raw, limits);

  const mail = await runParser(repairHeaderCharset(raw), limits);
  const headers = readHeaders(mail, limits);
  const truncated: Truncation[] = [];

  return {
    ...readIdentity(headers, truncated),
    subject: mail.subject ?? '',
    from: readAddresses(headers, 'from')[0],
    replyTo: readAddresses(headers, 'reply-to')[0],
    ...readRecipients(headers, truncated),
    date: readDate(headers),
    ...readBodies(mail, limits, truncated),
    attachments: readAttachments(mail.attachments, limits, truncated),
    headers,
    truncated,
  };
}

function checkOptions(options: ParseMessageOptions): Limits {
  const limits = { ...DEFAULT_LIMITS };
  for (const [name, value] of Object.entries(options)) {
    if (!(name in DEFAULT_LIMITS)) {
      throw new ValidationError(
        `options.${name}`,
        `parseMessage has no option ${name}; use one of ${Object.keys(DEFAULT_LIMITS).join(', ')}`,
      );
    }
    const key = name as keyof Limits;
    const ceiling = DEFAULT_LIMITS[key] * LIMIT_CEILING_FACTOR;
    if (value === undefined) {
      continue;
    }
    if (!Number.isSafeInteger(value) || value < 1 || value > ceiling) {
      throw new ValidationError(
        `options.${name}`,
        `options.${name} must be a whole number from 1 to ${ceiling}`,
      );
    }
    limits[key] = value;
  }

  return limits;
}

function assertParseable(raw: Buffer, limits: Limits): void {
  if (raw.length > limits.maxMessageBytes) {
    throw new MailParseError(
      'too-large',
      `message of ${raw.length} bytes is over the parser limit of ${limits.maxMessageBytes}; quarantine it`,
    );
  }
  if (raw.every(isWhitespaceByte)) {
    throw new MailParseError('empty', 'message is empty; quarantine it');
  }
}

function isWhitespaceByte(byte: number): boolean {
  return byte === 0x20 || (byte >= 0x09 && byte <= 0x0d);
}

async function runParser(raw: Buffer, limits: Limits): Promise<ParsedMail> {
  try {
    return await simpleParser(raw, {
      keepCidLinks: true,
      skipTextToHtml: true,
      skipTextLinks: true,
      // The bounce classifier reads the DSN fields as a part of their own.
      keepDeliveryStatus: true,
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

/** Builds the header map and checks that the message has a header at all. */
function readHeaders(mail: ParsedMail, limits: Limits): Map<string, string[]> {
  const lines = (mail.headerLines ?? []).filter(({ key }) =>
    FIELD_NAME.test(key),
  );
  if (lines.length === 0) {
    throw new MailParseError(
      'no-headers',
      'message has no header section; quarantine it',
    );
  }
  if (lines.length > limits.maxHeaderLines) {
    throw new MailParseError(
      'too-many-header-lines',
      `message has ${lines.length} header lines, over the limit of ${limits.maxHeaderLines}; quarantine it`,
    );
  }

  const headers = new Map<string, string[]>();
  for (const { key, line } of lines) {
    // Lines hold the raw bytes as latin1 code units; the header section is
    // UTF-8 after repairHeaderCharset.
    const text = Buffer.from(line, 'latin1').toString('utf8');
    const value = text
      .slice(text.indexOf(':') + 1)
      .replace(/\r?\n(?=[ \t])/g, '')
      .trim();
    const values = headers.get(key) ?? [];
    values.push(value);
    headers.set(key, values);
  }

  return headers;
}

function readIdentity(
  headers: ReadonlyMap<string, string[]>,
  truncated: Truncation[],
): Pick<ParsedMessage, 'messageId' | 'inReplyTo' | 'references'> {
  const first = headers.get('message-id')?.[0];
  const inReplyTo = extractMessageIds(headers.get('in-reply-to') ?? []);
  const references = extractMessageIds(headers.get('references') ?? []);
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

/**
 * Every address of every occurrence of the header. A message with two From
 * headers gets the first one that holds an address: spam and broken
 * gateways put a bare display name first.
 */
function readAddresses(
  headers: ReadonlyMap<string, string[]>,
  name: string,
): Address[] {
  return flattenAddresses(parseAddressHeader(headers.get(name) ?? []).value);
}

function flattenAddresses(entries: readonly EmailAddress[]): Address[] {
  return entries.flatMap((entry): Address[] => {
    if (entry.group !== undefined) {
      return flattenAddresses(entry.group);
    }
    const address = entry.address?.trim() ?? '';
    if (address === '') {
      return [];
    }
    const name = entry.name.trim();

    return [name === '' ? { address } : { address, name }];
  });
}

/** mailparser turns an unreadable Date into "now"; read it ourselves. */
function readDate(headers: ReadonlyMap<string, string[]>): Date | undefined {
  const value = headers.get('date')?.[0];
  if (value === undefined) {
    return undefined;
  }
  const date = new Date(value);
  const year = date.getUTCFullYear();

  return Number.isNaN(date.getTime()) || year < 1970 || year > 9999
    ? undefined
    : date;
}

function readBodies(
  mail: ParsedMail,
  limits: Limits,
  truncated: Truncation[],
): Pick<ParsedMessage, 'text' | 'html'> {
  const fullHtml = typeof mail.html === 'string' ? mail.html : undefined;
  const html = fullHtml?.slice(0, limits.maxHtmlChars);
  if (html !== undefined && html.length < (fullHtml?.length ?? 0)) {
    truncated.push('html');
  }
  // mailparser leaves the text empty when the HTML was too large to convert.
  const fullText =
    mail.textConversionError !== undefined && html !== undefined
      ? htmlToPlainText(html)
      : (mail.text ?? '');
  if (fullText.length > limits.maxTextChars) {
    truncated.push('text');
  }

  return { text: fullText.slice(0, limits.maxTextChars), html };
}

function readAttachments(
  attachments: readonly Attachment[],
  limits: Limits,
  truncated: Truncation[],
): ParsedAttachment[] {
  if (attachments.length > limits.maxAttachments) {
    truncated.push('attachments');
  }

  return attachments
    .slice(0, limits.maxAttachments)
    .map((attachment, index) => toAttachment(attachment, index + 1));
}

function toAttachment(
  attachment: Attachment,
  position: number,
): ParsedAttachment {
  const contentType = attachment.contentType.toLowerCase();
  const contentId = attachment.cid?.trim() || undefined;
  const inline =
    attachment.contentDisposition === 'inline' || attachment.related === true;

  return {
    filename:
      cleanFilename(attachment.filename) ??
      fallbackFilename(contentType, position),
    contentType,
    size: attachment.content.length,
    // checksumAlgo is sha256 above, so the parser's checksum is the SHA-256.
    sha256: attachment.checksum,
    ...(contentId === undefined ? {} : { contentId }),
    inline,
    content: attachment.content,
  };
}
