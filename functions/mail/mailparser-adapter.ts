/**
 * The mailparser adapter: the only module that runs mailparser, so swapping
 * it (for postal-mime, say) touches this file and the header and attachment
 * readers alone. `parse-message.ts` loads it on the first message.
 */
import { Readable } from 'node:stream';
import { type ParsedMail, simpleParser } from 'mailparser';
import { MailParseError } from './errors.js';
import { htmlToPlainText } from './html-text.js';
import { parseMailDate } from './mail-date.js';
import { readAttachments } from './message-attachments.js';
import {
  readAddresses,
  readHeaderFields,
  readThreadIds,
} from './message-headers.js';
import { normaliseMessageId } from './message-id.js';
import { repairRawMessage } from './message-repair.js';
import type { ParsedMessage, Truncation } from './parse-message.js';
import {
  MAX_HEADER_BYTES,
  MAX_RECIPIENTS,
  MAX_THREAD_IDS,
  type ParseLimits,
} from './parse-options.js';

/**
 * Bytes handed to mailparser per write. Given a 50 MB message in one write
 * it peaked at 226 MB above its start (transient copies of the whole
 * body while splitting and decoding); fed socket-sized views it peaked at
 * 28 MB, close to the attachment it builds.
 */
const PARSER_WRITE_BYTES = 64 * 1024;

/**
 * Parses raw bytes that passed the size and line checks.
 *
 * @param raw the message exactly as received
 * @param limits the resolved limits of this call
 * @returns the parsed message
 * @throws MailParseError when mailparser rejects the message or it is past
 *   a structure limit
 */
export async function readMessage(
  raw: Buffer,
  limits: ParseLimits,
): Promise<ParsedMessage> {
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

async function runParser(
  raw: Buffer,
  limits: ParseLimits,
): Promise<ParsedMail> {
  try {
    return await simpleParser(Readable.from(slices(raw)), {
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

/** Views of `raw`, so feeding the parser copies nothing. */
function* slices(raw: Buffer): Generator<Buffer> {
  for (let at = 0; at < raw.length; at += PARSER_WRITE_BYTES) {
    yield raw.subarray(at, at + PARSER_WRITE_BYTES);
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
  // mailparser leaves the text empty when the HTML was too large to convert,
  // and when the only HTML part sits inside multipart/related.
  const parsedText = withoutNul(mail.text ?? '');
  const fullText =
    html !== undefined &&
    (mail.textConversionError !== undefined || parsedText.trim() === '')
      ? htmlToPlainText(html)
      : parsedText;
  if (fullText.length > limits.maxTextChars) {
    truncated.push('text');
  }

  return { text: fullText.slice(0, limits.maxTextChars), html };
}

/** NUL shows nothing to a reader and ends strings in C-based stores. */
function withoutNul(text: string): string {
  return text.replaceAll('\0', '');
}
