/**
 * Prepares raw bytes for the MIME parser: checks the structure against the
 * limits, and corrects the charset labels that would turn readable text
 * into U+FFFD or mojibake. Only labels change; every body byte stays.
 */

import { chooseCharset } from './charset-choice.js';
import {
  isAsciiLabel,
  isKnownCharset,
  normaliseCharsetLabel,
  widerForms,
} from './charsets.js';
import { repairEncodedWords } from './encoded-words.js';
import { repairHeaderCharset } from './header-charset.js';
import {
  type MimeNode,
  type OutlineLimits,
  outlineMime,
} from './mime-outline.js';

/**
 * Most body bytes read to decide a text part's charset; the start of a
 * body tells its charset, and a huge body costs no more than this.
 */
export const MAX_CHARSET_CHECK_BYTES = 1024 * 1024;

/** The repaired message and its top-level header section. */
export interface RepairedMessage {
  /** Bytes to give the MIME parser. */
  readonly bytes: Buffer;
  /**
   * The top-level header section as UTF-8, before labels were changed, so
   * the header map shows what the sender wrote.
   */
  readonly header: Buffer;
  /**
   * The same section with its encoded words relabelled, for reading the
   * addresses.
   */
  readonly relabelledHeader: Buffer;
}

/**
 * Outlines the message and relabels what needs it: 8-bit header lines,
 * encoded words, and inline text parts.
 *
 * @param raw the message as received
 * @param limits the structure limits
 * @returns the bytes for the parser and the header section
 * @throws MailParseError `too-complex` past a structure limit
 * @example
 * const { bytes } = repairRawMessage(raw, limits);
 * await simpleParser(bytes);
 */
export function repairRawMessage(
  raw: Buffer,
  limits: OutlineLimits,
): RepairedMessage {
  const utf8Headers = repairHeaderCharset(raw);
  const nodes = outlineMime(utf8Headers, limits);
  const hints = charsetHints(nodes);
  const pieces: Buffer[] = [];
  let copied = 0;
  let relabelledHeader: Buffer | undefined;
  for (const node of nodes) {
    const header = utf8Headers.toString(
      'latin1',
      node.headerStart,
      node.bodyStart,
    );
    const repaired = relabelNode(utf8Headers, node, header, hints);
    relabelledHeader ??= Buffer.from(repaired, 'latin1');
    if (repaired !== header) {
      pieces.push(
        utf8Headers.subarray(copied, node.headerStart),
        Buffer.from(repaired, 'latin1'),
      );
      copied = node.bodyStart;
    }
  }
  pieces.push(utf8Headers.subarray(copied));

  const header = utf8Headers.subarray(0, nodes[0]?.bodyStart ?? 0);

  return {
    bytes: copied === 0 ? utf8Headers : Buffer.concat(pieces),
    header,
    relabelledHeader: relabelledHeader ?? header,
  };
}

function relabelNode(
  raw: Buffer,
  node: MimeNode,
  header: string,
  hints: readonly string[],
): string {
  const words = repairEncodedWords(header, hints);
  if (!isInlineText(node)) {
    return words;
  }
  const charset = chooseCharset(bodySample(raw, node), node.charset, hints);

  return charset === undefined ? words : withCharset(words, charset);
}

/** The parts mailparser shows as the message text rather than attaches. */
function isInlineText(node: MimeNode): boolean {
  return (
    (node.contentType === 'text/plain' || node.contentType === 'text/html') &&
    (node.disposition === '' || node.disposition === 'inline')
  );
}

/** The 8-bit and CJK labels of the message, each with its wider forms. */
function charsetHints(nodes: readonly MimeNode[]): string[] {
  const hints = new Set<string>();
  for (const node of nodes) {
    const label = normaliseCharsetLabel(node.charset);
    const usable =
      label !== undefined &&
      !isAsciiLabel(label) &&
      !/^(utf|ucs)/.test(label) &&
      isKnownCharset(label);
    if (usable) {
      hints.add(label);
      for (const wider of widerForms(label)) {
        hints.add(wider);
      }
    }
  }

  return [...hints];
}

/** The start of a body with its transfer encoding removed. */
function bodySample(raw: Buffer, node: MimeNode): Buffer {
  let body = raw.subarray(node.bodyStart, node.bodyEnd);
  if (body.length > MAX_CHARSET_CHECK_BYTES) {
    // Cut at a line end so no encoded character or quantum is split.
    const cut = body.subarray(0, MAX_CHARSET_CHECK_BYTES).lastIndexOf(0x0a);
    body = body.subarray(0, cut > 0 ? cut : MAX_CHARSET_CHECK_BYTES);
  }
  switch (node.transferEncoding) {
    case 'base64':
      return Buffer.from(body.toString('latin1'), 'base64');
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    default:
      return body;
  }
}

/** RFC 2045 6.7: soft line breaks go, `=XX` becomes a byte. */
function decodeQuotedPrintable(body: Buffer): Buffer {
  const latin1 = body
    .toString('latin1')
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16)),
    );

  return Buffer.from(latin1, 'latin1');
}

/**
 * Sets the charset parameter of the Content-Type field, adding the
 * parameter or the field when missing. A new field goes first (after an
 * mbox `From ` line), where it cannot end up in a body.
 */
function withCharset(header: string, charset: string): string {
  const field = /(^|\n)content-type[ \t]*:((?:[^\r\n]|\r?\n[ \t])*)/i.exec(
    header,
  );
  const param = `charset="${charset}"`;
  if (field === null) {
    const eol = header.includes('\r\n') ? '\r\n' : '\n';
    const at = header.startsWith('From ') ? header.indexOf('\n') + 1 : 0;
    const line = `Content-Type: text/plain; ${param}${eol}`;

    return header.slice(0, at) + line + header.slice(at);
  }
  const value = field[2] ?? '';
  const existing = /;\s*charset\s*=\s*("[^"]*"|[^\s;]*)/i;
  const replaced = existing.test(value)
    ? value.replace(existing, `; ${param}`)
    : `${value.trimEnd()}; ${param}`;
  const valueEnd = field.index + field[0].length;
  const valueStart = valueEnd - value.length;

  return header.slice(0, valueStart) + replaced + header.slice(valueEnd);
}
